package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"encoding/pem"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/suricron/suricron/internal/sharedtest"
)

// suricataUpdate returns the path of Debian's suricata-update, skipping
// (or failing under SURICRON_REQUIRE_TOOLS=1) when it is not installed.
func suricataUpdate(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("suricata-update")
	if err != nil {
		if os.Getenv("SURICRON_REQUIRE_TOOLS") == "1" {
			t.Fatal("suricata-update not installed (SURICRON_REQUIRE_TOOLS=1; .ci/run installs it)")
		}
		t.Skip("suricata-update not installed")
	}
	return bin
}

var suLoaded = regexp.MustCompile(`Loaded (\d+) rules\.`)

// anchorCase runs suricata-update 1.2.7 and the built rules-update on the
// same ET Open tarball plus extra inputs and requires byte-identical
// suricata.rules and the same "Loaded" count.
type anchorCase struct {
	name     string
	suArgs   []string // extra suricata-update arguments
	suYAML   string   // extra update.yaml lines
	ourArgs  []string // extra rules-update arguments
	wantMore int      // rules loaded beyond ET Open's 31,406 (0: any more)
}

func runAnchor(t *testing.T, tc anchorCase) {
	su := suricataUpdate(t)
	tarball := sharedtest.Path(t, "et-open", "emerging.rules.tar.gz")
	dir := t.TempDir()
	yaml := filepath.Join(dir, "update.yaml")
	if err := os.WriteFile(yaml, []byte("ignore:\n  - \"*deleted.rules\"\n"+tc.suYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-c", yaml, "-D", filepath.Join(dir, "data"), "-o", filepath.Join(dir, "su"),
		"--url", "file://" + tarball, "--no-test", "--no-reload", "--suricata-version", "7.0.0"}, tc.suArgs...)
	out, err := exec.Command(su, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("suricata-update: %v\n%s", err, out)
	}
	m := suLoaded.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no \"Loaded N rules\" in suricata-update's output:\n%s", out)
	}
	suN, _ := strconv.Atoi(string(m[1]))
	want, err := os.ReadFile(filepath.Join(dir, "su", "suricata.rules"))
	if err != nil {
		t.Fatal(err)
	}
	ours := append([]string{"-c", os.DevNull, "--url", "file://" + tarball, "--state-dir", filepath.Join(dir, "state"),
		"--output", filepath.Join(dir, "ours", "suricata.rules"), "--report-format", "json", "--suricata-rules-dir", "none"}, tc.ourArgs...)
	cmd := exec.Command(filepath.Join(binDir, "rules-update"), ours...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rules-update: %v\n%s", err, stderr.String())
	}
	var rep struct {
		Loaded int `json:"loaded"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	if rep.Loaded != suN || suN <= 31406 || (tc.wantMore > 0 && suN != 31406+tc.wantMore) {
		t.Errorf("loaded: ours %d, suricata-update %d, want both %d", rep.Loaded, suN, 31406+tc.wantMore)
	}
	got, err := os.ReadFile(filepath.Join(dir, "ours", "suricata.rules"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := 0; i < len(wl) && i < len(gl); i++ {
			if wl[i] != gl[i] {
				t.Fatalf("output differs from suricata-update at line %d:\nwant %.300s\ngot  %.300s", i+1, wl[i], gl[i])
			}
		}
		t.Fatalf("output differs in length: ours %d lines, suricata-update %d", len(gl), len(wl))
	}
	t.Logf("%s: %d rules loaded by both, %d bytes identical; stderr:\n%s", tc.name, suN, len(got), stderr.String())
}

// writeFiles writes name -> content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// --local with a directory, a file and a glob, merged with ET Open: rules
// of their own, a higher rev of an ET rule (it wins and moves to the end,
// as in suricata-update), a lower rev of another (the ET one stays), a
// disabled rule and a file the glob does not match.
func TestLocalMatchesSuricataUpdate(t *testing.T) {
	loc := t.TempDir()
	writeFiles(t, loc, map[string]string{
		"dir/a.rules": "alert tcp any any -> any any (msg:\"LOCAL dir a\"; sid:9100001; rev:1;)\n" +
			"# alert tcp any any -> any any (msg:\"LOCAL dir a disabled\"; sid:9100002; rev:1;)\n",
		"dir/b.rules": "alert http any any -> any any (msg:\"LOCAL dir b newer ET rule\"; content:\"x\"; sid:2013028; rev:99;)\n",
		"dir/c.txt":   "alert tcp any any -> any any (msg:\"not a rules file\"; sid:9100009; rev:1;)\n",
		"one.rules":   "alert udp any any -> any 53 (msg:\"LOCAL one\"; sid:9100003; rev:2;)\n",
		"g/x-1.rules": "alert tcp any any -> any 1 (msg:\"LOCAL glob 1\"; sid:9100004; rev:1;)\n" +
			"alert http any any -> any any (msg:\"LOCAL older ET rule\"; sid:2012648; rev:1;)\n",
		"g/x-2.rules": "alert tcp any any -> any 2 (msg:\"LOCAL glob 2\"; sid:9100005; rev:1;)\n",
		"g/y.rules":   "alert tcp any any -> any 3 (msg:\"LOCAL not globbed\"; sid:9100006; rev:1;)\n",
	})
	paths := []string{filepath.Join(loc, "dir"), filepath.Join(loc, "one.rules"), filepath.Join(loc, "g", "x-*.rules")}
	var su, ours []string
	for _, p := range paths {
		su = append(su, "--local", p)
		ours = append(ours, "--local", p)
	}
	runAnchor(t, anchorCase{name: "local", suArgs: su, ourArgs: ours, wantMore: 7})
}

// Suricata 7.0.17's distribution rules, from the directory given to
// suricata-update as dist-rule-directory and to us as --suricata-rules-dir.
func TestDistRulesMatchSuricataUpdate(t *testing.T) {
	dist := sharedtest.Path(t, "suricata-7.0.17", "rules")
	// The count is whatever suricata-update loads (more than ET alone).
	runAnchor(t, anchorCase{name: "dist", suYAML: "dist-rule-directory: " + dist + "\n",
		ourArgs: []string{"--suricata-rules-dir", dist}})
}

// [rules] suricata_rules_dir loads the 16 files suricata-update 1.2.7 knows
// (decoder-events.rules yes, Suricata 7's ssh-events.rules no), and a
// missing directory named explicitly is a usage error, not a silent skip.
func TestDistRulesFromConfig(t *testing.T) {
	dist := sharedtest.Path(t, "suricata-7.0.17", "rules")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"src.rules":   "alert tcp any any -> any any (msg:\"src\"; sid:1000001; rev:1;)\n",
		"dist.toml":   "[rules]\nsuricata_rules_dir = \"" + dist + "\"\n",
		"nodist.toml": "[rules]\nsuricata_rules_dir = \"" + filepath.Join(dir, "nosuch") + "\"\n",
	})
	src := filepath.Join(dir, "src.rules")
	out := filepath.Join(dir, "out", "suricata.rules")
	run := func(conf string) (int, string) {
		cmd := exec.Command(filepath.Join(binDir, "rules-update"), "-c", filepath.Join(dir, conf), "--url", "file://"+src,
			"--state-dir", filepath.Join(dir, "state"), "--output", out, "--min-rules", "1")
		b, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(b)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(b)
	}
	if code, msg := run("dist.toml"); code != 0 {
		t.Fatalf("exit %d\n%s", code, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{"sid:1000001;", "sid:2200000;", "sid:2210000;"} { // src, decoder-events, stream-events
		if !strings.Contains(got, want) {
			t.Errorf("%s missing from the output", want)
		}
	}
	if strings.Contains(got, "sid:2228000;") {
		t.Errorf("ssh-events.rules was loaded; suricata-update 1.2.7 does not load it")
	}
	if code, msg := run("nodist.toml"); code != 2 || !strings.Contains(msg, "nosuch") {
		t.Errorf("missing dist dir: exit %d, want 2 naming it\n%s", code, msg)
	}
}

// indexServer serves, over HTTPS on loopback, an index the test writes,
// ET Open (the real tarball) at the versioned URL the index names, and a
// private telemetry ruleset whose URL carries a secret code and which
// answers 401 without its bearer token.
type indexServer struct {
	srv   *httptest.Server
	index atomic.Value // string
	ca    string
	// md5Asks counts requests for .md5 sidecars, per source.
	etMD5, proMD5 atomic.Int32
}

const (
	idxCode  = "c0de-5ecret-91ab"
	idxToken = "tok-3e8d1f7a90bc4d21"
)

func newIndexServer(t *testing.T) *indexServer {
	t.Helper()
	et, err := os.ReadFile(sharedtest.Path(t, "et-open", "emerging.rules.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	private := tgz(t, map[string]string{"rules/telemetry.rules": "alert tcp any any -> any any (msg:\"ET TELEMETRY private\"; sid:2899001; rev:1;)\n"})
	s := &indexServer{}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/open/suricata-7.0.17/emerging.rules.tar.gz.md5":
			s.etMD5.Add(1)
			http.NotFound(w, r)
		case strings.HasPrefix(r.URL.Path, "/pro/") && strings.HasSuffix(r.URL.Path, ".md5"):
			s.proMD5.Add(1)
			http.NotFound(w, r)
		case r.URL.Path == "/index.yaml":
			io.WriteString(w, s.index.Load().(string))
		case r.URL.Path == "/open/suricata-7.0.17/emerging.rules.tar.gz":
			w.Write(et)
		case r.URL.Path == "/pro/"+idxCode+"/telemetry.rules.tar.gz":
			if r.Header.Get("Authorization") != "Bearer "+idxToken {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			w.Write(private)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.srv.Close)
	s.ca = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(s.ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	s.index.Store(s.goodIndex())
	return s
}

func (s *indexServer) goodIndex() string {
	return `version: 1
sources:
  et/open:
    vendor: Proofpoint
    summary: Emerging Threats Open Ruleset
    license: MIT
    url: ` + s.srv.URL + `/open/suricata-%(__version__)s/emerging.rules.tar.gz
  et/telemetry:
    vendor: Proofpoint
    summary: "ET Pro telemetry ruleset \x1b[31m(escape)"
    license: Commercial
    min-version: 6.0.0
    checksum: false
    replaces: [et/open]
    parameters:
      secret-code:
        prompt: ET Pro telemetry code
    url: ` + s.srv.URL + `/pro/%(secret-code)s/telemetry.rules.tar.gz
  tgreen/hunting:
    vendor: tgreen
    summary: Threat hunting rules
    license: GPLv3
    min-version: 99.0.0
    url: ` + s.srv.URL + `/hunting.rules
versions:
  suricata:
    recommended: 7.0.17
    "6.0": 6.0.20
    "7.0": 7.0.17
`
}

func tgz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := kgzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, data := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write([]byte(data))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// runIn runs the built rules-update trusting the server's CA.
func runIn(t *testing.T, ca string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "rules-update"), args...)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+ca)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// The source index end to end: update-sources over HTTPS, list-sources,
// enable-source with a secret parameter from a file and a bearer header
// file, a normal run fetching the enabled sources (401 without the
// header), disable-source, remove-source, check-versions; the secret code
// and the token show nowhere.
func TestSourceIndex(t *testing.T) {
	s := newIndexServer(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	out := filepath.Join(dir, "out", "suricata.rules")
	writeFiles(t, dir, map[string]string{
		"code":   idxCode + "\n",
		"header": "Authorization: Bearer " + idxToken + "\n",
	})
	var all strings.Builder
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		base := []string{"-c", os.DevNull, "--state-dir", state, "--suricata-version", "7.0.17", "--suricata-rules-dir", "none"}
		code, stdout, stderr := runIn(t, s.ca, append(base, args...)...)
		all.WriteString(stdout + stderr)
		if code != want {
			t.Fatalf("rules-update %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout, stderr
	}
	update := func(want int, args ...string) (string, string) {
		t.Helper()
		return run(want, append([]string{"--output", out, "--min-rules", "1", "--log-level", "debug"}, args...)...)
	}

	if stdout, _ := run(0, "list-sources", "--enabled"); !strings.Contains(stdout, "no sources configured") {
		t.Errorf("list-sources --enabled with nothing enabled: %q", stdout)
	}
	_, stderr := run(2, "list-sources")
	if !strings.Contains(stderr, "update-sources") {
		t.Errorf("list-sources without an index should say to run update-sources:\n%s", stderr)
	}
	run(0, "update-sources", "--index-url", s.srv.URL+"/index.yaml")
	stdout, _ := run(0, "list-sources")
	for _, want := range []string{"Name: et/open", "Name: et/telemetry", "Parameters: secret-code", "Replaces: et/open", `\x1b[31m`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("list-sources lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\x1b") {
		t.Errorf("list-sources printed a raw escape from the index")
	}

	// Secrets never on the command line; required parameters named.
	_, stderr = run(2, "enable-source", "et/telemetry", "secret-code="+idxCode)
	if !strings.Contains(stderr, "--secret-file secret-code=FILE") || strings.Contains(stderr, idxCode) {
		t.Errorf("a secret on the command line must be refused without echoing it:\n%s", stderr)
	}
	_, stderr = run(2, "enable-source", "et/telemetry")
	if !strings.Contains(stderr, "secret-code") {
		t.Errorf("missing parameter not named:\n%s", stderr)
	}
	_, stderr = run(2, "enable-source", "tgreen/hunting")
	if !strings.Contains(stderr, "99.0.0") {
		t.Errorf("min-version not enforced:\n%s", stderr)
	}
	run(2, "enable-source", "no/such")

	// ET Open alone first (enabled from the index, at the version's URL).
	run(0, "enable-source", "et/open")
	update(0)
	b, _ := os.ReadFile(out)
	if n := strings.Count(string(b), "\n"); n < 31000 {
		t.Fatalf("ET Open from the index: %d lines installed", n)
	}
	// Telemetry without its header: 401, exit 65, nothing installed.
	run(0, "enable-source", "et/telemetry", "--secret-file", "secret-code="+filepath.Join(dir, "code"))
	stdout, _ = run(0, "list-sources", "--enabled")
	if strings.Contains(stdout, "et/open") || !strings.Contains(stdout, "source: et/telemetry (enabled)") {
		t.Errorf("et/telemetry replaces et/open:\n%s", stdout)
	}
	before, _ := os.ReadFile(out)
	_, stderr = update(65, "--force")
	if !strings.Contains(stderr, "401") {
		t.Errorf("want the 401 named:\n%s", stderr)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Errorf("a refused run changed the installed rules")
	}
	// With the header (re-enabling keeps the secret file): installed.
	run(0, "enable-source", "et/telemetry", "--http-header-file", filepath.Join(dir, "header"))
	update(0, "--force")
	b, _ = os.ReadFile(out)
	if !strings.Contains(string(b), "sid:2899001;") {
		t.Fatalf("telemetry rules not installed:\n%.300s", b)
	}
	// "checksum: false" in the index: no .md5 asked for that source; ET
	// Open's (checksum not set) is asked for.
	if s.proMD5.Load() != 0 || s.etMD5.Load() == 0 {
		t.Errorf(".md5 requests: telemetry %d (want 0), ET Open %d (want some)", s.proMD5.Load(), s.etMD5.Load())
	}
	// ET Open back beside it.
	run(0, "enable-source", "et/open")
	update(0)
	b, _ = os.ReadFile(out)
	if !strings.Contains(string(b), "sid:2899001;") || strings.Count(string(b), "\n") < 31000 {
		t.Fatalf("both sources should be installed")
	}
	// Disabled, then removed: gone from the run and the list.
	run(0, "disable-source", "et/telemetry")
	stdout, _ = run(0, "list-sources", "--enabled")
	if !strings.Contains(stdout, "source: et/telemetry (disabled)") {
		t.Errorf("disable-source:\n%s", stdout)
	}
	update(0)
	if b, _ = os.ReadFile(out); strings.Contains(string(b), "sid:2899001;") {
		t.Errorf("a disabled source was fetched")
	}
	run(0, "remove-source", "et/telemetry")
	run(2, "remove-source", "et/telemetry")
	if stdout, _ = run(0, "list-sources", "--enabled"); strings.Contains(stdout, "et/telemetry") {
		t.Errorf("remove-source:\n%s", stdout)
	}

	for v, want := range map[string]string{"7.0.17": "up to date", "7.0.3": "outdated: upgrade to 7.0.17", "6.0.1": "upgrade to 6.0.20 or 7.0.17", "5.0.2": "end of life"} {
		stdout, _ := run(0, "check-versions", "--suricata-version", v)
		if !strings.Contains(stdout, want) {
			t.Errorf("check-versions %s: %q, want %q", v, stdout, want)
		}
	}

	leaks := all.String()
	filepath.WalkDir(state, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".tar.gz") {
			b, _ := os.ReadFile(p)
			leaks += string(b)
		}
		return nil
	})
	for _, secret := range []string{idxCode, idxToken} {
		if strings.Contains(leaks, secret) {
			t.Errorf("secret %q leaked into output or state", secret)
		}
	}
}

// Hostile indexes are refused with exit 65 naming the problem, and the
// index stored before stays.
func TestSourceIndexHostile(t *testing.T) {
	s := newIndexServer(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	args := []string{"-c", os.DevNull, "--state-dir", state, "update-sources", "--index-url", s.srv.URL + "/index.yaml"}
	if code, _, stderr := runIn(t, s.ca, args...); code != 0 {
		t.Fatalf("good index: exit %d\n%s", code, stderr)
	}
	good, err := os.ReadFile(filepath.Join(state, "rules-update.index.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := func(name, url string) string {
		return "sources:\n  " + name + ":\n    vendor: x\n    summary: x\n    license: x\n    url: " + url + "\n"
	}
	tests := []struct{ name, index, want string }{
		{"bad yaml", "sources:\n  et/open:\n    url: [unclosed\n  x: y\n", "index.yaml: yaml: line 2:"},
		{"tabs", "sources:\n\tet/open: {}\n", "line 2"},
		{"huge", "sources:\n" + strings.Repeat("  # padding padding padding padding padding padding padding\n", 20000), "byte index cap"},
		{"dotdot name", src("../../etc/passwd", "https://x.example/r.rules"), "not a safe name"},
		{"dotdot inner", src("et/../../x", "https://x.example/r.rules"), "not a safe name"},
		{"file scheme", src("evil/shadow", "file:///etc/shadow"), `scheme "file" refused`},
		{"gopher", src("evil/gopher", "gopher://x.example/1"), `scheme "gopher" refused`},
		{"no host", src("evil/nohost", "https:///etc/shadow"), "no host"},
		{"not a mapping", "- just\n- a list\n", "line 1"},
		{"no sources", "version: 1\n", "no \"sources:\""},
		{"alias bomb", "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nsources: *g\n", "index"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.index.Store(tc.index)
			code, _, stderr := runIn(t, s.ca, args...)
			if code != 65 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want 65 with %q:\n%s", code, tc.want, stderr)
			}
			if b, _ := os.ReadFile(filepath.Join(state, "rules-update.index.yaml")); !bytes.Equal(b, good) {
				t.Errorf("the stored index changed")
			}
		})
	}
	// A source store edited by hand to point outside is refused too.
	writeFiles(t, state, map[string]string{"rules-update.sources.json": `{"version":1,"sources":[{"name":"../x"}]}`})
	if code, _, stderr := runIn(t, s.ca, "-c", os.DevNull, "--state-dir", state, "--output", filepath.Join(dir, "o", "s.rules")); code != 65 || !strings.Contains(stderr, "bad source name") {
		t.Errorf("hostile store: exit %d\n%s", code, stderr)
	}
}

// The index suricata-update 1.2.7 bundles (its data/index.py, dumped to
// YAML by its own Python) is accepted whole: the real format, with every
// source, parameter and min-version it has.
func TestBundledIndexAccepted(t *testing.T) {
	suricataUpdate(t)
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	dump := exec.Command(py, "-c", "import sys, yaml\nfrom suricata.update.data.index import index\nsys.stdout.write(yaml.safe_dump(index))")
	dump.Env = append(os.Environ(), "PYTHONPATH=/usr/lib/python3/dist-packages")
	text, err := dump.Output()
	if err != nil {
		t.Skipf("cannot dump suricata-update's bundled index: %v", err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"index.yaml": string(text), "code": "0123456789abcdef\n"})
	state := filepath.Join(dir, "state")
	base := []string{"-c", os.DevNull, "--state-dir", state, "--suricata-version", "7.0.17"}
	code, _, stderr := runIn(t, "", append(base, "update-sources", "--index-url", "file://"+filepath.Join(dir, "index.yaml"))...)
	if code != 0 {
		t.Fatalf("update-sources with the bundled index: exit %d\n%s", code, stderr)
	}
	_, stdout, _ := runIn(t, "", append(base, "list-sources")...)
	for _, want := range []string{"Name: et/open", "Name: et/pro", "Parameters: secret-code", "Name: oisf/trafficid", "Name: tgreen/hunting", "Min-version: 4.1.0"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("list-sources lacks %q", want)
		}
	}
	if code, _, stderr := runIn(t, "", append(base, "enable-source", "et/pro", "--secret-file", "secret-code="+filepath.Join(dir, "code"))...); code != 0 {
		t.Fatalf("enable-source et/pro: exit %d\n%s", code, stderr)
	}
	_, stdout, _ = runIn(t, "", append(base, "list-sources", "--enabled")...)
	if !strings.Contains(stdout, "source: et/pro (enabled)") || strings.Contains(stdout, "et/open") {
		t.Errorf("et/pro replaces et/open:\n%s", stdout)
	}
	if b, _ := os.ReadFile(filepath.Join(state, "rules-update.sources.json")); strings.Contains(string(b), "0123456789abcdef") {
		t.Errorf("the secret code was copied into the state:\n%s", b)
	}
}
