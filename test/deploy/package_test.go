package deploy

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildDeb runs tools/package on the test binaries and returns the .deb.
func buildDeb(t *testing.T) string {
	t.Helper()
	dist := t.TempDir()
	cmd := exec.Command("go", "run", "./tools/package", "-version", testVersion, "-bin", binDir(t), "-root", repoRoot(), "-out", dist)
	cmd.Dir = repoRoot()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tools/package: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestPackageDocs: the .deb ships a man page per command and
// suricron.toml(5), bash/zsh/fish completions, copyright and a Debian
// changelog (issue 20); the man pages and completions come from the
// binaries' own model, so each names every flag --help lists. Needs
// dpkg-deb only (no install).
func TestPackageDocs(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		if os.Getenv("SURICRON_REQUIRE_TOOLS") == "1" {
			t.Fatal("dpkg-deb not installed")
		}
		t.Skip("dpkg-deb not installed (apt-get install dpkg)")
	}
	deb := buildDeb(t)
	root := t.TempDir()
	if out, err := exec.Command("dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x: %v %s", err, out)
	}
	read := func(p string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			t.Error(err)
			return ""
		}
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			b, _ = io.ReadAll(zr)
		}
		return string(b)
	}
	for _, c := range commands() {
		flags := helpFlags(t, binDir(t), c)
		man := read("usr/share/man/man1/" + c + ".1.gz")
		bash := read("usr/share/bash-completion/completions/" + c)
		zsh := read("usr/share/zsh/vendor-completions/_" + c)
		fish := read("usr/share/fish/vendor_completions.d/" + c + ".fish")
		if !strings.HasPrefix(man, ".TH "+strings.ToUpper(strings.ReplaceAll(c, "-", `\-`))+" 1 ") ||
			!strings.Contains(man, ".SH EXIT STATUS") || !strings.Contains(man, ".SH EXAMPLES") {
			t.Errorf("%s.1: not a complete man page:\n%.400s", c, man)
		}
		for f := range flags {
			name := strings.TrimPrefix(f, "--")
			if !strings.Contains(man, `\fB\-\-`+strings.ReplaceAll(name, "-", `\-`)+`\fR`) {
				t.Errorf("%s.1 lacks %s", c, f)
			}
			if !strings.Contains(bash, f) || !strings.Contains(zsh, "'"+f) || !strings.Contains(fish, "-l "+name+" ") {
				t.Errorf("%s completions lack %s", c, f)
			}
		}
		if out, err := exec.Command("bash", "-n", filepath.Join(root, "usr/share/bash-completion/completions", c)).CombinedOutput(); err != nil {
			t.Errorf("%s bash completion: %v %s", c, err, out)
		}
		if _, err := exec.LookPath("groff"); err == nil {
			cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z")
			cmd.Stdin = strings.NewReader(man)
			if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
				t.Errorf("%s.1: groff warnings: %v\n%s", c, err, out)
			}
		}
	}
	if m := read("usr/share/man/man5/suricron.toml.5.gz"); !strings.Contains(m, ".TH SURICRON.TOML 5") || !strings.Contains(m, "[mail]") {
		t.Errorf("suricron.toml.5:\n%.300s", m)
	}
	if c := read("usr/share/doc/suricron/copyright"); !strings.HasPrefix(c, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/") {
		t.Errorf("copyright:\n%s", c)
	}
	if cl := read("usr/share/doc/suricron/changelog.Debian.gz"); !strings.HasPrefix(cl, "suricron (0.0.0+deploytest) unstable; urgency=medium\n") {
		t.Errorf("changelog:\n%s", cl)
	}
	if _, err := exec.LookPath("dpkg-parsechangelog"); err == nil {
		p := filepath.Join(t.TempDir(), "changelog")
		os.WriteFile(p, []byte(read("usr/share/doc/suricron/changelog.Debian.gz")), 0o644)
		if out, err := exec.Command("dpkg-parsechangelog", "-l", p, "-S", "Version").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "0.0.0+deploytest" {
			t.Errorf("dpkg-parsechangelog: %v %s", err, out)
		}
	}
}
