package checkpoint

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/buger/jsonparser"
	kgzip "github.com/klauspost/compress/gzip"
)

func TestTruncatedGzipStillBeingWritten(t *testing.T) { // §7.12
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 200)
	w.rotate(true)
	w.appendN(w.live, 3)
	gz := filepath.Join(w.dir, "eve.json.1.gz")
	full, _ := os.ReadFile(gz)
	os.WriteFile(gz, full[:len(full)*2/3], 0o644) // logrotate has written 2/3
	got, _, err := w.run(runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[0] != 3 || len(got) >= 200 {
		t.Fatalf("first run read %s", short(got))
	}
	for i := range got {
		if got[i] != 3+i {
			t.Fatalf("out of order: %s", short(got))
		}
	}
	// The compressor finishes; the next run continues exactly after the damage.
	os.WriteFile(gz, full, 0o644)
	got2 := w.mustRun(runOpts{})
	w.expect(append(got, got2...), 3, 205)
}

func TestTruncatedGzipPermanent(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 2)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 200)
	w.rotate(true)
	w.appendN(w.live, 3)
	gz := filepath.Join(w.dir, "eve.json.1.gz")
	full, _ := os.ReadFile(gz)
	os.WriteFile(gz, full[:len(full)/2], 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(gz, old, old)
	got, s, err := w.run(runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Stats().Gaps != 1 || got[len(got)-1] != 205 || got[0] != 3 {
		t.Errorf("gaps %d, read %s", s.Stats().Gaps, short(got))
	}
}

func TestInodeReuseIsANewFile(t *testing.T) { // §7.21
	w := newWorld(t)
	w.appendN(w.live, 4)
	w.mustRun(runOpts{start: StartBeginning})
	// Same path, maybe the same inode number, different content: the state's
	// dev/ino must not be trusted over the content.
	os.Remove(w.live)
	w.clock = w.clock.Add(time.Hour)
	w.appendN(w.live, 6)
	w.expect(w.mustRun(runOpts{}), 5, 10)
}

func TestCrashDuringStateWrite(t *testing.T) { // §7.26
	w := newWorld(t)
	w.appendN(w.live, 3)
	w.mustRun(runOpts{start: StartBeginning})
	// A crash before the rename leaves a temp file behind.
	junk := filepath.Join(w.state, ".test.state.json.tmp-123456")
	os.WriteFile(junk, []byte(`{"version":1,"consum`), 0o600)
	w.appendN(w.live, 2)
	w.expect(w.mustRun(runOpts{}), 4, 5)
	if _, err := os.Stat(junk); !os.IsNotExist(err) {
		t.Error("stale temp file not removed")
	}
	if _, err := os.Stat(filepath.Join(w.state, "test.state.json.prev")); err != nil {
		t.Errorf("previous state not kept: %v", err)
	}
}

func TestUnreadableStateDir(t *testing.T) {
	if os.Geteuid() == 0 {
		// root ignores permission bits; use a path under a regular file instead.
		w := newWorld(t)
		w.appendN(w.live, 1)
		blocker := filepath.Join(w.dir, "file")
		os.WriteFile(blocker, nil, 0o600)
		_, err := Open(t.Context(), Config{Consumer: "test", Live: w.live, StateDir: filepath.Join(blocker, "state")})
		if err == nil || !strings.Contains(err.Error(), "state dir") {
			t.Errorf("err %v", err)
		}
		return
	}
	w := newWorld(t)
	os.MkdirAll(w.state, 0o000)
	_, err := Open(t.Context(), Config{Consumer: "test", Live: w.live, StateDir: w.state})
	if err == nil {
		t.Error("unreadable state dir accepted")
	}
}

// TestLockSurvivesCommit: the lock is a separate file, so a commit (which
// renames the state file) does not let a second run in (§7.31).
func TestLockSurvivesCommit(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 3)
	s, err := Open(t.Context(), Config{Consumer: "test", Live: w.live, StateDir: w.state, Start: StartBeginning})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Lines(t.Context(), func([]byte, Position) error { return nil })
	if err := s.Commit(s.End(), "", 0); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("flock", "-n", filepath.Join(w.state, "test.lock"), "true").CombinedOutput(); err == nil {
		t.Errorf("flock(1) got the lock while the session holds it: %s", out)
	}
}

// TestKillBetweenSendAndCommit runs a child process that reads a batch,
// records it as pending, "delivers" it to a receiver file, and is then
// SIGKILLed before committing. The next run must deliver the same batch
// with the same id: a duplicate, never a loss (§7.25).
func TestKillBetweenSendAndCommit(t *testing.T) {
	if os.Getenv("CHECKPOINT_CHILD") == "1" {
		childDeliverAndHang()
		return
	}
	w := newWorld(t)
	w.appendN(w.live, 3)
	w.mustRun(runOpts{start: StartBeginning})
	w.appendN(w.live, 4)
	recv := filepath.Join(w.dir, "received")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillBetweenSendAndCommit$")
	cmd.Env = append(os.Environ(), "CHECKPOINT_CHILD=1", "CK_LIVE="+w.live, "CK_STATE="+w.state, "CK_RECV="+recv)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, _ := os.ReadFile(recv); bytes.HasSuffix(b, []byte("END\n")) {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child never delivered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	first, _ := os.ReadFile(recv)
	w.appendN(w.live, 1)
	s, err := Open(t.Context(), Config{Consumer: "test", Live: w.live, StateDir: w.state})
	if err != nil {
		t.Fatalf("after SIGKILL the lock must be free: %v", err)
	}
	var got []int
	s.Lines(t.Context(), func(l []byte, _ Position) error {
		n, _ := jsonparser.GetInt(l, "n")
		got = append(got, int(n))
		return nil
	})
	id := s.BatchID(s.End())
	if err := s.Commit(s.End(), id, 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	w.expect(got, 4, 7)
	if !strings.Contains(string(first), "batch "+id+"\n") {
		t.Errorf("resent batch id %s differs from the delivered one:\n%s", id, first)
	}
	w.expect(w.mustRun(runOpts{}), 8, 8)
}

func childDeliverAndHang() {
	s, err := Open(context.Background(), Config{Consumer: "test", Live: os.Getenv("CK_LIVE"), StateDir: os.Getenv("CK_STATE")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var b strings.Builder
	s.Lines(context.Background(), func(l []byte, _ Position) error {
		b.Write(l)
		b.WriteByte('\n')
		return nil
	})
	id := s.BatchID(s.End())
	if err := s.Prepare(s.End(), id); err != nil {
		os.Exit(4)
	}
	os.WriteFile(os.Getenv("CK_RECV"), []byte(b.String()+"batch "+id+"\nEND\n"), 0o600)
	time.Sleep(time.Minute) // killed here, before Commit
	os.Exit(5)
}

// TestModelRandomOps is the model-based property test of §7.34: random
// appends (whole and torn), rotations (plain, compressed, copytruncate),
// successful, failing and crashing runs. Every complete record must be
// delivered in order, exactly once, except that a crash after delivery
// repeats that one batch.
func TestModelRandomOps(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			w := newWorld(t)
			var delivered []int
			var dups int
			pendingTorn := ""
			for step := 0; step < 60; step++ {
				op := rng.IntN(10)
				if os.Getenv("CK_TRACE") != "" {
					t.Logf("step %d op %d next %d files %v", step, op, w.next, lsDir(w.dir))
				}
				switch {
				case op < 3:
					if pendingTorn != "" {
						w.appendRaw(w.live, pendingTorn)
						pendingTorn = ""
					}
					w.appendN(w.live, 1+rng.IntN(5))
				case op == 3 && pendingTorn == "":
					rec := w.record(w.next)
					w.next++
					cut := 1 + rng.IntN(len(rec)-2)
					w.appendRaw(w.live, rec[:cut])
					pendingTorn = rec[cut:]
				case op == 4 && pendingTorn == "":
					w.rotate(rng.IntN(2) == 0)
				case op == 5 && pendingTorn == "":
					b, _ := os.ReadFile(w.live)
					for i := 20; i >= 1; i-- {
						for _, ext := range []string{"", ".gz"} {
							from := fmt.Sprintf("eve.json.%d%s", i, ext)
							if _, err := os.Stat(filepath.Join(w.dir, from)); err == nil {
								w.rename(from, fmt.Sprintf("eve.json.%d%s", i+1, ext))
							}
						}
					}
					os.WriteFile(filepath.Join(w.dir, "eve.json.1"), b, 0o644)
					if rng.IntN(2) == 0 {
						w.gzip("eve.json.1")
					}
					os.Truncate(w.live, 0)
				case op == 6:
					got, _, err := w.run(runOpts{start: StartAll, fail: fmt.Errorf("down")})
					if err == nil {
						t.Fatal("failing run committed")
					}
					_ = got
				case op == 7:
					s, err := Open(t.Context(), Config{Consumer: "test", Live: w.live, StateDir: w.state, Start: StartAll})
					if err != nil {
						t.Fatal(err)
					}
					var got []int
					s.Lines(t.Context(), func(l []byte, _ Position) error {
						n, _ := jsonparser.GetInt(l, "n")
						got = append(got, int(n))
						return nil
					})
					if len(got) > 0 {
						s.Prepare(s.End(), s.BatchID(s.End()))
						delivered = append(delivered, got...) // delivered, then crash
						if os.Getenv("CK_TRACE") != "" {
							t.Logf("crash run got %v", got)
						}
						dups += len(got)
					}
					s.Close()
				default:
					got, _, err := w.run(runOpts{start: StartAll, maxN: rng.IntN(8)})
					if err != nil {
						t.Fatal(err)
					}
					if os.Getenv("CK_TRACE") != "" {
						t.Logf("run got %v", got)
					}
					delivered = append(delivered, got...)
				}
			}
			if pendingTorn != "" {
				w.appendRaw(w.live, pendingTorn)
			}
			for i := 0; i < 50; i++ {
				got := w.mustRun(runOpts{start: StartAll})
				if len(got) == 0 {
					break
				}
				delivered = append(delivered, got...)
			}
			seen := map[int]int{}
			for _, n := range delivered {
				seen[n]++
			}
			extra := 0
			for n := 1; n < w.next; n++ {
				if seen[n] == 0 {
					t.Fatalf("record %d lost; delivered %s", n, short(delivered))
				}
				extra += seen[n] - 1
			}
			if extra > dups {
				t.Fatalf("%d duplicates, but crashes account for only %d", extra, dups)
			}
		})
	}
}

func TestGzipMultiMemberAndPlainTwinPreferred(t *testing.T) {
	w := newWorld(t)
	w.appendN(w.live, 3)
	w.mustRun(runOpts{start: StartAll})
	w.appendN(w.live, 3)
	w.rotate(false)
	// A gz of only part of the file beside the full plain file.
	b, _ := os.ReadFile(filepath.Join(w.dir, "eve.json.1"))
	var buf bytes.Buffer
	zw := kgzip.NewWriter(&buf)
	zw.Write(b[:len(b)/2])
	zw.Close()
	os.WriteFile(filepath.Join(w.dir, "eve.json.1.gz"), buf.Bytes(), 0o644)
	w.appendN(w.live, 1)
	w.expect(w.mustRun(runOpts{}), 4, 7)
}

func lsDir(d string) []string {
	es, _ := os.ReadDir(d)
	var out []string
	for _, e := range es {
		if fi, err := e.Info(); err == nil && !e.IsDir() {
			out = append(out, fmt.Sprintf("%s:%d", e.Name(), fi.Size()))
		}
	}
	return out
}

// TestOlddirPattern is §7.18: a copy moved outside eve.json.* (logrotate
// olddir) is a gap unless Rotated covers it; then it is read without one.
func TestOlddirPattern(t *testing.T) {
	for _, covered := range []bool{false, true} {
		t.Run(fmt.Sprint("covered=", covered), func(t *testing.T) {
			w := newWorld(t)
			old := filepath.Join(w.dir, "old")
			os.Mkdir(old, 0o755)
			w.appendN(w.live, 3)
			w.mustRun(runOpts{start: StartBeginning})
			w.appendN(w.live, 2)
			b, _ := os.ReadFile(w.live)
			os.WriteFile(filepath.Join(old, "eve.json.1"), b, 0o644) // copytruncate into olddir
			os.Truncate(w.live, 0)
			w.appendN(w.live, 2)
			cfg := Config{Consumer: "test", Live: w.live, StateDir: w.state}
			if covered {
				cfg.Rotated = []string{filepath.Join(old, "eve.json*")}
			}
			s, err := Open(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var got []int
			s.Lines(t.Context(), func(l []byte, _ Position) error {
				n, _ := jsonparser.GetInt(l, "n")
				got = append(got, int(n))
				return nil
			})
			if covered {
				w.expect(got, 4, 7)
				if s.Stats().Gaps != 0 {
					t.Errorf("gaps %d", s.Stats().Gaps)
				}
			} else {
				w.expect(got, 6, 7)
				if s.Stats().Gaps != 1 {
					t.Errorf("gap not reported: %d", s.Stats().Gaps)
				}
			}
		})
	}
}
