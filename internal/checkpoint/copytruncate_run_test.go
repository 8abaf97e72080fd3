package checkpoint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCopytruncateDuringRun: logrotate's copytruncate lands after a run read
// the live file and before it commits. The commit must succeed (it used to
// fail with "file is shorter than the checkpoint offset", exit 1 after the
// mail had gone out, so every such rotation cost a failed run and a resend)
// and the next run must resume in the copy. In the second case the run read
// eve.json inside the copy→truncate window, so the copy is shorter than what
// it read: it commits at the copy's last line and the next run reads only
// the new file.
func TestCopytruncateDuringRun(t *testing.T) {
	line := func(n int) string {
		return `{"timestamp":"2026-01-05T10:00:0` + string(rune('0'+n)) + `.000000+0000","event_type":"alert","n":` + string(rune('0'+n)) + "}\n"
	}
	for _, tc := range []struct {
		name   string
		copied int // lines of the live file that reached the copy
	}{{"copy holds everything read", 3}, {"opened inside the copy-truncate window", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			live := filepath.Join(dir, "eve.json")
			state := filepath.Join(dir, "state")
			if err := os.WriteFile(live, []byte(line(1)+line(2)+line(3)), 0o644); err != nil {
				t.Fatal(err)
			}
			run := func() []string {
				t.Helper()
				s, err := Open(context.Background(), Config{Consumer: "ct", Live: live, StateDir: state, Start: StartBeginning})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				var got []string
				if err := s.Lines(context.Background(), func(l []byte, _ Position) error {
					got = append(got, string(l))
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if len(got) == 3 {
					// The rotation hits between reading and committing.
					var copyBody string
					for i := 1; i <= tc.copied; i++ {
						copyBody += line(i)
					}
					if err := os.WriteFile(live+".1", []byte(copyBody), 0o644); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(live, []byte(line(4)), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if end := s.End(); !end.IsZero() {
					if err := s.Commit(end, s.BatchID(end), 0); err != nil {
						t.Fatalf("commit after copytruncate: %v", err)
					}
				}
				return got
			}
			if got := run(); len(got) != 3 {
				t.Fatalf("first run read %d lines, want 3", len(got))
			}
			got := run()
			if len(got) != 1 || !strings.Contains(got[0], `"n":4`) {
				t.Fatalf("second run read %q, want only record 4", got)
			}
		})
	}
}
