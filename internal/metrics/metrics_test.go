package metrics

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
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
	path := filepath.Join(dir, "suricron.prom")
	if err := os.WriteFile(path, []byte("old content\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := New(Label{"command", "x"}, Label{"job", `a"b`})
	r.Set("suricron_last_success_timestamp_seconds", "Last success.", 1763712345)
	if err := r.WriteFile(path); err != nil {
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
		if n := e.Name(); n != "suricron.prom" && n != "suricron.prom.lock" {
			t.Errorf("temp file left behind: %s", n)
		}
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "old content") {
		t.Errorf("unparseable old line kept: %q", b)
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

// Two jobs share one file: each write replaces only the writer's own
// samples, and a family both write appears once with both samples.
func TestWriteFileMergesJobs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "suricron.prom")
	send := New(Label{"command", "telemetry-send"}, Label{"job", "send"})
	send.Set("suricron_last_run_timestamp_seconds", "Last run.", 100)
	send.Set("suricron_telemetry_events_sent", "Sent.", 7)
	hb := New(Label{"command", "telemetry-send"}, Label{"job", "heartbeat"})
	hb.Set("suricron_last_run_timestamp_seconds", "Last run.", 200)
	for _, r := range []*Registry{send, hb} {
		if err := r.WriteFile(path); err != nil {
			t.Fatal(err)
		}
	}
	// The next send run: new values, and a series it no longer records
	// disappears instead of going stale.
	send.Reset()
	send.Set("suricron_last_run_timestamp_seconds", "Last run.", 300)
	if err := send.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `# HELP suricron_last_run_timestamp_seconds Last run.
# TYPE suricron_last_run_timestamp_seconds gauge
suricron_last_run_timestamp_seconds{command="telemetry-send",job="heartbeat"} 200
suricron_last_run_timestamp_seconds{command="telemetry-send",job="send"} 300
`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Error(diff)
	}
}

func TestWriteFileConcurrentWritersKeepEachOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "suricron.prom")
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			r := New(Label{"job", string(rune('a' + i))})
			r.Set("runs", "", float64(i))
			for range 20 {
				if err := r.WriteFile(path); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i := range 6 {
		v, ok, err := ReadValue(path, "runs", Label{"job", string(rune('a' + i))})
		if err != nil || !ok || v != float64(i) {
			t.Errorf("job %d: %v %v %v", i, v, ok, err)
		}
	}
}
