package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/suricron/suricron/internal/clickhousetest"
	"github.com/suricron/suricron/internal/sharedtest"
)

// buildBinary compiles eve-ship once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "eve-ship")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/suricron/suricron/cmd/eve-ship").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// run runs the binary and returns its exit code and stderr.
func run(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SURICRON_CONFIG=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stderr.String()
}

// sensorFiles are the real samples each test sensor replays: the alerts,
// anomalies and stats of several public sensors.
var sensorFiles = map[string][]string{
	"s1": {"josevnz/eve-2.json", "josevnz/eve_no_events.json"},
	"s2": {"frankhassanabad/wrccdc-2018-alerts.ndjson", "josevnz/eve_payload.json", "josevnz/eve_large-stats-first60.json", "josevnz/eve_udp_flow.json"},
}

// writeEve concatenates a sensor's samples into dir/eve.json.
func writeEve(t *testing.T, dir, sensor string) string {
	t.Helper()
	var b bytes.Buffer
	for _, f := range sensorFiles[sensor] {
		data, err := os.ReadFile(sharedtest.Path(t, "eve", f))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	p := filepath.Join(dir, "eve.json")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// jqCounts counts event types with jq, the independent reference.
func jqCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	jq, err := exec.LookPath("jq")
	if err != nil {
		if os.Getenv(sharedtest.RequireToolsEnv) == "1" {
			t.Fatal("jq not installed")
		}
		t.Skip("jq not installed")
	}
	out, err := exec.Command(jq, "-r", ".event_type", path).Output()
	if err != nil {
		t.Fatalf("jq: %v", err)
	}
	m := map[string]int{}
	for _, l := range strings.Fields(string(out)) {
		m[l]++
	}
	return m
}

// counts returns event_type → rows for one sensor, collapsed by FINAL.
func counts(t *testing.T, srv *clickhousetest.Server, sensor string, final bool) map[string]int {
	t.Helper()
	fin := ""
	if final {
		fin = "FINAL"
	}
	m := map[string]int{}
	for _, table := range []string{"alerts", "stats", "events"} {
		out := srv.Query(fmt.Sprintf("SELECT event_type, count() FROM suricron.%s %s WHERE sensor = '%s' GROUP BY event_type", table, fin, sensor))
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			f := strings.Split(sc.Text(), "\t")
			n, _ := strconv.Atoi(f[1])
			m[f[0]] += n
		}
	}
	return m
}

func shipped(want map[string]int, types ...string) map[string]int {
	m := map[string]int{}
	for _, ty := range types {
		if want[ty] > 0 {
			m[ty] = want[ty]
		}
	}
	return m
}

func equalCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: ClickHouse has %v, jq counts %v", what, got, want)
	}
}

func applySchema(t *testing.T, bin string, srv *clickhousetest.Server) {
	t.Helper()
	if code, stderr := run(t, bin, "schema", "--apply", "--clickhouse-url", srv.URL); code != 0 {
		t.Fatalf("schema --apply: exit %d: %s", code, stderr)
	}
}

// TestShipRealSamplesTwoSensors ships two sensors' real samples: row counts
// per event type equal jq's, and re-reading everything after
// --reset-state --start all changes nothing under FINAL (same eids).
func TestShipRealSamplesTwoSensors(t *testing.T) {
	bin := buildBinary(t)
	srv := clickhousetest.Start(t, clickhousetest.Options{})
	applySchema(t, bin, srv)
	// Without background merges a resent row stays visible as a second
	// copy until FINAL collapses it, so the test can see both.
	srv.Query("SYSTEM STOP MERGES")
	for _, sensor := range []string{"s1", "s2"} {
		dir := t.TempDir()
		eve := writeEve(t, dir, sensor)
		want := shipped(jqCounts(t, eve), "alert", "stats", "anomaly")
		args := []string{"--clickhouse-url", srv.URL, "--eve", eve, "--state-dir", filepath.Join(dir, "state"), "--sensor", sensor, "--start", "beginning", "--batch-lines", "300"}
		if code, stderr := run(t, bin, args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", sensor, code, stderr)
		}
		equalCounts(t, sensor, counts(t, srv, sensor, true), want)
		equalCounts(t, sensor+" without FINAL", counts(t, srv, sensor, false), want)
		// A second run finds nothing new.
		if code, stderr := run(t, bin, args...); code != 0 {
			t.Fatalf("%s rerun: exit %d: %s", sensor, code, stderr)
		}
		equalCounts(t, sensor+" after a rerun", counts(t, srv, sensor, false), want)
		// Everything again from scratch: every row is a duplicate by eid.
		if code, stderr := run(t, bin, append(args, "--reset-state", "--start", "all")...); code != 0 {
			t.Fatalf("%s reset: exit %d: %s", sensor, code, stderr)
		}
		if got := counts(t, srv, sensor, false); fmt.Sprint(got) == fmt.Sprint(want) {
			t.Fatalf("%s: the reset run sent nothing (%v); the dedup below proves nothing", sensor, got)
		}
		equalCounts(t, sensor+" after --reset-state, FINAL", counts(t, srv, sensor, true), want)
	}
}

// holdProxy forwards to ClickHouse, and for the insert number holdAt (1
// based) lets ClickHouse answer but holds that answer back: the client is
// killed with its rows inserted and its checkpoint not committed.
type holdProxy struct {
	mu      sync.Mutex
	inserts int
	holdAt  int
	bodies  [][]byte // every insert's rows, in order
	held    chan struct{}
	release chan struct{}
	target  *url.URL
}

func (p *holdProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	hold := false
	if strings.HasPrefix(r.URL.Query().Get("query"), "INSERT") {
		p.mu.Lock()
		p.inserts++
		p.bodies = append(p.bodies, body)
		hold = p.inserts == p.holdAt
		p.mu.Unlock()
	}
	rec := &bufferedWriter{header: http.Header{}}
	httputil.NewSingleHostReverseProxy(p.target).ServeHTTP(rec, r)
	if hold {
		p.held <- struct{}{}
		<-p.release
		return
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.code)
	w.Write(rec.body.Bytes())
}

type bufferedWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedWriter) WriteHeader(code int)        { b.code = code }

// TestKillBetweenInsertAndCommit SIGKILLs eve-ship after ClickHouse
// answered 200 for a batch and before the checkpoint commit: the rerun
// sends that batch again with the same eids, and the counts under FINAL
// equal jq's.
func TestKillBetweenInsertAndCommit(t *testing.T) {
	bin := buildBinary(t)
	srv := clickhousetest.Start(t, clickhousetest.Options{})
	applySchema(t, bin, srv)
	srv.Query("SYSTEM STOP MERGES") // keep the resent copies visible until FINAL
	target, _ := url.Parse(srv.URL)
	px := &holdProxy{holdAt: 3, held: make(chan struct{}), release: make(chan struct{}), target: target}
	ln := newLocalServer(t, px)
	defer close(px.release)

	dir := t.TempDir()
	eve := writeEve(t, dir, "s1")
	want := shipped(jqCounts(t, eve), "alert", "stats", "anomaly")
	state := filepath.Join(dir, "state")
	args := []string{"--clickhouse-url", ln, "--eve", eve, "--state-dir", state, "--sensor", "s1", "--start", "beginning", "--batch-lines", "50", "--retries", "1"}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-px.held // ClickHouse has the third insert; eve-ship waits for the answer
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	before := counts(t, srv, "s1", false)
	if before["alert"]+before["anomaly"] == 0 {
		t.Fatalf("nothing inserted before the kill: %v", before)
	}
	st, err := os.ReadFile(filepath.Join(state, "eve-ship.state.json"))
	if err != nil || !bytes.Contains(st, []byte(`"pending"`)) {
		t.Fatalf("state after the kill has no pending batch: %v\n%s", err, st)
	}
	px.mu.Lock()
	heldBody := px.bodies[px.holdAt-1]
	px.mu.Unlock()
	for i := 0; i < 3; i++ { // the first rerun resends only the pending batch
		if code, stderr := run(t, bin, args...); code != 0 {
			t.Fatalf("rerun: exit %d: %s", code, stderr)
		}
	}
	// The batch that was in flight is sent again byte for byte: same rows,
	// same eids, same batch id.
	px.mu.Lock()
	var resent bool
	for _, b := range px.bodies[px.holdAt:] {
		resent = resent || bytes.Equal(b, heldBody)
	}
	px.mu.Unlock()
	if !resent {
		t.Fatalf("the in-flight insert was not resent identically")
	}
	raw := counts(t, srv, "s1", false)
	if fmt.Sprint(raw) == fmt.Sprint(want) {
		t.Fatalf("no row was sent twice (%v): the kill did not land between insert and commit", raw)
	}
	equalCounts(t, "after kill and rerun, FINAL", counts(t, srv, "s1", true), want)
	if n := strings.TrimSpace(srv.Query("SELECT count() FROM (SELECT eid FROM suricron.alerts WHERE sensor='s1' GROUP BY eid)")); n != strconv.Itoa(want["alert"]) {
		t.Fatalf("distinct alert eids %s, want %d", n, want["alert"])
	}
}

// TestServerDownExit75 stops ClickHouse: eve-ship exits 75 and leaves its
// state as it was; once the server is back the next run inserts everything.
func TestServerDownExit75(t *testing.T) {
	bin := buildBinary(t)
	srv := clickhousetest.Start(t, clickhousetest.Options{})
	applySchema(t, bin, srv)
	dir := t.TempDir()
	eve := writeEve(t, dir, "s2")
	want := shipped(jqCounts(t, eve), "alert", "stats", "anomaly")
	state := filepath.Join(dir, "state")
	args := []string{"--clickhouse-url", srv.URL, "--eve", eve, "--state-dir", state, "--sensor", "s2", "--start", "beginning", "--retries", "3", "--retry-wait", "20ms"}
	srv.Stop()
	code, stderr := run(t, bin, args...)
	if code != 75 {
		t.Fatalf("server down: exit %d, want 75: %s", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(state, "eve-ship.state.json")); err == nil && !bytes.Contains(b, []byte(`"pending"`)) {
		t.Fatalf("state moved while the server was down:\n%s", b)
	}
	srv.Restart()
	if code, stderr := run(t, bin, args...); code != 0 {
		t.Fatalf("server back: exit %d: %s", code, stderr)
	}
	for i := 0; i < 2; i++ { // after a pending batch the rest follows
		run(t, bin, args...)
	}
	equalCounts(t, "after the outage", counts(t, srv, "s2", true), want)
}

// TestRefusedRowQuarantined puts one record ClickHouse cannot read (a
// timestamp neither eve-ship nor ClickHouse parses) among real alerts: that
// row lands in the 0600 quarantine file, all others in the table.
func TestRefusedRowQuarantined(t *testing.T) {
	bin := buildBinary(t)
	srv := clickhousetest.Start(t, clickhousetest.Options{})
	applySchema(t, bin, srv)
	dir := t.TempDir()
	data, err := os.ReadFile(sharedtest.Path(t, "eve", "frankhassanabad", "honeypot-2018-alerts.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimRight(string(data), "\n"), "\n")
	bad := `{"timestamp":"yesterday at noon","event_type":"alert","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","alert":{"signature_id":1,"signature":"refused"}}` + "\n"
	var b strings.Builder
	for i, l := range lines {
		if i == 17 {
			b.WriteString(bad)
		}
		b.WriteString(strings.TrimRight(l, "\n") + "\n")
	}
	eve := filepath.Join(dir, "eve.json")
	os.WriteFile(eve, []byte(b.String()), 0o644)
	state := filepath.Join(dir, "state")
	code, stderr := run(t, bin, "--clickhouse-url", srv.URL, "--eve", eve, "--state-dir", state, "--sensor", "q", "--start", "beginning")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "quarantined") {
		t.Errorf("no warning on stderr: %q", stderr)
	}
	if got := strings.TrimSpace(srv.Query("SELECT count() FROM suricron.alerts WHERE sensor='q'")); got != strconv.Itoa(len(lines)) {
		t.Fatalf("alerts inserted %s, want %d", got, len(lines))
	}
	q := filepath.Join(state, "eve-ship.quarantine.jsonl")
	fi, err := os.Stat(q)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("quarantine file mode %v, want 0600", fi.Mode().Perm())
	}
	qb, _ := os.ReadFile(q)
	if n := bytes.Count(qb, []byte("\n")); n != 1 || !bytes.Contains(qb, []byte("yesterday at noon")) || !bytes.Contains(qb, []byte("Code: ")) {
		t.Fatalf("quarantine file (%d entries):\n%s", n, qb)
	}
}

// TestWrongPasswordRedacted: a refused login is a configuration error
// (exit 2) whose message never carries the password.
func TestWrongPasswordRedacted(t *testing.T) {
	bin := buildBinary(t)
	srv := clickhousetest.Start(t, clickhousetest.Options{Users: map[string]string{"ship": "s3cret-pw"}})
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("wrong-pw-XYZ\n"), 0o600)
	code, stderr := run(t, bin, "schema", "--apply", "--clickhouse-url", srv.URL, "--clickhouse-user", "ship", "--clickhouse-password-file", pw)
	if code != 2 || strings.Contains(stderr, "wrong-pw-XYZ") {
		t.Fatalf("exit %d (want 2), stderr %q", code, stderr)
	}
	os.WriteFile(pw, []byte("s3cret-pw\n"), 0o600)
	if code, stderr := run(t, bin, "schema", "--apply", "--clickhouse-url", srv.URL, "--clickhouse-user", "ship", "--clickhouse-password-file", pw); code != 0 {
		t.Fatalf("right password: exit %d: %s", code, stderr)
	}
}

// TestTwoShardCluster runs two servers as the shards of cluster "fleet":
// eve-ship inserts through the Distributed tables, each sensor's rows live
// on one shard, and the totals equal jq's.
func TestTwoShardCluster(t *testing.T) {
	bin := buildBinary(t)
	p1, p2 := clickhousetest.FreePort(t), clickhousetest.FreePort(t)
	cluster := fmt.Sprintf(`<fleet><shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard><shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard></fleet>`, p1, p2)
	a := clickhousetest.Start(t, clickhousetest.Options{TCPPort: p1, Clusters: cluster})
	b := clickhousetest.Start(t, clickhousetest.Options{TCPPort: p2, Clusters: cluster})
	if code, stderr := run(t, bin, "schema", "--apply", "--cluster", "fleet", "--clickhouse-url", a.URL, "--shard-url", b.URL); code != 0 {
		t.Fatalf("schema: exit %d: %s", code, stderr)
	}
	total := map[string]int{}
	sensors := []string{"s1", "s2", "s3", "s4"}
	for i, sensor := range sensors {
		dir := t.TempDir()
		eve := writeEve(t, dir, []string{"s1", "s2"}[i%2])
		for k, v := range shipped(jqCounts(t, eve), "alert", "stats", "anomaly") {
			total[k] += v
		}
		url := []string{a.URL, b.URL}[i/2] // insert through either node
		if code, stderr := run(t, bin, "--clickhouse-url", url, "--eve", eve, "--state-dir", filepath.Join(dir, "st"), "--sensor", sensor, "--start", "beginning"); code != 0 {
			t.Fatalf("%s: exit %d: %s", sensor, code, stderr)
		}
	}
	got := map[string]int{}
	for _, s := range sensors {
		for k, v := range counts(t, a, s, false) { // through the Distributed tables
			got[k] += v
		}
	}
	equalCounts(t, "cluster totals", got, total)
	// Each sensor is on exactly one shard, and both shards hold some.
	onShard := map[string]int{}
	for i, srv := range []*clickhousetest.Server{a, b} {
		out := srv.Query("SELECT DISTINCT sensor FROM suricron.alerts_local")
		for _, s := range strings.Fields(out) {
			onShard[s]++
			_ = i
		}
		if strings.TrimSpace(out) == "" {
			t.Errorf("shard %d holds no sensor", i+1)
		}
	}
	for _, s := range sensors {
		if onShard[s] != 1 {
			t.Errorf("sensor %s on %d shards, want 1", s, onShard[s])
		}
	}
}
