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
