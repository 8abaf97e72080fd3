package checkpoint

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/buger/jsonparser"
	"path/filepath"
	"testing"
)

// TestRenamedFileStillBeingWritten: after logrotate's rename and before the
// HUP, Suricata still appends to eve.json.1. A run in that window sees a
// half-written record at its end; it must not skip past it (soak finding:
// one record lost).
func TestRenamedFileStillBeingWritten(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 2)
	w.rename("eve.json", "eve.json.1")
	w.touch(w.live) // created, but the writer has not reopened yet
	rec := w.record(5)
	old := filepath.Join(w.dir, "eve.json.1")
	w.appendRaw(old, rec[:30])
	w.expect(w.mustRun(runOpts{}), 3, 4)
	w.appendRaw(old, rec[30:]) // the writer finishes the record, then HUPs
	w.next = 6
	w.appendN(w.live, 2)
	w.expect(w.mustRun(runOpts{}), 5, 7)
}

// TestLiveMissingDuringRotation: between logrotate's rename and create there
// is no eve.json; that is "try again", not a failure.
func TestLiveMissingDuringRotation(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.rename("eve.json", "eve.json.1")
	_, _, err := w.run(runOpts{})
	if !errors.Is(err, ErrRotating) {
		t.Fatalf("%v, want ErrRotating (exit 75)", err)
	}
	os.Remove(filepath.Join(w.dir, "eve.json.1"))
	_, _, err = w.run(runOpts{})
	if err == nil || errors.Is(err, ErrRotating) {
		t.Fatalf("no eve files at all: %v, want a plain failure (exit 1)", err)
	}
}

// TestCopytruncateRegrowDuringRun: copytruncate runs, and the writer writes
// past the old offset, after a run read the live file but before it
// commits. The commit must anchor in the copy, so the next run neither
// re-reads the copy nor skips the new live data (soak finding: a whole file
// re-sent under a new batch id).
func TestCopytruncateRegrowDuringRun(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 3)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 3)
	s := w.open()
	var n int
	s.Lines(t.Context(), func([]byte, Position) error { n++; return nil })
	b, _ := os.ReadFile(w.live)
	os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644)
	os.Truncate(w.live, 0)
	w.clock = w.clock.Add(3600e9)
	w.appendN(w.live, 10) // longer than the old content
	if err := s.Commit(s.End(), "", 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if n != 3 {
		t.Fatalf("read %d", n)
	}
	w.expect(w.mustRun(runOpts{}), 7, 16)
}

// TestPendingPastCopyEnd: a run read eve.json up to Y, recorded the batch as
// pending and was killed; copytruncate's copy then held less than Y (the
// bytes after the copy were written inside logrotate's window). The retry
// must still be that batch, under its id, not a new batch that repeats it
// (soak finding).
func TestPendingPastCopyEnd(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 3)
	b, _ := os.ReadFile(w.live) // logrotate copies here...
	w.appendN(w.live, 2)        // ...these two land in the window
	s := w.open()
	s.Lines(t.Context(), func([]byte, Position) error { return nil })
	id := s.BatchID(s.End())
	if err := s.Prepare(s.End(), id); err != nil {
		t.Fatal(err)
	}
	s.Close() // killed after the mail was accepted
	os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644)
	os.Truncate(w.live, 0) // ...and truncates
	w.clock = w.clock.Add(3600e9)
	w.appendN(w.live, 2)
	s2 := w.open()
	var got []int
	s2.Lines(t.Context(), func(l []byte, _ Position) error {
		n, _ := jsonparser.GetInt(l, "n")
		got = append(got, int(n))
		return nil
	})
	w.expect(got, 3, 5) // what is left of the pending batch, alone
	if s2.BatchID(s2.End()) != id {
		t.Errorf("the resend got a new batch id")
	}
	if err := s2.Commit(s2.End(), id, 0); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	w.expect(w.mustRun(runOpts{}), 8, 9)
}

// TestTruncatedWhileReading: copytruncate empties eve.json and the writer
// refills it past the offset being read. The run must stop at the last line
// it read from the old content, not hand out new lines at old offsets
// (soak finding: telemetry-send re-sent 124 alerts in a second batch).
func TestTruncatedWhileReading(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 15000) // ~2 MB: more than one 1 MiB read
	s := w.open()
	var got []int
	truncated := false
	s.Lines(t.Context(), func(l []byte, _ Position) error {
		n, err := jsonparser.GetInt(l, "n")
		if err != nil {
			t.Fatalf("a misaligned line was handed out: %.60q", l)
		}
		got = append(got, int(n))
		if !truncated {
			// copytruncate strikes after the first line was read.
			truncated = true
			b, _ := os.ReadFile(w.live)
			os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644)
			os.Truncate(w.live, 0)
			w.clock = w.clock.Add(3600e9)
			w.appendN(w.live, 30000) // the writer refills past our offset
		}
		return nil
	})
	for i, n := range got {
		if n != 3+i {
			t.Fatalf("line %d is record %d: new content read at old offsets", i, n)
		}
	}
	if err := s.Commit(s.End(), "", 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// The next run: the rest of the old content from the copy, then the
	// new file whole, each record once.
	next := w.mustRun(runOpts{})
	all := append(got, next...)
	w.expect(all, 3, w.next-1)
}

// TestCommittedPastCopyEnd: a run read and committed eve.json past what
// copytruncate's copy then kept (the window); the next run must go on with
// the newer data, not take the short copy for a rewritten file and send it
// all again (soak finding: 1,656 alerts in a second batch).
func TestCommittedPastCopyEnd(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 3)
	b, _ := os.ReadFile(w.live)          // logrotate copies here...
	w.appendN(w.live, 2)                 // ...these land in the window...
	w.expect(w.mustRun(runOpts{}), 3, 7) // ...and a run reads and commits them
	os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644)
	os.Truncate(w.live, 0) // the truncate
	w.clock = w.clock.Add(3600e9)
	w.appendN(w.live, 2)
	w.expect(w.mustRun(runOpts{}), 8, 9)
}

// TestPendingResendTruncatedMidway: the resend of a pending batch is cut by
// copytruncate halfway through; the rest comes from the copy, so the resend
// is the whole batch under its id (soak finding: 564 alerts re-sent in a
// batch of their own).
func TestPendingResendTruncatedMidway(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 15000)
	s := w.open()
	s.Lines(t.Context(), func([]byte, Position) error { return nil })
	id := s.BatchID(s.End())
	if err := s.Prepare(s.End(), id); err != nil {
		t.Fatal(err)
	}
	s.Close() // killed after delivery
	s2 := w.open()
	var got []int
	s2.Lines(t.Context(), func(l []byte, _ Position) error {
		n, err := jsonparser.GetInt(l, "n")
		if err != nil {
			t.Fatalf("misaligned line %.60q", l)
		}
		if len(got) == 0 {
			b, _ := os.ReadFile(w.live)
			os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644)
			os.Truncate(w.live, 0)
			w.clock = w.clock.Add(3600e9)
			w.appendN(w.live, 30000)
		}
		got = append(got, int(n))
		return nil
	})
	w.expect(got, 3, 15002)
	if s2.BatchID(s2.End()) != id {
		t.Error("the resend is not the pending batch")
	}
	if err := s2.Commit(s2.End(), id, 0); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	w.expect(w.mustRun(runOpts{}), 15003, w.next-1)
}

// TestSameTornFragmentHeads: two files that both begin with the same torn
// fragment (second halves of cut lines are often byte-identical) are
// different files; the identity must not stop at the fragment (soak
// finding: a copy taken for the live file, re-read from its start).
func TestSameTornFragmentHeads(t *testing.T) {
	w := newWorld(t)
	frag := `"action":"allowed","gid":1,"signature_id":2900001}}` + "\n"
	w.appendRaw(w.live, frag)
	w.appendN(w.live, 3)
	w.expect(w.mustRun(runOpts{start: StartBeginning}), 1, 3)
	w.appendN(w.live, 1)
	b, _ := os.ReadFile(w.live)
	os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644) // copytruncate
	os.Truncate(w.live, 0)
	w.appendRaw(w.live, frag)
	w.appendN(w.live, 2)
	w.expect(w.mustRun(runOpts{}), 4, 6)
}

func TestHeadHash(t *testing.T) {
	rec := `{"timestamp":"2026-11-20T10:00:00.000001+0000","event_type":"flow"}` + "\n"
	tests := []struct {
		name, in string
		wantLen  int
	}{
		{"record", rec + rec, len(rec)},
		{"fragment then record", `x":1}}` + "\n" + rec, len(`x":1}}`+"\n") + len(rec)},
		{"fragment only", `x":1}}` + "\n", 0},
		{"partial record", rec[:20], 0},
		{"leading NULs", "\x00\x00" + rec, len(rec)},
		{"long first line", strings.Repeat("y", headMax+10), headMax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, n := headHash([]byte(tc.in))
			if n != tc.wantLen || (n == 0) != (h == "") {
				t.Errorf("len %d hash %q, want len %d", n, h, tc.wantLen)
			}
		})
	}
}

// TestTruncatedBetweenOpenAndCheck: copytruncate empties eve.json right
// after a run opened it, before the saved anchor was checked; the run must
// go on in the copy from the saved offset, not take eve.json for a
// rewritten file and read the copy again from its start (soak finding).
func TestTruncatedBetweenOpenAndCheck(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 5)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 3)
	lc, err := openCandidate(w.live, true) // the run's open...
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(w.live)
	os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644) // ...then copytruncate
	os.Truncate(w.live, 0)
	w.clock = w.clock.Add(3600e9)
	w.appendN(w.live, 2)
	st, err := ReadState(w.state, "test", w.live)
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{cfg: Config{Consumer: "test", Live: w.live, StateDir: w.state, Globs: []string{w.live + ".*"}, Now: time.Now},
		log: slog.New(slog.DiscardHandler), state: st, base: *st, cands: []*candidate{lc}}
	if err := s.planResume(); err != nil {
		t.Fatal(err)
	}
	var got []int
	s.Lines(t.Context(), func(l []byte, _ Position) error {
		n, _ := jsonparser.GetInt(l, "n")
		got = append(got, int(n))
		return nil
	})
	s.Close()
	w.expect(got, 6, 8)
}

// TestLiveOnlyFragmentAfterCopytruncate: copytruncate cut a record, so the
// new eve.json holds only its torn end (no record, no identity yet). A run
// that read the copy and then that fragment must not save "nothing read"
// for eve.json: the next run, seeing the copy just compressed (a recent
// mtime), re-read it whole under a new batch id (soak finding, 420 alerts
// sent twice). Trace of the soak: run 88/89 in tools/soak's trace.log.
func TestLiveOnlyFragmentAfterCopytruncate(t *testing.T) {
	for _, pending := range []bool{false, true} {
		t.Run(map[bool]string{false: "committed", true: "killed after send"}[pending], func(t *testing.T) {
			w := newWorld(t)
			w.appendN(w.live, 3)
			w.mustRun(runOpts{start: StartBeginning})
			w.appendN(w.live, 3) // 4..6
			cut := w.record(7)
			w.next = 8
			w.appendRaw(w.live, cut[:40])
			b, _ := os.ReadFile(w.live)
			os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644)
			os.Truncate(w.live, 0)
			w.appendRaw(w.live, cut[40:]) // the writer finishes record 7 in the new file
			if !pending {
				w.expect(w.mustRun(runOpts{}), 4, 6)
			} else {
				s := w.open()
				w.expect(numbers(t, s), 4, 6)
				id := s.BatchID(s.End())
				if err := s.Prepare(s.End(), id); err != nil {
					t.Fatal(err)
				}
				s.Close() // killed after the receiver acknowledged
				s2 := w.open()
				w.expect(numbers(t, s2), 4, 6)
				if s2.BatchID(s2.End()) != id {
					t.Errorf("the resend got a new batch id")
				}
				if err := s2.Commit(s2.End(), id, 0); err != nil {
					t.Fatal(err)
				}
				s2.Close()
			}
			w.gzip("eve.json.1") // logrotate compresses the copy: a new, recent file
			w.appendN(w.live, 2)
			w.expect(w.mustRun(runOpts{}), 8, 9)
		})
	}
}

// TestHostClockStepsBack: the host's clock was an hour ahead when a run
// committed, then was stepped back (NTP), so every file written since has
// an mtime before the saved commit time. Resuming must not depend on it,
// neither from a position in a file nor from an empty eve.json (where the
// state names the file before it instead of trusting mtimes).
func TestHostClockStepsBack(t *testing.T) {
	ahead := func() time.Time { return time.Now().Add(time.Hour) }
	t.Run("position in a file", func(t *testing.T) {
		w := newWorld(t)
		w.appendN(w.live, 3)
		w.expect(w.mustRun(runOpts{start: StartBeginning, now: ahead}), 1, 3)
		w.appendN(w.live, 2)
		w.rotate(true)
		w.appendN(w.live, 2)
		w.expect(w.mustRun(runOpts{}), 4, 7)
	})
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("empty eve.json, compress=%v", compress), func(t *testing.T) {
			w := newWorld(t)
			w.appendN(w.live, 3)
			w.rotate(true) // 1..3 are history, before the first run
			w.expect(w.mustRun(runOpts{now: ahead}), 0, -1)
			w.appendN(w.live, 3) // 4..6, after the commit
			w.rotate(compress)
			w.appendN(w.live, 2)
			w.expect(w.mustRun(runOpts{}), 4, 8)
			w.expect(w.mustRun(runOpts{}), 0, -1)
		})
	}
}

// TestSameHead: the truncation guard's check after every read of eve.json
// compares only the identity's bytes, so it must still tell every change
// of the file's start from growth at its end.
func TestSameHead(t *testing.T) {
	w := newWorld(t)
	rec := w.record(1) + w.record(2)
	cases := []struct {
		name, before, after string
		same                bool
	}{
		{"unchanged", rec, rec, true},
		{"appended", rec, rec + w.record(3), true},
		{"truncated to nothing", rec, "", false},
		{"truncated and rewritten", rec, w.record(3) + w.record(4), false},
		{"same bytes after more NULs", "\x00\x00" + rec, "\x00\x00\x00" + rec, false},
		{"NUL prefix kept", "\x00\x00" + rec, "\x00\x00" + rec + w.record(3), true},
		{"first record cut short", rec, rec[:20], false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "eve.json")
			os.WriteFile(p, []byte(tc.before), 0o644)
			c, err := openCandidate(p, true)
			if err != nil {
				t.Fatal(err)
			}
			defer c.f.Close()
			os.WriteFile(p, []byte(tc.after), 0o644) // truncates in place: same inode
			if got := c.sameHead(); got != tc.same {
				t.Errorf("sameHead = %v, want %v", got, tc.same)
			}
		})
	}
}
