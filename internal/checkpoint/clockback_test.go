package checkpoint

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestClockBackThenCheckpointedFileDeleted (issue 14): Suricata's clock was
// stepped back after the checkpointed file began, so the next file's first
// timestamp is older than the saved one; then the checkpointed file was
// deleted. On the starting code the next file was skipped whole (its first
// timestamp was not "after" the saved one). Resuming now goes by the order
// and content of the remaining files: everything not known to be read is.
func TestClockBackThenCheckpointedFileDeleted(t *testing.T) {
	for _, withOlder := range []bool{false, true} {
		name := map[bool]string{false: "no older file", true: "an older file read before"}[withOlder]
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			first := 1
			if withOlder {
				// A rotated file read whole before the checkpointed one: it
				// must not be read again.
				w.appendN(w.live, 2)
				w.rotate(true)
				first = 3
			}
			w.appendN(w.live, 3)
			w.expect(w.mustRun(runOpts{start: StartAll}), 1, first+2)
			w.appendN(w.live, 2) // lost with the file below
			w.rotate(true)
			w.clock = w.clock.Add(-time.Hour) // NTP steps the sensor's clock back
			from := w.next
			w.appendN(w.live, 5)
			w.rotate(true)
			// The checkpointed file only; an older one (eve.json.3.gz)
			// stays.
			if err := os.Remove(filepath.Join(w.dir, "eve.json.2.gz")); err != nil {
				t.Fatal(err)
			}
			w.appendN(w.live, 2)
			got, s, err := w.run(runOpts{})
			if err != nil {
				t.Fatal(err)
			}
			w.expect(got, from, w.next-1)
			if s.Stats().Gaps != 1 {
				t.Errorf("gaps %d, want 1", s.Stats().Gaps)
			}
			w.expect(w.mustRun(runOpts{}), 0, -1)
		})
	}
}
