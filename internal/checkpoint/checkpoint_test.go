package checkpoint

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Cases numbered as in research/tailing.md §7.

func TestFirstRunStartEnd(t *testing.T) { // §7.1
	w := newWorld(t)
	w.appendN(w.live, 5)
	if got := w.mustRun(runOpts{}); len(got) != 0 {
		t.Fatalf("first run with --start end emitted %v", got)
	}
	w.appendN(w.live, 3)
	w.expect(w.mustRun(runOpts{}), 6, 8) // §7.2
	if got := w.mustRun(runOpts{}); len(got) != 0 {
		t.Fatalf("nothing new, got %v", got)
	}
}

func TestFirstRunStartBeginningAndAll(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 4)
	w.rotate(true)
	w.appendN(w.live, 3)
	w.expect(w.mustRun(runOpts{start: StartBeginning}), 5, 7)

	w2 := newWorld(t)
	w2.appendN(w2.live, 4)
	w2.rotate(true)
	w2.appendN(w2.live, 3)
	w2.expect(w2.mustRun(runOpts{start: StartAll}), 1, 7)
}

func TestNothingNewLeavesStateFileAlone(t *testing.T) { // §7.2
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	p := filepath.Join(w.state, "test.state.json")
	before, _ := os.Stat(p)
	w.mustRun(runOpts{})
	after, _ := os.Stat(p)
	if !before.ModTime().Equal(after.ModTime()) || os.SameFile(before, after) == false {
		t.Error("state rewritten although nothing was read")
	}
}

func TestPartialLastLine(t *testing.T) { // §7.3
	w := newWorld(t)
	w.appendN(w.live, 2)
	rec := w.record(3)
	w.appendRaw(w.live, rec[:20])
	w.expect(w.mustRun(runOpts{start: StartBeginning}), 1, 2)
	w.appendRaw(w.live, rec[20:])
	w.next = 4
	w.expect(w.mustRun(runOpts{}), 3, 3)
}

func TestLongAndOversizeLines(t *testing.T) { // §7.4, §7.5
	w := newWorld(t)
	w.appendN(w.live, 1)
	big := `{"timestamp":"2026-11-20T10:00:02.000000+0000","event_type":"stats","n":2,"pad":"` + strings.Repeat("a", 3<<20) + "\"}\n"
	w.appendRaw(w.live, big)
	w.appendRaw(w.live, "\n\r\nnot json at all\n")
	w.next = 3
	w.appendN(w.live, 1)
	s, err := Open(t.Context(), Config{Consumer: "t", Live: w.live, StateDir: w.state, Start: StartBeginning, MaxLineBytes: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var lens []int
	s.Lines(t.Context(), func(l []byte, _ Position) error { lens = append(lens, len(l)); return nil })
	s.Close()
	if len(lens) != 4 || lens[1] != len(big)-1 {
		t.Errorf("lines %v", lens)
	}
	// Same file, max below the big line: skipped, counted, not fatal.
	s, err = Open(t.Context(), Config{Consumer: "t2", Live: w.live, StateDir: w.state, Start: StartBeginning, MaxLineBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	s.Lines(t.Context(), func(l []byte, _ Position) error { n++; return nil })
	if n != 3 || s.Stats().Oversize != 1 {
		t.Errorf("lines %d oversize %d", n, s.Stats().Oversize)
	}
	if s.End().Offset != mustSize(t, w.live) {
		t.Errorf("end %d, want past the oversize line at %d", s.End().Offset, mustSize(t, w.live))
	}
	s.Close()
}

func mustSize(t *testing.T, p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestMaxEventsBatches(t *testing.T) { // §7.6
	w := newWorld(t)
	w.appendN(w.live, 10)
	w.expect(w.mustRun(runOpts{start: StartBeginning, maxN: 4}), 1, 4)
	w.expect(w.mustRun(runOpts{maxN: 4}), 5, 8)
	w.expect(w.mustRun(runOpts{maxN: 4}), 9, 10)
}

func TestRotations(t *testing.T) {
	tests := []struct {
		name  string
		steps func(w *world)
	}{
		{"rename+create, no compress (§7.7)", func(w *world) { w.appendN(w.live, 3); w.rotate(false); w.appendN(w.live, 2) }},
		{"appends to renamed file before HUP (§7.7)", func(w *world) {
			w.appendN(w.live, 3)
			w.rename("eve.json", "eve.json.1")
			w.touch(w.live)
			w.appendN(filepath.Join(w.dir, "eve.json.1"), 2)
			w.appendN(w.live, 2)
		}},
		{"Debian: compress, no delaycompress (§7.8)", func(w *world) { w.appendN(w.live, 3); w.rotate(true); w.appendN(w.live, 2) }},
		{"three rotations between runs (§7.10)", func(w *world) {
			w.appendN(w.live, 3)
			w.rotate(true)
			w.appendN(w.live, 3)
			w.rotate(true)
			w.appendN(w.live, 3)
			w.rotate(false)
			w.appendN(w.live, 2)
		}},
		{"plain and gz twins mid-compression (§7.11)", func(w *world) {
			w.appendN(w.live, 3)
			w.rotate(false)
			b, _ := os.ReadFile(filepath.Join(w.dir, "eve.json.1"))
			w.gzip("eve.json.1")
			os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644)
			w.appendN(w.live, 2)
		}},
		{"dateext (§7.13)", func(w *world) {
			w.appendN(w.live, 3)
			w.rename("eve.json", "eve.json-20261120")
			w.gzip("eve.json-20261120")
			w.touch(w.live)
			w.appendN(w.live, 3)
			w.rename("eve.json", "eve.json-20261121")
			w.touch(w.live)
			w.appendN(w.live, 2)
		}},
		{"live empty after rotation (§7.14)", func(w *world) { w.appendN(w.live, 3); w.rotate(true) }},
		{"copytruncate (§7.16)", func(w *world) {
			w.appendN(w.live, 3)
			b, _ := os.ReadFile(w.live)
			os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644)
			os.Truncate(w.live, 0)
			w.appendN(w.live, 2)
		}},
		{"copytruncate + compress (§7.17)", func(w *world) {
			w.appendN(w.live, 3)
			b, _ := os.ReadFile(w.live)
			os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644)
			w.gzip("eve.json.1")
			os.Truncate(w.live, 0)
			w.appendN(w.live, 2)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.appendN(w.live, 4)
			w.expect(w.mustRun(runOpts{start: StartBeginning}), 1, 4)
			tc.steps(w)
			w.expect(w.mustRun(runOpts{}), 5, w.next-1)
			w.appendN(w.live, 2)
			w.expect(w.mustRun(runOpts{}), w.next-2, w.next-1)
		})
	}
}

func TestDelaycompressNotReread(t *testing.T) { // §7.9
	w := newWorld(t)
	w.appendN(w.live, 3)
	w.mustRun(runOpts{start: StartBeginning})
	w.rotate(false) // .1 plain
	w.appendN(w.live, 2)
	w.expect(w.mustRun(runOpts{}), 4, 5)
	// Next rotation: .1 -> .2.gz, live -> .1
	w.rename("eve.json.1", "eve.json.2")
	w.gzip("eve.json.2")
	w.rename("eve.json", "eve.json.1")
	w.touch(w.live)
	w.appendN(w.live, 1)
	w.expect(w.mustRun(runOpts{}), 6, 6)
}

func TestTornFragmentAtRotatedStart(t *testing.T) { // §7.15
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 2)
	w.rotate(false)
	// The new live file begins with a torn fragment.
	w.appendRaw(w.live, "\"garbage tail of a torn line\"}\n")
	w.appendN(w.live, 2)
	w.expect(w.mustRun(runOpts{}), 3, 6)
}

func TestTornTailOfRotatedFile(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 1)
	w.appendRaw(w.live, `{"timestamp":"2026-11-20T10:00:09.000000+0000","event_type":"alert","n":99`) // torn
	w.rotate(true)
	w.next = 4
	w.appendN(w.live, 1)
	got, s, err := w.run(runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	w.expect(got, 3, 4)
	if s.Stats().Torn != 1 {
		t.Errorf("torn %d", s.Stats().Torn)
	}
}

func TestTruncateRegrowSameInode(t *testing.T) { // §7.19, §7.23
	w := newWorld(t)
	w.appendN(w.live, 5)
	w.mustRun(runOpts{start: StartBeginning})
	os.Truncate(w.live, 0)
	w.clock = w.clock.Add(3600e9) // new content, new first line
	w.appendN(w.live, 8)
	w.expect(w.mustRun(runOpts{}), 6, 13)
}

func TestAnchorMismatchRereads(t *testing.T) { // §7.20
	w := newWorld(t)
	w.appendN(w.live, 5)
	w.mustRun(runOpts{start: StartBeginning})
	b, _ := os.ReadFile(w.live)
	// Keep the first line, rewrite the rest with different bytes.
	i := bytes.IndexByte(b, '\n')
	rest := strings.ReplaceAll(string(b[i+1:]), "xx", "yy")
	os.WriteFile(w.live, append(b[:i+1:i+1], rest...), 0o644)
	w.next = 6
	w.appendN(w.live, 1)
	got, s, err := w.run(runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	w.expect(got, 1, 6)
	if s.Stats().Gaps != 1 {
		t.Errorf("gaps %d", s.Stats().Gaps)
	}
}

func TestLeadingNULs(t *testing.T) { // §7.22
	w := newWorld(t)
	w.appendRaw(w.live, strings.Repeat("\x00", 5000))
	w.appendN(w.live, 2)
	w.expect(w.mustRun(runOpts{start: StartBeginning}), 1, 2)
}

func TestSenderFailureKeepsState(t *testing.T) { // §7.24
	w := newWorld(t)
	w.appendN(w.live, 3)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 3)
	p := filepath.Join(w.state, "test.state.json")
	before, _ := os.ReadFile(p)
	got, s1, err := w.run(runOpts{fail: errors.New("smtp down")})
	if err == nil {
		t.Fatal("want error")
	}
	id1 := s1.BatchID(s1.End())
	w.expect(got, 4, 6)
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Error("state changed after a failed delivery")
	}
	got, s2, err := w.run(runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	w.expect(got, 4, 6)
	if id2 := s2.BatchID(s2.End()); id1 != id2 {
		t.Errorf("batch id changed on retry: %s vs %s", id1, id2)
	}
}

func TestPendingBatchIsResentIdentically(t *testing.T) { // §7.25
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 3)
	s := w.open()
	s.Lines(t.Context(), func([]byte, Position) error { return nil })
	id := s.BatchID(s.End())
	if err := s.Prepare(s.End(), id); err != nil {
		t.Fatal(err)
	}
	s.Close() // "crash" after the receiver acknowledged, before Commit
	w.appendN(w.live, 2)
	got, s2, err := w.run(runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	w.expect(got, 3, 5) // exactly the pending batch, not the new lines
	if s2.BatchID(s2.End()) != id {
		t.Error("pending batch got a new id")
	}
	w.expect(w.mustRun(runOpts{}), 6, 7)
}

func TestCorruptState(t *testing.T) { // §7.27, §7.28
	bad := map[string]string{
		"garbage":   "hello",
		"empty":     "",
		"nuls":      "\x00\x00\x00\x00",
		"truncated": `{"version":1,"consumer":"test"`,
		"future":    `{"version":2,"consumer":"test","source":"SRC","position":{"head":"","head_len":0,"offset":0,"anchor_len":0},"updated_at":"","lines":0,"bad_lines":0,"gap_warnings":0}`,
		"consumer":  `{"version":1,"consumer":"other","source":"SRC","position":{"head":"","head_len":0,"offset":0,"anchor_len":0},"updated_at":"","lines":0,"bad_lines":0,"gap_warnings":0}`,
		"source":    `{"version":1,"consumer":"test","source":"/elsewhere","position":{"head":"","head_len":0,"offset":0,"anchor_len":0},"updated_at":"","lines":0,"bad_lines":0,"gap_warnings":0}`,
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			w.appendN(w.live, 3)
			os.MkdirAll(w.state, 0o700)
			p := filepath.Join(w.state, "test.state.json")
			os.WriteFile(p, []byte(strings.ReplaceAll(body, "SRC", w.live)), 0o600)
			_, _, err := w.run(runOpts{})
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "--reset-state") {
				t.Fatalf("err %v, want ErrCorrupt (exit 65)", err)
			}
			s, err := Open(t.Context(), Config{Consumer: "test", Live: w.live, StateDir: w.state, Reset: true, Start: StartBeginning})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Lines(t.Context(), func([]byte, Position) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(s.End(), "", 0); err != nil {
				t.Fatal(err)
			}
			s.Close()
			w.appendN(w.live, 1)
			w.expect(w.mustRun(runOpts{}), 4, 4)
		})
	}
}

func TestGapWhenCheckpointedFileDeleted(t *testing.T) { // §7.18, §7.29
	w := newWorld(t)
	w.appendN(w.live, 3)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 2) // 4,5 will be lost with the file
	w.rotate(true)
	w.clock = w.clock.Add(100e9)
	w.appendN(w.live, 2)
	w.rotate(true)
	os.Remove(filepath.Join(w.dir, "eve.json.2.gz")) // retention removed it
	w.appendN(w.live, 2)
	got, s, err := w.run(runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	w.expect(got, 6, 9)
	if s.Stats().Gaps != 1 {
		t.Errorf("gaps %d", s.Stats().Gaps)
	}
}

func TestLockBusy(t *testing.T) { // §7.30
	w := newWorld(t)
	w.appendN(w.live, 1)
	s := w.open()
	_, _, err := w.run(runOpts{})
	if !errors.Is(err, ErrLocked) {
		t.Errorf("second run: %v, want ErrLocked (exit 75)", err)
	}
	// Another consumer is independent (§7.32).
	s2, err := Open(t.Context(), Config{Consumer: "other", Live: w.live, StateDir: w.state})
	if err != nil {
		t.Errorf("other consumer: %v", err)
	} else {
		s2.Close()
	}
	s.Close()
	if _, _, err := w.run(runOpts{}); err != nil {
		t.Errorf("after release: %v", err)
	}
}

func TestRotationDuringRun(t *testing.T) { // §7.33
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 3)
	s := w.open()
	w.rotate(false) // after open, before reading
	w.appendN(filepath.Join(w.dir, "eve.json.1"), 1)
	w.appendN(w.live, 1)
	var n int
	s.Lines(t.Context(), func([]byte, Position) error { n++; return nil })
	if n != 3 {
		t.Errorf("read %d, want the 3 lines present at open", n)
	}
	if err := s.Commit(s.End(), "", 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	w.expect(w.mustRun(runOpts{}), 6, 7)
}

func TestMissingEveFile(t *testing.T) {
	w := newWorld(t)
	os.Remove(w.live)
	_, _, err := w.run(runOpts{})
	if err == nil || errors.Is(err, ErrRotating) || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), w.live) {
		t.Errorf("err %v", err)
	}
	os.Mkdir(w.live, 0o755)
	_, _, err = w.run(runOpts{})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("dir: %v", err)
	}
}

func TestStateFileModes(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	fi, err := os.Stat(filepath.Join(w.state, "test.state.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state mode %v %v", fi.Mode(), err)
	}
	di, _ := os.Stat(w.state)
	if di.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v", di.Mode())
	}
}
