package cli

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/exitcode"
)

func TestRunEveryNeverOverlaps(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 3 s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3200*time.Millisecond)
	defer cancel()
	var running, maxRunning, runs atomic.Int32
	err := RunEvery(ctx, slog.New(slog.DiscardHandler), "1s", func(ctx context.Context) error {
		n := running.Add(1)
		defer running.Add(-1)
		if n > maxRunning.Load() {
			maxRunning.Store(n)
		}
		runs.Add(1)
		select { // slower than the interval
		case <-time.After(1500 * time.Millisecond):
		case <-ctx.Done():
		}
		return exitcode.TempFail(errors.New("lock busy"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if maxRunning.Load() != 1 {
		t.Errorf("%d runs overlapped", maxRunning.Load())
	}
	if r := runs.Load(); r < 2 || r > 3 {
		t.Errorf("%d runs in 3.2 s at 1 s with 1.5 s jobs", r)
	}
}

func TestParseSchedule(t *testing.T) {
	for _, ok := range []string{"5m", "1h30m", "*/5 * * * *", "0 7 * * 1"} {
		if _, err := ParseSchedule(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	if _, err := ParseSchedule("10ms"); err == nil {
		t.Error("10ms accepted")
	}
}

// TestEveryBadSpecOneLine: a bad --every is one clear line on stderr, exit
// 2, before any run (issue 20: gocron's error took two lines).
func TestEveryBadSpecOneLine(t *testing.T) {
	for _, spec := range []string{"bogus", "61 * * * *", "* * * *"} {
		code, cmd, _, stderr := run(t, []string{"-c", "/dev/null", "--every", spec}, nil)
		if code != exitcode.ExitUsage || cmd.ran.cmd != nil {
			t.Errorf("%q: exit %d, ran %v", spec, code, cmd.ran.cmd != nil)
		}
		if strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 || !strings.Contains(stderr, `--every "`+spec+`": neither a duration`) {
			t.Errorf("%q: stderr %q", spec, stderr)
		}
	}
}
