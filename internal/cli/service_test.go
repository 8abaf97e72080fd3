package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/exitcode"
)

// TestRunEveryNeverOverlaps holds the first run past two intervals: no
// second run may start until it ends, and the service goes on running
// afterwards. Asserted on the order of events, not on elapsed time.
func TestRunEveryNeverOverlaps(t *testing.T) {
	if testing.Short() {
		t.Skip("holds a run for 2.5 s")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu      sync.Mutex
		events  []string
		running atomic.Int32
		overlap atomic.Bool
		runs    atomic.Int32
	)
	release := make(chan struct{})
	third := make(chan struct{})
	log := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
	done := make(chan error, 1)
	go func() {
		done <- RunEvery(ctx, slog.New(slog.DiscardHandler), "1s", func(ctx context.Context) error {
			if running.Add(1) > 1 {
				overlap.Store(true)
			}
			defer running.Add(-1)
			n := runs.Add(1)
			log(fmt.Sprintf("start %d", n))
			defer log(fmt.Sprintf("end %d", n))
			switch n {
			case 1: // slower than the interval
				select {
				case <-release:
				case <-ctx.Done():
				}
			case 3:
				close(third)
			}
			return exitcode.TempFail(errors.New("lock busy"))
		})
	}()
	// Give the scheduler two intervals' worth of chances to overlap.
	time.Sleep(2500 * time.Millisecond)
	close(release)
	select {
	case <-third:
	case <-time.After(60 * time.Second):
		t.Fatal("no third run within 60 s after the slow first run ended")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("RunEvery did not return within 60 s of its context ending")
	}
	if overlap.Load() {
		t.Error("runs overlapped")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"start 1", "end 1", "start 2", "end 2", "start 3"}; len(events) < len(want) || !slices.Equal(events[:len(want)], want) {
		t.Errorf("events %v, want them to begin %v", events, want)
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
