package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/suricron/suricron/internal/sharedtest"
)

// TestScriptFullDisk (issue 14) runs the built binary with its state dir on
// a 64 KiB tmpfs filled to the brim: collects fail with ENOSPC part-way
// through the day files, one filler is removed after each failure (the
// operator freeing space), and the week must still count every alert once.
// It needs mount(2) (root); it skips without it unless
// SURICRON_REQUIRE_TOOLS=1.
func TestScriptFullDisk(t *testing.T) {
	probe := t.TempDir()
	if err := syscall.Mount("tmpfs", probe, "tmpfs", 0, "size=64k"); err != nil {
		if os.Getenv(sharedtest.RequireToolsEnv) == "1" {
			t.Fatalf("mount tmpfs: %v (%s=1)", err, sharedtest.RequireToolsEnv)
		}
		t.Skipf("mount tmpfs not permitted: %v", err)
	}
	if err := syscall.Unmount(probe, 0); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/tmpfs",
		Setup: func(env *testscript.Env) error {
			st := filepath.Join(env.WorkDir, "st")
			if err := os.Mkdir(st, 0o700); err != nil {
				return err
			}
			// mode=0700: a tmpfs root is 1777 by default, and a state dir
			// writable by others is refused.
			if err := syscall.Mount("tmpfs", st, "tmpfs", 0, "size=64k,mode=0700"); err != nil {
				return fmt.Errorf("mount tmpfs: %w", err)
			}
			// Deferred calls run before testscript removes $WORK.
			env.Defer(func() {
				if err := syscall.Unmount(st, syscall.MNT_DETACH); err != nil {
					env.T().Fatal("unmount", st, err)
				}
			})
			return writeAlerts(filepath.Join(env.WorkDir, "eve.json"), 900)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"fill":          fill,
			"collect-retry": collectRetry,
		},
	})
}

// writeAlerts writes n alerts spread over the seven days of 2026-W46.
func writeAlerts(path string, n int) error {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"timestamp":"2026-11-%02dT%02d:%02d:00.000000+0000","flow_id":%d,"event_type":"alert",`+
			`"src_ip":"203.0.113.%d","src_port":%d,"dest_ip":"192.168.1.20","dest_port":22,"proto":"TCP",`+
			`"alert":{"action":"allowed","gid":1,"signature_id":%d,"rev":1,"signature":"ET TEST rule %d","category":"Test","severity":%d}}`+"\n",
			9+i%7, i/60%24, i%60, i, i%200, 40000+i, 1000000+i%41, i%41, 1+i%3)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// fill DIR: write 4 KiB files into DIR until it is full, then remove KEEP
// of them again (so the first writes succeed and a later one fails).
func fill(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fill DIR FREE-FILES")
	}
	dir := ts.MkAbs(args[0])
	free, err := strconv.Atoi(args[1])
	ts.Check(err)
	var made []string
	for i := 0; ; i++ {
		p := filepath.Join(dir, fmt.Sprintf("filler%03d", i))
		err := os.WriteFile(p, make([]byte, 4096), 0o600)
		if errors.Is(err, syscall.ENOSPC) {
			os.Remove(p)
			break
		}
		ts.Check(err)
		made = append(made, p)
	}
	for i := 0; i < free && len(made) > 0; i++ {
		ts.Check(os.Remove(made[len(made)-1]))
		made = made[:len(made)-1]
	}
	ts.Logf("%d fillers left", len(made))
}

// collect-retry DIR ARGS...: run weekly-report ARGS until it succeeds,
// removing one filler from DIR after each failure, as an operator freeing
// space would; fail unless at least one run failed first.
func collectRetry(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: collect-retry DIR ARGS...")
	}
	dir := ts.MkAbs(args[0])
	failures := 0
	for range 40 {
		if err := ts.Exec("weekly-report", args[1:]...); err == nil {
			break
		} else if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) {
			ts.Fatalf("weekly-report: %v", err)
		}
		failures++
		m, _ := filepath.Glob(filepath.Join(dir, "filler*"))
		if len(m) == 0 {
			ts.Fatalf("still failing with no filler left")
		}
		ts.Check(os.Remove(m[len(m)-1]))
	}
	if failures == 0 {
		ts.Fatalf("no run failed: the disk was not full")
	}
	ts.Logf("%d runs failed before one succeeded", failures)
}
