package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

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
