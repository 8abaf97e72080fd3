package suricron

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestHygiene keeps the tree clean the way CI sees it: go vet, gofmt and a
// tidy go.mod. It runs the real tools, so it needs the Go toolchain on PATH.
func TestHygiene(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet over the whole module")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Run("vet", func(t *testing.T) { run(goBin, "vet", "./...") })
	t.Run("gofmt", func(t *testing.T) {
		gofmt := strings.TrimSuffix(goBin, "go") + "gofmt"
		if _, err := os.Stat(gofmt); err != nil {
			gofmt = "gofmt"
		}
		if out := run(gofmt, "-l", "."); strings.TrimSpace(out) != "" {
			t.Errorf("gofmt would change:\n%s", out)
		}
	})
	t.Run("tidy", func(t *testing.T) { run(goBin, "mod", "tidy", "-diff") })
}
