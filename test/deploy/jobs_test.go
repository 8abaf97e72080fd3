package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/metrics"
)

// jobSetup says where one full round of jobs runs: built binaries with
// temp paths, or the installed .deb as the suricron user.
type jobSetup struct {
	bin       func(cmd string) string
	wrap      []string // command prefix, e.g. runuser -u suricron --
	config    string
	dir       string                                   // temp dir for the sample, token, sids (readable by the job user)
	common    []string                                 // flags every job gets (e.g. --state-dir for temp runs)
	rules     []string                                 // rules-update flags besides --url
	mail      []string                                 // transport flags of alert-digest and weekly-report
	checkMail func(t *testing.T, header, value string) // a delivered message carries header: value
	metrics   string                                   // --metrics-file
	env       []string
	chown     [2]int // uid, gid to own the token file (the job user); zero: unchanged
}

// telemetryServer is the ET Pro Telemetry API as the jobs use it, over
// TLS: events (201), heartbeat and sensor info.
type telemetryServer struct {
	*httptest.Server
	token              string
	mu                 sync.Mutex
	events, heartbeats int
	bodies             [][]byte
}

func newTelemetryServer(t *testing.T, token string) *telemetryServer {
	ts := &telemetryServer{token: token}
	ts.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		ts.mu.Lock()
		defer ts.mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/event":
			if !json.Valid(body) {
				http.Error(w, "not JSON", http.StatusBadRequest)
				return
			}
			ts.events++
			ts.bodies = append(ts.bodies, body)
			w.WriteHeader(http.StatusCreated)
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/telemetry":
			ts.heartbeats++
			w.WriteHeader(http.StatusCreated)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/sensorinfo":
			io.WriteString(w, `{"sensor_status":"ACTIVE"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// caFile writes the server's certificate for SSL_CERT_FILE.
func (ts *telemetryServer) caFile(t *testing.T, dir string) string {
	p := filepath.Join(dir, "telemetry-ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeSample generates a small eve.json (alerts, flows, stats) ending
// now, the matching rules tarball, and the list of alert sids.
func writeSample(t *testing.T, dir string) (eve, tarball, sids string) {
	t.Helper()
	eve = filepath.Join(dir, "eve.json")
	tarball = filepath.Join(dir, "rules.tar.gz")
	r := runCmd(t, nil, filepath.Join(binDir(t), "evegen"), "-seed", "8", "-start", "now-90m", "-duration", "1h",
		"-eps", "5", "-restarts", "0", "-out", eve, "-rules-tarball", tarball, "-q")
	if r.code != 0 {
		t.Fatalf("evegen: %s", r)
	}
	f, err := os.Open(eve)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[int64]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev struct {
			Type  string `json:"event_type"`
			Alert struct {
				SID int64 `json:"signature_id"`
			} `json:"alert"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Type == "alert" {
			seen[ev.Alert.SID] = true
		}
	}
	if len(seen) == 0 {
		t.Fatal("sample has no alerts")
	}
	var buf bytes.Buffer
	for sid := range seen {
		buf.WriteString(strconv.FormatInt(sid, 10) + "\n")
	}
	sids = filepath.Join(dir, "telemetry_sids.txt")
	if err := os.WriteFile(sids, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{eve, tarball} {
		os.Chmod(p, 0o644)
	}
	return eve, tarball, sids
}

// runAllJobs runs every job of the cron file once against a generated
// sample, with the given config, and checks that each succeeded and did
// its work: rules installed, digest mailed, alerts uploaded (the exact
// bytes dump-data previewed), heartbeat and status answered, aggregates
// collected, the report rendered and mailed, metrics written.
func runAllJobs(t *testing.T, s jobSetup) {
	eve, tarball, sids := writeSample(t, s.dir)
	const token = "deploy-test-token"
	tokenFile := filepath.Join(s.dir, "telemetry.token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s.chown != [2]int{} {
		if err := os.Chown(tokenFile, s.chown[0], s.chown[1]); err != nil {
			t.Fatal(err)
		}
	}
	if s.chown != [2]int{} {
		if err := os.Chown(tokenFile, s.chown[0], s.chown[1]); err != nil {
			t.Fatal(err)
		}
	}
	ts := newTelemetryServer(t, token)
	env := append(slices.Clone(s.env), "SSL_CERT_FILE="+ts.caFile(t, s.dir))

	job := func(want int, cmd string, args ...string) result {
		t.Helper()
		full := append([]string{"--config", s.config}, s.common...)
		if s.metrics != "" && cmd != "dump-data" {
			full = append(full, "--metrics-file", s.metrics)
		}
		full = append(full, args...)
		argv := append(slices.Clone(s.wrap), s.bin(cmd))
		argv = append(argv, full...)
		r := runCmd(t, env, argv[0], argv[1:]...)
		if r.code != want {
			t.Fatalf("%s %s: want exit %d\n%s", cmd, strings.Join(full, " "), want, r)
		}
		return r
	}
	fresh := []string{"--eve", eve, "--start", "beginning", "--reset-state"}
	tel := []string{"--token-file", tokenFile, "--sids-file", sids, "--endpoint", ts.URL, "--no-interfaces"}

	// Rules from a file:// tarball, installed; the second run has nothing
	// to do.
	job(0, "rules-update", append([]string{"--url", "file://" + tarball, "--min-rules", "1", "-q"}, s.rules...)...)
	if r := job(0, "rules-update", append([]string{"--url", "file://" + tarball, "--min-rules", "1", "--report-format", "json"}, s.rules...)...); !strings.Contains(r.stdout, `"changed": false`) && !strings.Contains(r.stdout, `"changed":false`) {
		t.Errorf("second rules-update changed the rules:\n%s", r)
	}

	// The digest, mailed.
	dry := job(0, "alert-digest", append(append(slices.Clone(fresh), "--dry-run"), s.mail...)...)
	batch := headerValue(dry.stdout, "X-Suricron-Batch")
	if batch == "" {
		t.Fatalf("no batch id in the dry run:\n%.2000s", dry.stdout)
	}
	job(0, "alert-digest", append(slices.Clone(fresh), s.mail...)...)
	s.checkMail(t, "X-Suricron-Batch", batch)

	// Preview, then the upload of exactly those bytes.
	preview := job(0, "dump-data", "--eve", eve, "--start", "beginning", "-p", "--sids-file", sids, "--no-interfaces")
	var want []string
	for l := range strings.Lines(preview.stdout) {
		want = append(want, strings.TrimSuffix(l, "\n"))
	}
	if len(want) == 0 {
		t.Fatal("dump-data -p previewed nothing")
	}
	job(0, "telemetry-send", append(append(slices.Clone(fresh), tel...), "send")...)
	ts.mu.Lock()
	var got []string
	for _, b := range ts.bodies {
		got = append(got, string(bytes.TrimSpace(b)))
	}
	ts.mu.Unlock()
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		t.Errorf("uploaded %d events, dump-data previewed %d; they differ", len(got), len(want))
	}
	job(0, "telemetry-send", append(slices.Clone(tel), "heartbeat")...)
	if r := job(0, "telemetry-send", append(slices.Clone(tel), "status")...); !strings.Contains(r.stdout, "ACTIVE") {
		t.Errorf("status printed %q", r.stdout)
	}
	if ts.heartbeats != 1 {
		t.Errorf("%d heartbeats received", ts.heartbeats)
	}

	// Weekly report: the hourly collect, then a render of the last day,
	// as JSON and as the HTML mail.
	job(0, "weekly-report", append(slices.Clone(fresh), "--collect-only")...)
	r := job(0, "weekly-report", "--eve", eve, "--since", "1d", "--format", "json")
	var rep struct {
		Alerts struct {
			Total int64 `json:"total"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Alerts.Total == 0 {
		t.Errorf("weekly-report JSON: %v, %d alerts\n%.1000s", err, rep.Alerts.Total, r.stdout)
	}
	to := "weekly-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@sensor.test"
	job(0, "weekly-report", append([]string{"--eve", eve, "--since", "1d", "--mail", "--to", to}, s.mail...)...)
	s.checkMail(t, "To", to)

	if s.metrics != "" {
		for _, j := range [][2]string{{"rules-update", "rules-update"}, {"alert-digest", "alert-digest"},
			{"telemetry-send", "send"}, {"telemetry-send", "heartbeat"}, {"weekly-report", "collect"}, {"weekly-report", "report"}} {
			lb := []metrics.Label{{Name: "command", Value: j[0]}, {Name: "job", Value: j[1]}}
			if v, ok, err := metrics.ReadValue(metrics.New(lb...).File(s.metrics), "suricron_last_run_exit_code", lb...); err != nil || !ok || v != 0 {
				t.Errorf("metrics of %s/%s: exit code %v (%v, %v)", j[0], j[1], v, ok, err)
			}
		}
		if v, _, _ := metrics.ReadValue(filepath.Join(filepath.Dir(s.metrics), "suricron-telemetry-send-send.prom"), "suricron_telemetry_events_sent",
			metrics.Label{Name: "command", Value: "telemetry-send"}, metrics.Label{Name: "job", Value: "send"}); int(v) != len(want) {
			t.Errorf("suricron_telemetry_events_sent %v, uploaded %d", v, len(want))
		}
	}
}

// headerValue finds a header in an RFC 5322 message (CRLF or LF).
func headerValue(msg, name string) string {
	for l := range strings.Lines(msg) {
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
