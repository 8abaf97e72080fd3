package eve

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/suricron/suricron/internal/sharedtest"
)

// checkStatsFast: a record the fast path takes gets the same summary from
// the ObjectEach path, and that path accepts it. Lines that pass only
// Complete's counting shortcut (brackets inside strings making up for
// missing ones outside) are left out, as checkFlow leaves them out: past
// its early stop the fast path does not look, where ObjectEach first
// matches the whole stats object's braces (found by the fuzzer).
func checkStatsFast(t *testing.T, line []byte) bool {
	t.Helper()
	line = bytes.TrimSpace(line)
	if !Complete(line) || !wholeObject(line) {
		return false
	}
	var fast, slow StatsSummary
	if !statsFast(line, &fast) {
		return false
	}
	if err := statsObjectEach(line, &slow); err != nil {
		t.Fatalf("fast path took a record the ObjectEach path rejects (%v):\n%q", err, line)
	}
	if fast != slow {
		t.Fatalf("fast %+v\nslow %+v\n%q", fast, slow, line)
	}
	return true
}

func FuzzStatsFast(f *testing.F) {
	for _, s := range append(slices.Clone(statsSeeds),
		`{"event_type":"stats","stats":{"uptime":1,"capture":null,"decoder":{"pkts":null}},"timestamp":"2026-11-20T10:00:00.000000+0000"}`,
		`{"timestamp":null,"stats":{"uptime":1,"capture":{"kernel_packets":1,"kernel_drops":2,"kernel_ifdrops":3},"decoder":{"x":{"pkts":1},"pkts":4,"y":[}]}}`,
		`{"timestamp":"2026-11-20T10:00:00+0000","stats":[{"uptime":1}]}`,
	) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) { checkStatsFast(t, line) })
}

// The real samples' stats records take the fast path and read the same
// both ways.
func TestStatsFastOnRealEve(t *testing.T) {
	n, fast := 0, 0
	for _, p := range sharedtest.EveSamples(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			if !bytes.Contains(line, []byte(`"event_type":"stats"`)) {
				continue
			}
			n++
			if checkStatsFast(t, line) {
				fast++
			}
		}
	}
	if n == 0 || fast != n {
		t.Fatalf("%d of %d real stats records took the fast path", fast, n)
	}
	t.Logf("%d stats records", n)
}
