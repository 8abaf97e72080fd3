package metrics

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteTextFormat(t *testing.T) {
	r := New(Label{"command", "alert-digest"})
	r.Set("suricron_z_last", "Last thing.", 3)
	r.Add("suricron_a_total", "Lines read.\nSecond line \\ with backslash.", 2, Label{"kind", `bad "q" \ x` + "\n" + "y"})
	r.Add("suricron_a_total", "ignored: the first help wins", 5, Label{"kind", `bad "q" \ x` + "\n" + "y"})
	r.Add("suricron_a_total", "", 1, Label{"kind", "ok"})
	r.Set("suricron_ratio", "Ratio.", 0.125)
	r.Set("suricron_inf", "Inf.", math.Inf(1))
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `# HELP suricron_a_total Lines read.\nSecond line \\ with backslash.
# TYPE suricron_a_total counter
suricron_a_total{command="alert-digest",kind="bad \"q\" \\ x\ny"} 7
suricron_a_total{command="alert-digest",kind="ok"} 1
# HELP suricron_inf Inf.
# TYPE suricron_inf gauge
suricron_inf{command="alert-digest"} +Inf
# HELP suricron_ratio Ratio.
# TYPE suricron_ratio gauge
suricron_ratio{command="alert-digest"} 0.125
# HELP suricron_z_last Last thing.
# TYPE suricron_z_last gauge
suricron_z_last{command="alert-digest"} 3
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Error(diff)
	}
}

func TestLargeValuesKeepPrecision(t *testing.T) {
	// A Unix time in seconds must not be printed as 1.7e+09 rounded to
	// the nearest 100 s.
	r := New()
	r.Set("t", "", 1763712345.5)
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\nt 1.7637123455e+09\n") {
		t.Errorf("got %q", b.String())
	}
}

func TestInvalidNamesRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		label string
	}{{"9bad", "ok"}, {"bad-name", "ok"}, {"ok", "bad:label"}, {"ok", "__reserved"}, {"", "ok"}} {
		r := New()
		r.Set(tc.name, "", 1, Label{tc.label, "v"})
		if err := r.WriteText(&bytes.Buffer{}); err == nil {
			t.Errorf("%q{%q} accepted", tc.name, tc.label)
		}
	}
}

func TestNilRegistryIsANoOp(t *testing.T) {
	var r *Registry
	r.Set("a", "", 1)
	r.Add("a", "", 1)
	r.Reset()
	if _, ok := r.Value("a"); ok {
		t.Error("nil registry holds a value")
	}
}

func TestConcurrentAdd(t *testing.T) {
	r := New()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				r.Add("n_total", "", 1)
			}
		})
	}
	wg.Wait()
	if v, _ := r.Value("n_total"); v != 8000 {
		t.Errorf("n_total = %v, want 8000", v)
	}
}

func TestWriteFileAtomicAndReadable(t *testing.T) {
	dir := t.TempDir()
	configured := filepath.Join(dir, "suricron.prom")
	r := New(Label{"command", "x"}, Label{"job", `a"b`})
	path := filepath.Join(dir, "suricron-x-a_b.prom")
	if got := r.File(configured); got != path {
		t.Fatalf("File(%s) = %s, want %s", configured, got, path)
	}
	if err := os.WriteFile(path, []byte("old content\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.Set("suricron_last_success_timestamp_seconds", "Last success.", 1763712345)
	if err := r.WriteFile(configured); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 (node_exporter runs as another user)", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if n := e.Name(); n != filepath.Base(path) {
			t.Errorf("file left beside the job's own (temp, lock or the configured name): %s", n)
		}
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "old content") {
		t.Errorf("old content kept: %q", b)
	}
	v, ok, err := ReadValue(path, "suricron_last_success_timestamp_seconds", Label{"job", `a"b`}, Label{"command", "x"})
	if err != nil || !ok || v != 1763712345 {
		t.Errorf("ReadValue = %v, %v, %v", v, ok, err)
	}
	if _, ok, _ := ReadValue(path, "suricron_last_success_timestamp_seconds", Label{"command", "x"}); ok {
		t.Error("matched with a missing label")
	}
	if _, ok, err := ReadValue(filepath.Join(dir, "none.prom"), "x"); ok || err != nil {
		t.Errorf("missing file: ok=%v err=%v", ok, err)
	}
}

// The file name comes from the configured name and the job's labels; it
// always stays in the configured directory and ends in .prom (the only
// files node_exporter reads).
func TestFileNames(t *testing.T) {
	for _, tc := range []struct {
		configured string
		labels     []Label
		want       string
	}{
		{"/m/suricron.prom", []Label{{"command", "alert-digest"}, {"job", "alert-digest"}}, "/m/suricron-alert-digest.prom"},
		{"/m/suricron.prom", []Label{{"command", "telemetry-send"}, {"job", "heartbeat"}}, "/m/suricron-telemetry-send-heartbeat.prom"},
		{"/m/suricron.prom", []Label{{"command", "weekly-report"}, {"job", "collect"}}, "/m/suricron-weekly-report-collect.prom"},
		{"/m/sensor1", []Label{{"command", "rules-update"}, {"job", "rules-update"}}, "/m/sensor1-rules-update.prom"},
		{"/m/suricron.prom", []Label{{"command", "../../etc/x"}, {"job", ".hidden"}}, "/m/suricron-______etc_x-_hidden.prom"},
		{"/m/suricron.prom", nil, "/m/suricron.prom"},
	} {
		if got := New(tc.labels...).File(tc.configured); got != tc.want {
			t.Errorf("File(%s) with %v = %s, want %s", tc.configured, tc.labels, got, tc.want)
		}
	}
}

func TestWriteFileFailsInMissingDir(t *testing.T) {
	r := New()
	r.Set("a", "", 1)
	if err := r.WriteFile(filepath.Join(t.TempDir(), "no", "such", "x.prom")); err == nil {
		t.Error("no error for a missing directory")
	}
}

func TestReset(t *testing.T) {
	r := New(Label{"command", "c"})
	r.Add("a_total", "", 3)
	r.Reset()
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Errorf("after Reset: %q", b.String())
	}
}

// Two jobs of one command (telemetry-send's send and heartbeat, cron's
// separate processes) write separate files; what node_exporter collects
// from the directory holds both, once each, and a series a job no longer
// records disappears instead of going stale.
func TestWriteFileOneFilePerJob(t *testing.T) {
	dir := t.TempDir()
	configured := filepath.Join(dir, "suricron.prom")
	send := New(Label{"command", "telemetry-send"}, Label{"job", "send"})
	send.Set("suricron_last_run_timestamp_seconds", "Last run.", 100)
	send.Set("suricron_telemetry_events_sent", "Sent.", 7)
	hb := New(Label{"command", "telemetry-send"}, Label{"job", "heartbeat"})
	hb.Set("suricron_last_run_timestamp_seconds", "Last run.", 200)
	for _, r := range []*Registry{send, hb} {
		if err := r.WriteFile(configured); err != nil {
			t.Fatal(err)
		}
	}
	send.Reset()
	send.Set("suricron_last_run_timestamp_seconds", "Last run.", 300)
	if err := send.WriteFile(configured); err != nil {
		t.Fatal(err)
	}
	got := collectTextfiles(t, dir)
	want := []string{
		`suricron_last_run_timestamp_seconds{command="telemetry-send",job="heartbeat"} 200`,
		`suricron_last_run_timestamp_seconds{command="telemetry-send",job="send"} 300`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	b, err := os.ReadFile(filepath.Join(dir, "suricron-telemetry-send-heartbeat.prom"))
	if err != nil {
		t.Fatal(err)
	}
	wantHB := `# HELP suricron_last_run_timestamp_seconds Last run.
# TYPE suricron_last_run_timestamp_seconds gauge
suricron_last_run_timestamp_seconds{command="telemetry-send",job="heartbeat"} 200
`
	if diff := cmp.Diff(wantHB, string(b)); diff != "" {
		t.Errorf("the heartbeat's file holds only its own samples:\n%s", diff)
	}
}

// Commands finishing at the same moment never lose each other's metrics:
// each replaces only its own file, whole.
func TestWriteFileConcurrentWritersKeepEachOther(t *testing.T) {
	dir := t.TempDir()
	configured := filepath.Join(dir, "suricron.prom")
	commands := []string{"rules-update", "alert-digest", "telemetry-send", "weekly-report", "eve-ship", "other"}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, c := range commands {
		wg.Go(func() {
			<-start
			r := New(Label{"command", c}, Label{"job", c})
			for n := range 20 {
				r.Set("suricron_last_run_exit_code", "Exit code.", float64(i))
				r.Set("suricron_eve_lines_read", "Lines.", float64(n))
				if err := r.WriteFile(configured); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	got := collectTextfiles(t, dir)
	var want []string
	for i, c := range commands {
		want = append(want,
			fmt.Sprintf(`suricron_eve_lines_read{command=%q,job=%q} 19`, c, c),
			fmt.Sprintf(`suricron_last_run_exit_code{command=%q,job=%q} %d`, c, c, i))
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}
