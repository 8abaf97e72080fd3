package reliability

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/sharedtest"
	"github.com/suricron/suricron/tools/soak/soak"
)

// TestClockBackThenCheckpointedFileDeleted (issue 14): Suricata's clock is
// stepped back an hour, the real logrotate rotates twice (Debian's stanza),
// and the file alert-digest's checkpoint points into is deleted. On the
// starting code the file written after the step (its first timestamp older
// than the saved one) was skipped whole: 5 alerts never mailed. Now every
// alert still in a file is mailed, once.
func TestClockBackThenCheckpointedFileDeleted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binaries")
	}
	lr := sharedtest.Logrotate(t)
	c := newDigestCase(t, "") // 1..5 mailed at now-1h.., 6..10 appended
	conf := filepath.Join(c.dir, "logrotate.conf")
	writeFile(t, conf, fmt.Sprintf("%s {\n\trotate 14\n\tmissingok\n\tcompress\n\tcreate\n}\n", c.eve), 0o644)
	rotate := func() {
		t.Helper()
		if out, err := exec.Command(lr, "-f", "-s", filepath.Join(c.dir, "lr.state"), conf).CombinedOutput(); err != nil {
			t.Fatalf("logrotate: %v\n%s", err, out)
		}
	}
	rotate() // 6..10 (unmailed) are lost with this file below
	var back strings.Builder
	t0 := time.Now().Add(-3 * time.Hour) // the clock stepped back
	for n := 11; n <= 15; n++ {
		back.WriteString(soak.AlertLine(n, t0.Add(time.Duration(n)*time.Millisecond)))
	}
	appendFile(t, c.eve, back.String())
	rotate()
	if err := os.Remove(c.eve + ".2.gz"); err != nil { // the checkpointed file
		t.Fatal(err)
	}
	appendFile(t, c.eve, alerts(16, 17))
	r := c.run(t, "--sendmail", c.sink.script).want(t, 0, "digest after the clock step and the deletion")
	if !strings.Contains(r.stderr, "checkpointed file not found") {
		t.Errorf("the gap was not warned about:\n%s", r.stderr)
	}
	var got []int
	for _, b := range c.sink.batches(t) {
		got = append(got, b.Records...)
	}
	seen := map[int]int{}
	for _, n := range got {
		seen[n]++
	}
	for n := 1; n <= 17; n++ {
		want := 1
		if n >= 6 && n <= 10 {
			want = 0 // in the deleted file only
		}
		if seen[n] != want {
			t.Errorf("alert %d mailed %d times, want %d", n, seen[n], want)
		}
	}
}
