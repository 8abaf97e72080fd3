package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeInstall stages `make install` into a DESTDIR and checks the
// layout: the commands in $(BINDIR), config and cron file, units pointing
// at $(BINDIR), and that an existing config is never overwritten.
func TestMakeInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands")
	}
	dest := t.TempDir()
	conf := filepath.Join(dest, "etc", "suricron", "suricron.toml")
	os.MkdirAll(filepath.Dir(conf), 0o755)
	os.WriteFile(conf, []byte("# operator's own\n"), 0o644)
	r := runCmd(t, nil, "make", "-C", repoRoot(), "install", "DESTDIR="+dest, "BIN="+filepath.Join(dest, "build"), "PREFIX=/opt/suricron")
	if r.code != 0 {
		t.Fatalf("make install: %s", r)
	}
	for _, c := range commands() {
		if fi, err := os.Stat(filepath.Join(dest, "opt", "suricron", "bin", c)); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s not installed executable: %v", c, err)
		}
	}
	if b, _ := os.ReadFile(conf); string(b) != "# operator's own\n" {
		t.Error("make install overwrote an existing config")
	}
	if _, err := os.Stat(filepath.Join(dest, "etc", "cron.d", "suricron")); err != nil {
		t.Error(err)
	}
	unit, err := os.ReadFile(filepath.Join(dest, "opt", "suricron", "lib", "systemd", "system", "suricron-alert-digest.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "ExecStart=/opt/suricron/bin/alert-digest ") {
		t.Errorf("unit not rewritten to BINDIR:\n%s", unit)
	}
}
