package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestOversizedLine: a valid 17 MB alert line is over the default 16 MiB
// limit. On the starting code it vanished silently (bad_lines 0, no
// warning); now the run warns at the default level naming the file and the
// line number, the metrics count it, and --max-line-bytes (also [eve]
// max_line_bytes) keeps it.
func TestOversizedLine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binaries")
	}
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	big := strings.Replace(alerts(4, 4), `"in_iface":`, `"payload":"`+strings.Repeat("A", 17<<20)+`","in_iface":`, 1)
	writeFile(t, eve, alerts(1, 3)+big+alerts(5, 6), 0o644)
	conf := emptyConfig(t, dir)
	env := cleanEnv(t)
	digest := func(state string, sink *digestSink, args ...string) result {
		return run(t, env, "alert-digest", append([]string{"-c", conf, "--eve", eve, "--state-dir", state, "--start", "beginning",
			"--max-groups", "1000", "--sendmail", sink.script}, args...)...).want(t, 0, "digest")
	}

	sink := newDigestSink(t, "")
	prom := filepath.Join(dir, "suricron.prom")
	r := digest(filepath.Join(dir, "state1"), sink, "--metrics-file", prom)
	for _, want := range []string{"WARN", "line-size limit", "file=" + eve, "line=4", "max_line_bytes=16777216"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%.2000s", want, r.stderr)
		}
	}
	if got := delivered(t, sink); fmt.Sprint(got) != "[1 2 3 5 6]" {
		t.Errorf("delivered %v, want every alert but the oversized one", got)
	}
	b, err := os.ReadFile(filepath.Join(dir, "suricron-alert-digest.prom")) // the job's own file beside --metrics-file
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "suricron_eve_oversized_lines{") || !hasSample(string(b), "suricron_eve_oversized_lines", "1") {
		t.Errorf("metrics lack suricron_eve_oversized_lines 1:\n%s", b)
	}

	// Raised limit, from a flag and from the config file: the line is kept.
	sink2 := newDigestSink(t, "")
	r = digest(filepath.Join(dir, "state2"), sink2, "--max-line-bytes", "33554432")
	if strings.Contains(r.stderr, "line-size limit") {
		t.Errorf("warned with a limit above the line:\n%.1000s", r.stderr)
	}
	exactlyOnce(t, "digests with --max-line-bytes", sink2.batches(t), 1, 6)
	withLimit := filepath.Join(dir, "limit.toml")
	writeFile(t, withLimit, "[eve]\nmax_line_bytes = 33554432\n", 0o644)
	sink3 := newDigestSink(t, "")
	run(t, env, "alert-digest", "-c", withLimit, "--eve", eve, "--state-dir", filepath.Join(dir, "state3"), "--start", "beginning",
		"--max-groups", "1000", "--sendmail", sink3.script).want(t, 0, "digest with [eve] max_line_bytes")
	exactlyOnce(t, "digests with [eve] max_line_bytes", sink3.batches(t), 1, 6)

	// A limit out of range is a usage error.
	run(t, env, "alert-digest", "-c", conf, "--eve", eve, "--state-dir", filepath.Join(dir, "state4"),
		"--max-line-bytes", "10", "--sendmail", sink3.script).want(t, 2, "--max-line-bytes 10")
}

// delivered returns the record numbers of every digest in s, sorted.
func delivered(t *testing.T, s *digestSink) []int {
	t.Helper()
	var out []int
	for _, b := range s.batches(t) {
		out = append(out, b.Records...)
	}
	sort.Ints(out)
	return out
}

// hasSample reports whether the Prometheus text has a sample of name (any
// labels) with value v.
func hasSample(text, name, v string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, name+"{") || strings.HasPrefix(l, name+" ") {
			f := strings.Fields(l)
			if f[len(f)-1] == v {
				return true
			}
		}
	}
	return false
}
