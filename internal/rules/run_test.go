package rules

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/rules/archive"
	"github.com/suricron/suricron/internal/sharedtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

type tfile struct{ name, data string }

func dirFiles(t testing.TB, dir string) []tfile {
	t.Helper()
	var out []tfile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, tfile{filepath.ToSlash(rel), string(b)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func tarGz(t testing.TB, files []tfile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.data))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func sharedFiles(t testing.TB, name string) []tfile {
	t.Helper()
	body, err := os.ReadFile(sharedtest.Path(t, "et-open", name))
	if err != nil {
		t.Fatal(err)
	}
	a, err := archive.Read(bytes.NewReader(body), archive.DefaultLimits(), func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	var out []tfile
	for _, f := range a.Files {
		out = append(out, tfile{f.Name, f.Data})
	}
	return out
}

var revRE = regexp.MustCompile(`rev:(\d+);`)

// makeV2 is rules.md §5.3's "next day": in emerging-scan.rules drop the
// first 2 active rules, bump the rev of the next 3, append sid 2999999.
func makeV2(t testing.TB, files []tfile) []tfile {
	out := make([]tfile, 0, len(files))
	done := false
	for _, f := range files {
		if filepath.Base(f.name) != "emerging-scan.rules" {
			out = append(out, f)
			continue
		}
		var lines []string
		active := 0
		for _, l := range strings.Split(strings.TrimRight(f.data, "\n"), "\n") {
			if strings.HasPrefix(l, "alert") {
				active++
				if active <= 2 {
					continue
				}
				if active <= 5 {
					l = revRE.ReplaceAllStringFunc(l, func(m string) string {
						n, _ := strconv.Atoi(revRE.FindStringSubmatch(m)[1])
						return fmt.Sprintf("rev:%d;", n+1)
					})
				}
			}
			lines = append(lines, l)
		}
		lines = append(lines, `alert tcp $EXTERNAL_NET any -> $HOME_NET 23 (msg:"FIXTURE SCAN new rule"; flow:to_server; classtype:attempted-recon; sid:2999999; rev:1;)`)
		out = append(out, tfile{f.name, strings.Join(lines, "\n") + "\n"})
		done = true
	}
	if !done {
		t.Fatal("no emerging-scan.rules to turn into v2")
	}
	return out
}

// harness is one sensor: an output dir, a state dir and a source.
type harness struct {
	t      *testing.T
	dir    string
	cfg    Config
	logbuf bytes.Buffer
	stdout bytes.Buffer
	shell  func(ctx context.Context, cmdline string, env []string) ([]byte, error)
	client *http.Client
	rename func(oldpath, newpath string) error
}

func newHarness(t *testing.T, url string) *harness {
	dir := t.TempDir()
	return &harness{t: t, dir: dir, cfg: Config{
		URLs: []string{url}, Output: filepath.Join(dir, "rules", "suricata.rules"),
		StateDir: filepath.Join(dir, "state"), MinRules: 1, MaxShrink: 50, ReportFormat: "json",
	}}
}

func (h *harness) run() (*Report, error) {
	h.stdout.Reset()
	deps := Deps{
		Stdout: &h.stdout, Logger: slog.New(slog.NewTextHandler(&h.logbuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: func() time.Time { return time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC) }, Shell: h.shell, HTTP: h.client,
		Rename: h.rename,
	}
	err := Run(context.Background(), h.cfg, deps)
	if err != nil || h.cfg.Quiet {
		return nil, err
	}
	var rep Report
	if e := json.Unmarshal(h.stdout.Bytes(), &rep); e != nil {
		h.t.Fatalf("report is not JSON: %v\n%s", e, h.stdout.String())
	}
	return &rep, nil
}

func (h *harness) output() string {
	b, err := os.ReadFile(h.cfg.Output)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		h.t.Fatal(err)
	}
	return string(b)
}

func writeFile(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func md5sum(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

func counts(r *Report) [5]int { return [5]int{r.RulesTotal, r.Enabled, r.Added, r.Removed, r.Modified} }

// TestV1V2 runs an install of v1 then an update to v2 through file:// for
// the fixture and for the real ET tarball: added 1, removed 2, modified 3.
func TestV1V2(t *testing.T) {
	cases := []struct {
		name string
		v1   func(t *testing.T) []tfile
	}{
		{"fixture", func(t *testing.T) []tfile { return dirFiles(t, "testdata/v1") }},
		{"et-open-2024", func(t *testing.T) []tfile { return sharedFiles(t, "emerging.rules.tar.gz") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v1 := tc.v1(t)
			src := filepath.Join(t.TempDir(), "emerging.rules.tar.gz")
			writeFile(t, src, tarGz(t, v1))
			h := newHarness(t, "file://"+src)
			r1, err := h.run()
			if err != nil {
				t.Fatal(err)
			}
			if r1.Added != r1.RulesTotal || r1.Removed != 0 || !r1.Changed {
				t.Errorf("first install: %+v", counts(r1))
			}
			writeFile(t, src, tarGz(t, makeV2(t, v1)))
			r2, err := h.run()
			if err != nil {
				t.Fatal(err)
			}
			if got := [3]int{r2.Added, r2.Removed, r2.Modified}; got != [3]int{1, 2, 3} {
				t.Errorf("added, removed, modified = %v, want [1 2 3]", got)
			}
			if r2.RulesTotal != r1.RulesTotal-1 || r2.SIDs.Added[0] != "1:2999999" || len(r2.SIDs.Removed) != 2 {
				t.Errorf("v2: total %d (v1 %d), sids %+v", r2.RulesTotal, r1.RulesTotal, r2.SIDs)
			}
			if !strings.Contains(h.output(), "sid:2999999;") {
				t.Error("new rule not installed")
			}
			r3, err := h.run()
			if err != nil {
				t.Fatal(err)
			}
			if r3.Changed || r3.Added+r3.Removed+r3.Modified != 0 {
				t.Errorf("third run should be no change: %+v", r3)
			}
		})
	}
}

// TestFixtureReportGolden pins the text and JSON reports of the fixture's
// v1 -> v2 update with a policy (disable, enable, drop, modify, flowbits).
func TestFixtureReportGolden(t *testing.T) {
	v1 := dirFiles(t, "testdata/v1")
	src := filepath.Join(t.TempDir(), "fx.tar.gz")
	writeFile(t, src, tarGz(t, v1))
	h := newHarness(t, "file://"+src)
	conf := filepath.Join(h.dir, "conf")
	writeFile(t, filepath.Join(conf, "disable.conf"), []byte("re:heartbleed\n2900004\n"))
	writeFile(t, filepath.Join(conf, "enable.conf"), []byte("2900005\n"))
	writeFile(t, filepath.Join(conf, "drop.conf"), []byte("group:emerging-scan\n"))
	writeFile(t, filepath.Join(conf, "modify.conf"), []byte(`2900101 "steam" "steamcommunity"`+"\n"))
	h.cfg.DisableConf, h.cfg.EnableConf = filepath.Join(conf, "disable.conf"), filepath.Join(conf, "enable.conf")
	h.cfg.DropConf, h.cfg.ModifyConf = filepath.Join(conf, "drop.conf"), filepath.Join(conf, "modify.conf")
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, tarGz(t, makeV2(t, v1)))
	h.cfg.ReportFormat = "text"
	h.stdout.Reset()
	if err := Run(context.Background(), h.cfg, Deps{Stdout: &h.stdout}); err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(h.stdout.String(), h.dir, "$DIR")
	installed := h.output()
	golden(t, "testdata/v1v2.report.golden", text)
	golden(t, "testdata/v1v2.rules.golden", installed)
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		writeFile(t, path, []byte(got))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
}

// server serves one tarball with its md5 sidecar, ETag and modes for
// failures, counting requests.
type server struct {
	body     atomic.Pointer[[]byte]
	mode     atomic.Value // string
	md5      atomic.Bool
	requests atomic.Int64
	gets     atomic.Int64 // tarball GETs with a 200
	srv      *httptest.Server
}

func newServer(t *testing.T, body []byte) *server {
	s := &server{}
	s.body.Store(&body)
	s.mode.Store("ok")
	s.md5.Store(true)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	body := *s.body.Load()
	sum := md5sum(body)
	if strings.HasSuffix(r.URL.Path, ".md5") {
		if !s.md5.Load() {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "%s\n", sum)
		return
	}
	etag := `"` + sum + `"`
	switch s.mode.Load().(string) {
	case "404":
		http.NotFound(w, r)
		return
	case "500":
		http.Error(w, "oops", http.StatusInternalServerError)
		return
	case "html":
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!DOCTYPE html><html><body>Please log in to the hotel Wi-Fi</body></html>")
		return
	case "truncated":
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body[:len(body)/2])
		// Closing the connection early: the client sees a short body.
		if hj, ok := w.(http.Hijacker); ok {
			conn, _, _ := hj.Hijack()
			conn.Close()
		}
		return
	case "slow":
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body[:100])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.gets.Add(1)
	w.Header().Set("ETag", etag)
	w.Write(body)
}

func sha(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return md5sum(b)
}

// TestHTTPFailuresKeepInstalledRules installs v1 over HTTP, then serves
// broken responses: every one must fail with the right exit code while the
// installed file and the cached tarball stay byte-identical.
func TestHTTPFailuresKeepInstalledRules(t *testing.T) {
	v1 := tarGz(t, dirFiles(t, "testdata/v1"))
	v2 := tarGz(t, makeV2(t, dirFiles(t, "testdata/v1")))
	s := newServer(t, v1)
	h := newHarness(t, s.srv.URL+"/open/emerging.rules.tar.gz")
	h.client = &http.Client{Timeout: 500 * time.Millisecond}
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	before := sha(t, h.cfg.Output)
	cacheFile := filepath.Join(h.cfg.StateDir, "rules-update.cache", "")
	cached := func() string {
		m, _ := filepath.Glob(filepath.Join(cacheFile, "*.tar.gz"))
		if len(m) != 1 {
			t.Fatalf("cache holds %v", m)
		}
		return sha(t, m[0])
	}
	cacheBefore := cached()
	s.body.Store(&v2) // upstream changed, so every case really downloads
	tests := []struct {
		mode  string
		md5   bool
		code  int
		inErr string
	}{
		{"404", false, exitcode.ExitData, "404"},
		{"html", false, exitcode.ExitData, "not a gzip archive"},
		{"html", true, exitcode.ExitData, "does not match the .md5"},
		{"truncated", false, exitcode.ExitData, "truncated"},
		{"slow", false, exitcode.ExitTempFail, "source"},
		{"500", false, exitcode.ExitTempFail, "500"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s md5=%v", tc.mode, tc.md5), func(t *testing.T) {
			s.mode.Store(tc.mode)
			s.md5.Store(tc.md5)
			_, err := h.run()
			if code := cli.ExitCode(err); code != tc.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.inErr) {
				t.Errorf("error %q lacks %q", err, tc.inErr)
			}
			// The slow server stalls mid-body for 5 s, then cuts the body
			// short: only the client's 500ms timeout makes this a timeout
			// (75) rather than a truncated download.
			var ne net.Error
			if tc.mode == "slow" && (!errors.As(err, &ne) || !ne.Timeout()) {
				t.Errorf("slow source: want a timeout error, got %v: timeout not applied", err)
			}
			if sha(t, h.cfg.Output) != before || cached() != cacheBefore {
				t.Error("installed rules or cache changed after a rejected download")
			}
		})
	}
	// Back to normal: v2 installs.
	s.mode.Store("ok")
	s.md5.Store(true)
	rep, err := h.run()
	if err != nil || rep.Added != 1 {
		t.Fatalf("recovery: %v %+v", err, rep)
	}
}

// TestConditionalFetch: md5 sidecar match and ETag/304 both end in the no
// change fast path without downloading the tarball again, and without
// rewriting the output.
func TestConditionalFetch(t *testing.T) {
	body := tarGz(t, dirFiles(t, "testdata/v1"))
	for _, withMD5 := range []bool{true, false} {
		t.Run(fmt.Sprintf("md5=%v", withMD5), func(t *testing.T) {
			s := newServer(t, body)
			s.md5.Store(withMD5)
			h := newHarness(t, s.srv.URL+"/emerging.rules.tar.gz")
			if _, err := h.run(); err != nil {
				t.Fatal(err)
			}
			fi1, _ := os.Stat(h.cfg.Output)
			rep, err := h.run()
			if err != nil {
				t.Fatal(err)
			}
			fi2, _ := os.Stat(h.cfg.Output)
			if rep.Changed || !fi1.ModTime().Equal(fi2.ModTime()) {
				t.Errorf("no-change run rewrote output or reported a change: %+v", rep)
			}
			if s.gets.Load() != 1 {
				t.Errorf("tarball downloaded %d times, want 1", s.gets.Load())
			}
			// A config change alone forces a rebuild from the cache.
			h.cfg.Ignore = []string{"nothing"}
			rep, err = h.run()
			if err != nil || !rep.Changed || rep.Added != 1 || s.gets.Load() != 1 {
				t.Errorf("config change: %v %+v gets=%d", err, rep, s.gets.Load())
			}
		})
	}
}

func TestOinkcodeNeverShown(t *testing.T) {
	const code = "0123456789abcdef0123456789abcdef"
	s := newServer(t, nil)
	s.mode.Store("404")
	h := newHarness(t, s.srv.URL+"/%oinkcode%/suricata-%version%/etpro.rules.tar.gz")
	h.cfg.Oinkcode = code
	h.cfg.SuricataVersion = "7.0.3"
	_, err := h.run()
	if cli.ExitCode(err) != exitcode.ExitData {
		t.Fatalf("want exit 65, got %v", err)
	}
	all := err.Error() + h.logbuf.String() + h.stdout.String()
	if strings.Contains(all, code) {
		t.Fatalf("oinkcode leaked:\n%s", all)
	}
	if !strings.Contains(err.Error(), "%oinkcode%/suricata-7.0.3") {
		t.Errorf("error does not name the redacted source: %v", err)
	}
	// Unreachable host: net errors also must not carry the code.
	h.cfg.URLs = []string{"http://127.0.0.1:1/%oinkcode%/x.tar.gz"}
	_, err = h.run()
	if cli.ExitCode(err) != exitcode.ExitTempFail || strings.Contains(err.Error()+h.logbuf.String(), code) {
		t.Fatalf("unreachable: exit %d, %v", cli.ExitCode(err), err)
	}
}

func TestGuardsAndForce(t *testing.T) {
	v1 := dirFiles(t, "testdata/v1")
	src := filepath.Join(t.TempDir(), "x.tar.gz")
	writeFile(t, src, tarGz(t, v1))
	h := newHarness(t, "file://"+src)
	h.cfg.MinRules = 100
	_, err := h.run()
	if cli.ExitCode(err) != exitcode.ExitData || !strings.Contains(err.Error(), "--min-rules 100") || h.output() != "" {
		t.Fatalf("min-rules: %v", err)
	}
	h.cfg.MinRules = 1
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	before := h.output()
	// Keep only one rules file: enabled rules shrink by more than 50 %.
	var small []tfile
	for _, f := range v1 {
		if strings.HasSuffix(f.name, "games.rules") {
			small = append(small, f)
		}
	}
	writeFile(t, src, tarGz(t, small))
	_, err = h.run()
	if cli.ExitCode(err) != exitcode.ExitData || !strings.Contains(err.Error(), "--max-shrink") || h.output() != before {
		t.Fatalf("max-shrink: %v", err)
	}
	h.cfg.Force = true
	rep, err := h.run()
	if err != nil || rep.Removed == 0 || h.output() == before {
		t.Fatalf("--force: %v %+v", err, rep)
	}
}

func TestTestAndReloadCommands(t *testing.T) {
	v1 := dirFiles(t, "testdata/v1")
	src := filepath.Join(t.TempDir(), "x.tar.gz")
	writeFile(t, src, tarGz(t, v1))
	h := newHarness(t, "file://"+src)
	bin := t.TempDir()
	log := filepath.Join(bin, "calls.log")
	writeFile(t, filepath.Join(bin, "test-ok.sh"), []byte("#!/bin/sh\necho \"test $1\" >> "+log+"\ngrep -q 'sid:' \"$1\"\n"))
	writeFile(t, filepath.Join(bin, "test-fail.sh"), []byte("#!/bin/sh\necho 'Error: detect: rule 2900006 has an unknown keyword' >&2\nexit 1\n"))
	writeFile(t, filepath.Join(bin, "reload.sh"), []byte("#!/bin/sh\necho reload >> "+log+"\nexit ${RELOAD_RC:-0}\n"))
	for _, f := range []string{"test-ok.sh", "test-fail.sh", "reload.sh"} {
		os.Chmod(filepath.Join(bin, f), 0o755)
	}
	h.cfg.TestCommand = filepath.Join(bin, "test-ok.sh") + " {rules}"
	h.cfg.ReloadCommand = filepath.Join(bin, "reload.sh")
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	calls, _ := os.ReadFile(log)
	if !regexp.MustCompile(`^test \S+/rules/\.suricata\.rules\.tmp-\d+\nreload\n$`).Match(calls) {
		t.Errorf("calls:\n%s", calls)
	}
	before := h.output()
	// A failing test keeps the old file and reports the command's output.
	writeFile(t, src, tarGz(t, makeV2(t, v1)))
	h.cfg.TestCommand = filepath.Join(bin, "test-fail.sh") + " {rules}"
	_, err := h.run()
	if cli.ExitCode(err) != exitcode.ExitFailure || !strings.Contains(err.Error(), "unknown keyword") || h.output() != before {
		t.Fatalf("failed test: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(h.cfg.Output), ".*tmp*")); len(m) != 0 {
		t.Errorf("temp files left: %v", m)
	}
	// A failing reload exits 1 with the rules installed, and the next run
	// (nothing else changed) retries the reload.
	h.cfg.TestCommand = ""
	t.Setenv("RELOAD_RC", "3")
	_, err = h.run()
	if cli.ExitCode(err) != exitcode.ExitFailure || !strings.Contains(err.Error(), "reload command failed") || h.output() == before {
		t.Fatalf("failed reload: %v", err)
	}
	t.Setenv("RELOAD_RC", "0")
	os.Remove(log)
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	if calls, _ := os.ReadFile(log); string(calls) != "reload\n" {
		t.Errorf("pending reload not retried: %q", calls)
	}
	os.Remove(log)
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(log); err == nil {
		t.Error("reloaded although nothing changed")
	}
}

func TestLockBusy(t *testing.T) {
	src := filepath.Join(t.TempDir(), "x.tar.gz")
	writeFile(t, src, tarGz(t, dirFiles(t, "testdata/v1")))
	h := newHarness(t, "file://"+src)
	os.MkdirAll(h.cfg.StateDir, 0o750)
	l, err := checkpoint.TryLock(filepath.Join(h.cfg.StateDir, "rules-update.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	_, err = h.run()
	if cli.ExitCode(err) != exitcode.ExitTempFail || h.output() != "" {
		t.Fatalf("exit %d: %v", cli.ExitCode(err), err)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	src := filepath.Join(t.TempDir(), "x.tar.gz")
	writeFile(t, src, tarGz(t, dirFiles(t, "testdata/v1")))
	h := newHarness(t, "file://"+src)
	h.cfg.DryRun = true
	rep, err := h.run()
	if err != nil {
		t.Fatal(err)
	}
	if !rep.DryRun || !rep.Changed || rep.Added != rep.RulesTotal || rep.RulesTotal == 0 {
		t.Errorf("report %+v", rep)
	}
	if entries, _ := os.ReadDir(h.dir); len(entries) != 0 {
		t.Errorf("dry run created %v", entries)
	}
}

func TestConfigErrorsAreUsage(t *testing.T) {
	h := newHarness(t, "file:///nonexistent.tar.gz")
	writeFile(t, filepath.Join(h.dir, "disable.conf"), []byte("2013028\nbogus matcher\n"))
	h.cfg.DisableConf = filepath.Join(h.dir, "disable.conf")
	_, err := h.run()
	if cli.ExitCode(err) != exitcode.ExitUsage || !strings.Contains(err.Error(), "disable.conf line 2") {
		t.Fatalf("%v", err)
	}
	h.cfg.DisableConf = ""
	h.cfg.URLs = []string{"https://x/%oinkcode%/a.tar.gz"}
	if _, err := h.run(); cli.ExitCode(err) != exitcode.ExitUsage {
		t.Fatalf("missing oinkcode: %v", err)
	}
	h.cfg.URLs = []string{"ftp://x/a.tar.gz"}
	if _, err := h.run(); err == nil || !strings.Contains(err.Error(), "unsupported scheme") {
		t.Fatalf("ftp: %v", err)
	}
}

// reloadCounter is a reload command that counts its calls in a file.
func reloadCounter(t *testing.T) (cmd string, calls func() int) {
	log := filepath.Join(t.TempDir(), "reloads")
	return "echo reload >> " + log, func() int {
		b, _ := os.ReadFile(log)
		return strings.Count(string(b), "reload")
	}
}

// A crash right after the rename (simulated: the rename happens, then the
// run dies with an error) used to leave a state that let the next runs
// say "no change": Suricata kept the old rules forever.
func TestCrashAfterRenameReloadsNextRun(t *testing.T) {
	v1 := dirFiles(t, "testdata/v1")
	src := filepath.Join(t.TempDir(), "x.tar.gz")
	writeFile(t, src, tarGz(t, v1))
	h := newHarness(t, "file://"+src)
	cmd, calls := reloadCounter(t)
	h.cfg.ReloadCommand = cmd
	if _, err := h.run(); err != nil || calls() != 1 {
		t.Fatalf("first install: %v, %d reloads", err, calls())
	}
	writeFile(t, src, tarGz(t, makeV2(t, v1)))
	crash := errors.New("simulated crash after the rename")
	h.rename = func(o, n string) error {
		if err := os.Rename(o, n); err != nil {
			return err
		}
		return crash
	}
	if _, err := h.run(); !errors.Is(err, crash) {
		t.Fatalf("want the crash, got %v", err)
	}
	if !strings.Contains(h.output(), "sid:2999999") || calls() != 1 {
		t.Fatalf("the crash run should have installed v2 without reloading (%d reloads)", calls())
	}
	h.rename = nil
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	if calls() != 2 {
		t.Fatalf("the run after the crash did not reload: %d reloads", calls())
	}
	if _, err := h.run(); err != nil || calls() != 2 {
		t.Fatalf("nothing changed, yet reloaded again: %v, %d reloads", err, calls())
	}
}

// A cache that cannot be written after the rules were installed used to
// fail the run before the reload ("nothing committed" although the rules
// were), and the next run then saw no change and never reloaded.
func TestCacheWriteFailureStillReloads(t *testing.T) {
	v1 := dirFiles(t, "testdata/v1")
	src := filepath.Join(t.TempDir(), "x.tar.gz")
	writeFile(t, src, tarGz(t, v1))
	h := newHarness(t, "file://"+src)
	cmd, calls := reloadCounter(t)
	h.cfg.ReloadCommand = cmd
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, tarGz(t, makeV2(t, v1)))
	// A regular file where the cache dir should be: every cache write
	// fails, as on a full or read-only disk.
	cache := filepath.Join(h.cfg.StateDir, "rules-update.cache")
	if err := os.RemoveAll(cache); err != nil {
		t.Fatal(err)
	}
	writeFile(t, cache, []byte("in the way"))
	rep, err := h.run()
	if err != nil {
		t.Fatalf("a failed cache write must not fail the install: %v", err)
	}
	if rep.Added != 1 || calls() != 2 || !strings.Contains(h.logbuf.String(), "cannot cache the download") {
		t.Fatalf("added %d, %d reloads, log:\n%s", rep.Added, calls(), h.logbuf.String())
	}
	os.Remove(cache)
	if _, err := h.run(); err != nil || calls() != 2 {
		t.Fatalf("next run: %v, %d reloads", err, calls())
	}
}

// The 2017 ET tarball installed over the 2024 one used to report
// "modified: 15054" and exit 0.
func TestOldETTarballRefused(t *testing.T) {
	newer := sharedtest.Path(t, "et-open", "emerging.rules.tar.gz")
	older := sharedtest.Path(t, "et-open", "emerging-2017.rules.tar.gz")
	h := newHarness(t, "file://"+newer)
	h.cfg.MaxShrink = 100
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	before := h.output()
	h.cfg.URLs = []string{"file://" + older}
	_, err := h.run()
	if cli.ExitCode(err) != exitcode.ExitData || !regexp.MustCompile(`went back in time: \d{4,} rules have a lower rev`).MatchString(err.Error()) {
		t.Fatalf("want exit 65 for going back in time, got %d: %v", cli.ExitCode(err), err)
	}
	if h.output() != before {
		t.Fatal("the installed rules changed")
	}
}
