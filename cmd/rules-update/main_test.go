package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var binDir string

// TestMain builds the real binary once; the scripts run it from PATH.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rules-update-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "rules-update"), ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mktar": mktar,
			"exits": exits,
		},
	})
}

// mktar DIR OUT packs DIR (relative names) into a gzip tarball.
func mktar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mktar DIR OUT.tar.gz")
	}
	root := ts.MkAbs(args[0])
	var names []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	ts.Check(err)
	sort.Strings(names)
	f, err := os.Create(ts.MkAbs(args[1]))
	ts.Check(err)
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for _, p := range names {
		b, err := os.ReadFile(p)
		ts.Check(err)
		rel, _ := filepath.Rel(root, p)
		ts.Check(tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}))
		_, err = tw.Write(b)
		ts.Check(err)
	}
	ts.Check(tw.Close())
	ts.Check(zw.Close())
	ts.Check(f.Close())
}

// exits CODE PROG ARGS... runs PROG (from the test's PATH) and requires
// that exit code; its stdout and stderr land in $WORK/exits.out and
// $WORK/exits.err for grep.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	prog := args[1]
	if !strings.Contains(prog, "/") {
		prog = filepath.Join(binDir, prog)
	}
	cmd := exec.Command(prog, args[2:]...)
	cmd.Dir = ts.Getenv("WORK")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("run %s: %v", prog, err)
	}
	ts.Check(os.WriteFile(ts.MkAbs("exits.out"), []byte(stdout.String()), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs("exits.err"), []byte(stderr.String()), 0o644))
	if got != want {
		ts.Fatalf("exit code %d, want %d\nstderr: %s", got, want, stderr.String())
	}
}
