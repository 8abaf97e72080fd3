package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
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
	// On a real sensor /etc/suricata/suricata.yaml exists and would be
	// read by default: no test may depend on the host's config. (Dist
	// rules are turned off per test: one test sets them in a config file,
	// which the environment would override.)
	os.Setenv("SURICRON_SURICATA_CONF", "none")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("SURICRON_SURICATA_RULES_DIR", "none")
			env.Setenv("SURICRON_SURICATA_CONF", "none")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mktar":    mktar,
			"exits":    exits,
			"bg":       bgStart,
			"waitfile": waitFile,
			"signal":   signalBg,
			"waitexit": waitExit,
			"gone":     gone,
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
	// The script's PATH ("env PATH=..."), so a test can hide suricata.
	// A host's own Suricata distribution rules (/etc/suricata/rules) must
	// not change the scripts' counts: they load none unless they ask.
	cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"), "WORK="+ts.Getenv("WORK"), "SURICRON_SURICATA_RULES_DIR="+ts.Getenv("SURICRON_SURICATA_RULES_DIR"),
		"SURICRON_SURICATA_CONF="+ts.Getenv("SURICRON_SURICATA_CONF"))
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

// Background runs of the binary, per script, for the signal tests.
var (
	bgMu   sync.Mutex
	bgCmds = map[*testscript.TestScript]map[string]*bgRun{}
)

type bgRun struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// patience bounds every wait on a condition so that a regression fails
// the test instead of hanging it; nothing asserts on how long it took.
const patience = 60 * time.Second

// bg NAME PROG ARGS... starts PROG in the background; its output lands in
// $WORK/NAME.out and $WORK/NAME.err.
func bgStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: bg NAME PROG [ARGS...]")
	}
	prog := args[1]
	if !strings.Contains(prog, "/") {
		prog = filepath.Join(binDir, prog)
	}
	cmd := exec.Command(prog, args[2:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = append(os.Environ(), "WORK="+ts.Getenv("WORK"))
	out, err := os.Create(ts.MkAbs(args[0] + ".out"))
	ts.Check(err)
	errf, err := os.Create(ts.MkAbs(args[0] + ".err"))
	ts.Check(err)
	cmd.Stdout, cmd.Stderr = out, errf
	ts.Check(cmd.Start())
	run := &bgRun{cmd: cmd, done: make(chan struct{})}
	go func() {
		run.err = cmd.Wait()
		out.Close()
		errf.Close()
		close(run.done)
	}()
	bgMu.Lock()
	if bgCmds[ts] == nil {
		bgCmds[ts] = map[string]*bgRun{}
	}
	bgCmds[ts][args[0]] = run
	bgMu.Unlock()
	ts.Defer(func() {
		select {
		case <-run.done:
		default:
			cmd.Process.Kill()
			<-run.done
		}
		bgMu.Lock()
		delete(bgCmds, ts)
		bgMu.Unlock()
	})
}

func bgGet(ts *testscript.TestScript, name string) *bgRun {
	bgMu.Lock()
	defer bgMu.Unlock()
	run := bgCmds[ts][name]
	if run == nil {
		ts.Fatalf("no background run %q", name)
	}
	return run
}

// waitfile FILE waits until FILE exists (a marker a test script writes).
func waitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	p := ts.MkAbs(args[0])
	for end := time.Now().Add(patience); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(p); err == nil {
			return
		}
	}
	ts.Fatalf("%s never appeared", args[0])
}

// signal NAME TERM|KILL|INT sends the signal to the background run.
func signalBg(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: signal NAME TERM|KILL|INT")
	}
	sig := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "KILL": syscall.SIGKILL, "INT": syscall.SIGINT}[args[1]]
	if sig == 0 {
		ts.Fatalf("unknown signal %s", args[1])
	}
	ts.Check(bgGet(ts, args[0]).cmd.Process.Signal(sig))
}

// waitexit NAME CODE waits for the background run to end and requires
// that exit code (-1: killed by a signal).
func waitExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitexit NAME CODE")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	run := bgGet(ts, args[0])
	select {
	case <-run.done:
	case <-time.After(patience):
		ts.Fatalf("%s still running", args[0])
	}
	got := 0
	if ee, ok := run.err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if run.err != nil {
		ts.Fatalf("%s: %v", args[0], run.err)
	}
	if got != want {
		b, _ := os.ReadFile(ts.MkAbs(args[0] + ".err"))
		ts.Fatalf("%s: exit code %d, want %d\nstderr: %s", args[0], got, want, b)
	}
}

// gone PIDFILE requires that the process whose pid the file holds has
// ended (a zombie counts as ended).
func gone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gone PIDFILE")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	pid := strings.TrimSpace(string(b))
	for end := time.Now().Add(patience); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		st, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return
		}
		if f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return
		}
	}
	ts.Fatalf("process %s is still running", pid)
}

// A tarball that inflates to 512 MB of comment lines (under every cap)
// around two rules: the run keeps only the rule lines, so its peak RSS
// stays far below the inflated size (it was the inflated size plus the
// parse, 1.44 GB for 1 GB). The bound is on memory, not on time.
func TestInflatedTarballPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 512 MB (inflated) tarball")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "big.tar.gz")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := kgzip.NewWriterLevel(f, kgzip.BestSpeed)
	tw := tar.NewWriter(zw)
	line := []byte("# padding comment line that a broken or hostile source repeats ................\n")
	const size = 256 << 20
	for i, name := range []string{"rules/a.rules", "rules/b.rules"} {
		head := []byte(fmt.Sprintf("alert tcp any any -> any any (msg:\"T %d\"; sid:%d; rev:1;)\n", i, i+1))
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(head)
		left := size - len(head)
		for left > 0 {
			n := min(left, len(line))
			tw.Write(line[len(line)-n:])
			left -= n
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	f.Close()
	cmd := exec.Command(filepath.Join(binDir, "rules-update"), "-c", os.DevNull, "--url", "file://"+src,
		"--state-dir", filepath.Join(dir, "state"), "--output", filepath.Join(dir, "out", "suricata.rules"), "--min-rules", "1", "-q")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
	t.Logf("peak RSS %d MB for %d MB inflated", rss>>10, 2*size>>20)
	if rss > 128<<10 {
		t.Fatalf("peak RSS %d MB for a tarball of two rules and 512 MB of comments", rss>>10)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out", "suricata.rules"))
	if err != nil || strings.Count(string(b), "\n") != 2 {
		t.Fatalf("installed: %v\n%.200s", err, b)
	}
}

// A private HTTPS source that answers 401 without its bearer header: the
// header comes from a file given per source, and the token shows nowhere
// (stdout, stderr, state and cache files).
func TestSourceHeaderHTTPS(t *testing.T) {
	const token = "tok-7f3c9a1e5b2d48c6"
	var buf bytes.Buffer
	zw := kgzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	rules := "alert tcp any any -> any any (msg:\"T private\"; sid:9000001; rev:1;)\n"
	tw.WriteHeader(&tar.Header{Name: "rules/private.rules", Mode: 0o644, Size: int64(len(rules)), Typeflag: tar.TypeReg})
	tw.Write([]byte(rules))
	tw.Close()
	zw.Close()
	tarball := buf.Bytes()
	var md5Auth atomic.Value
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".md5") {
			md5Auth.Store(r.Header.Get("Authorization"))
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Write(tarball)
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	hdr := filepath.Join(dir, "et-telemetry.header")
	if err := os.WriteFile(hdr, []byte("Authorization: Bearer "+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/rules.tar.gz"
	state := filepath.Join(dir, "state")
	run := func(extra ...string) (int, string) {
		args := append([]string{"-c", os.DevNull, "--url", url, "--state-dir", state,
			"--output", filepath.Join(dir, "out", "suricata.rules"), "--min-rules", "1", "--log-level", "debug"}, extra...)
		cmd := exec.Command(filepath.Join(binDir, "rules-update"), args...)
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+ca)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	if code, out := run(); code != 65 || !strings.Contains(out, "401") {
		t.Fatalf("without the header: exit %d, want 65 naming the 401\n%s", code, out)
	}
	code, out := run("--header-file", url+"="+hdr)
	if code != 0 {
		t.Fatalf("with the header: exit %d\n%s", code, out)
	}
	if got, _ := md5Auth.Load().(string); got != "Bearer "+token {
		t.Errorf("the .md5 request went without the header: %q", got)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out", "suricata.rules"))
	if err != nil || !strings.Contains(string(b), "sid:9000001") {
		t.Fatalf("installed: %v %s", err, b)
	}
	leaks := out
	filepath.WalkDir(state, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			leaks += string(b)
		}
		return nil
	})
	if strings.Contains(leaks, token) {
		t.Fatalf("token leaked:\n%s", leaks)
	}
	if code, out := run("--header-file", "https://elsewhere/x.tar.gz="+hdr); code != 2 || strings.Contains(out, token) {
		t.Fatalf("header for an unknown source: exit %d\n%s", code, out)
	}
}
