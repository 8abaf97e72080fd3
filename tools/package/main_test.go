package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDebianVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.3":              "1.2.3",
		"1.2.3":               "1.2.3",
		"v1.2.3-4-gabc123":    "1.2.3+4.gabc123",
		"v1.2.3-4-gabc-dirty": "1.2.3+4.gabc.dirty",
		"ca7b433":             "0.0.0~gitca7b433",
		"ca7b433-dirty":       "0.0.0~gitca7b433+dirty",
		"":                    "0.0.0",
		"dev":                 "0.0.0~gitdev",
		"v1.0 beta":           "0.0.0~invalid",
	} {
		if got := DebianVersion(in); got != want {
			t.Errorf("DebianVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestVersionOrdering runs version.sh in a scratch repository through a
// release history and checks with dpkg itself that every build sorts after
// the one before (issue 20: a bare hash as the version made a later build
// sort as a downgrade).
func TestVersionOrdering(t *testing.T) {
	for _, tool := range []string{"git", "dpkg"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SURICRON_REQUIRE_TOOLS") == "1" {
				t.Fatalf("%s not installed", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	script, err := filepath.Abs("version.sh")
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	git := func(date string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@x", "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date, "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	version := func() string {
		t.Helper()
		out, err := exec.Command("sh", script, repo).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	commit := func(date string) {
		t.Helper()
		os.WriteFile(filepath.Join(repo, "f"), []byte(date), 0o644)
		git(date, "add", "f")
		git(date, "commit", "-q", "-m", date)
	}
	git("2026-11-01T00:00:00Z", "init", "-q")
	var seen []string
	step := func(want string) {
		t.Helper()
		v := version()
		if !regexp.MustCompile(want).MatchString(v) {
			t.Fatalf("version %q, want %s", v, want)
		}
		if DebianVersion(v) != v {
			t.Errorf("%q is not already a Debian version (%q)", v, DebianVersion(v))
		}
		seen = append(seen, v)
	}
	// No tag yet (a clean CI clone may have none): today's date-and-hash
	// scheme, sorting before the release the tag will make.
	commit("2026-12-05T10:00:00Z")
	step(`^0\.2\.0~git20261205\.[0-9a-f]{7}$`)
	git("2026-12-05T10:00:00Z", "tag", "vendor-drop") // not a version tag: ignored
	commit("2026-12-06T10:00:00Z")
	step(`^0\.2\.0~git20261206\.[0-9a-f]{7}$`)
	git("2026-12-06T10:00:00Z", "tag", "v0.2.0-rc1")
	step(`^0\.2\.0~rc1$`)
	commit("2026-12-07T10:00:00Z")
	git("2026-12-07T10:00:00Z", "tag", "v0.2.0")
	step(`^0\.2\.0$`)
	commit("2026-12-08T10:00:00Z")
	step(`^0\.2\.0\+git20261208\.[0-9a-f]{7}$`)
	commit("2026-12-09T10:00:00Z")
	step(`^0\.2\.0\+git20261209\.[0-9a-f]{7}$`)
	os.WriteFile(filepath.Join(repo, "f"), []byte("edit"), 0o644)
	step(`^0\.2\.0\+git20261209\.[0-9a-f]{7}\.dirty$`)
	commit("2026-12-10T10:00:00Z")
	git("2026-12-10T10:00:00Z", "tag", "v0.2.1")
	step(`^0\.2\.1$`)
	// The nearest tag wins over an older one further back.
	commit("2026-12-11T10:00:00Z")
	step(`^0\.2\.1\+git20261211\.[0-9a-f]{7}$`)
	for i := 1; i < len(seen); i++ {
		if out, err := exec.Command("dpkg", "--compare-versions", seen[i-1], "lt", seen[i]).CombinedOutput(); err != nil {
			t.Errorf("dpkg: %s is not lower than %s (%v %s)", seen[i-1], seen[i], err, out)
		}
	}
	// Without git (an exported tree) the fallback.
	if out, _ := exec.Command("sh", script, t.TempDir()).Output(); strings.TrimSpace(string(out)) != "0.2.0" {
		t.Errorf("without git: %q", out)
	}
}

// TestDescriptionNamesEveryCommand: the package description lists every
// command under cmd/ (eve-ship was missing from it).
func TestDescriptionNamesEveryCommand(t *testing.T) {
	ents, err := os.ReadDir(filepath.Join("..", "..", "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	d := description()
	for _, e := range ents {
		if e.IsDir() && !strings.Contains(d, e.Name()) {
			t.Errorf("package description lacks %s:\n%s", e.Name(), d)
		}
	}
}
