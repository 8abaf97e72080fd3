package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// manyDays is n alerts spread over the days of 2026-W46, so that one
// collect writes several day files before the carry.
func manyDays(n int) []string {
	var l []string
	for i := range n {
		day := fmt.Sprintf("%02d", 9+i%7)
		l = append(l, alertLine(ts(day, fmt.Sprintf("%02d:%02d", i/60%24, i%60)), 1000000+i%37, 1+i%3,
			fmt.Sprintf("ET TEST rule %d", i%37), "203.0.113.9", 40000+i%1000, "192.168.1.20", 22))
	}
	return l
}

func weekTotal(t *testing.T, eve, state string) int64 {
	t.Helper()
	var out bytes.Buffer
	err := Run(context.Background(), Config{Eve: eve, StateDir: state, Week: "2026-W46", Format: "json", Location: time.UTC},
		Deps{Now: func() time.Time { return fixedNow }, Hostname: "s", Stdout: &out})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	return r.Alerts.Total
}

// TestFailedStateWriteNeverDoubleCounts (issue 14): a collect whose write of
// the k-th state file fails (EIO, a full disk) exits non-zero; the retry
// reads the same pending batch again and must not add what the failed run
// already wrote. Every write position is tried, including the carry (the
// last write) and the first day.
func TestFailedStateWriteNeverDoubleCounts(t *testing.T) {
	const alerts = 100
	lines := manyDays(alerts)
	for fail := 1; fail <= 9; fail++ {
		for _, errno := range []syscall.Errno{syscall.EIO, syscall.ENOSPC} {
			t.Run(fmt.Sprintf("write%d-%v", fail, errno), func(t *testing.T) {
				eve := writeFixture(t, lines)
				state := t.TempDir()
				writes := 0
				failing := Deps{Now: func() time.Time { return fixedNow }, Hostname: "s", Stdout: &bytes.Buffer{},
					writeState: func(path string, data []byte) error {
						if strings.HasSuffix(filepath.Dir(path), "weekly-report") || strings.HasSuffix(filepath.Dir(path), "days") {
							if writes++; writes == fail {
								return fmt.Errorf("write %s: %w", path, errno)
							}
						}
						return writeAtomic(path, data)
					}}
				cfg := Config{Eve: eve, StateDir: state, Start: "beginning", CollectOnly: true, Location: time.UTC}
				err := Run(context.Background(), cfg, failing)
				if writes >= fail && !errors.Is(err, errno) {
					t.Fatalf("failing collect: err = %v, want %v", err, errno)
				}
				cfg.Start = ""
				if err := Run(context.Background(), cfg, Deps{Now: failing.Now, Hostname: "s", Stdout: &bytes.Buffer{}}); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if got := weekTotal(t, eve, state); got != alerts {
					t.Errorf("after a failed write #%d and a retry: %d alerts reported, want %d", fail, got, alerts)
				}
			})
		}
	}
}
