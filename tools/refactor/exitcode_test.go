// Package refactor holds the scripts that move call sites when a package
// moves (issue 15); this test proves exitcode.sh on a small module.
package refactor

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The call sites another branch may still spell the old way.
const before = `package x

import (
	"context"
	"fmt"
	"time"

	"github.com/suricron/suricron/internal/cli"
)

// Check marks its errors with cli.Usage (a comment is rewritten too).
func Check(ctx context.Context, p string) (int, error) {
	if p == "" {
		return cli.ExitUsage, cli.Usagef("empty %q", p)
	}
	s, err := cli.ReadSecret(p)
	if err != nil {
		return cli.ExitCode(err), fmt.Errorf("x: %w", err)
	}
	if err := cli.Sleep(ctx, time.Millisecond); err != nil {
		return cli.ExitInterrupted, cli.WithCode(cli.ExitInterrupted, err)
	}
	_ = s
	return cli.ExitOK, cli.TempFail(cli.Data(cli.Usage(nil)))
}
`

const onlyMoved = `package x

import "github.com/suricron/suricron/internal/cli"

func bad() error { return cli.Data(nil) }
`

func TestExitcodeScript(t *testing.T) {
	for _, tool := range []string{"go", "perl", "gofmt"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// Read through the test binary so that go test's cache notices an
	// edit of the script (it does not see what the sh child opens).
	script := filepath.Join(root, "tools/refactor/exitcode.sh")
	if _, err := os.ReadFile(script); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyReal := func(name string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		write(name, string(b))
	}
	write("go.mod", "module github.com/suricron/suricron\n\ngo 1.26\n")
	copyReal("internal/exitcode/exitcode.go")
	copyReal("internal/secretfile/secretfile.go")
	copyReal("internal/sleep/sleep.go")
	// A stand-in cli: the table stays there and is not rewritten.
	write("internal/cli/cli.go", "package cli\n\nfunc ExitCode(err error) int { return 1 }\n")
	write("internal/x/x.go", before)
	write("internal/x/y.go", onlyMoved)

	run := func() string {
		t.Helper()
		cmd := exec.Command("sh", script, dir)
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("exitcode.sh: %v\n%s", err, out)
		}
		return string(out)
	}
	if out := run(); !strings.Contains(out, "internal/x/x.go") || !strings.Contains(out, "internal/x/y.go") {
		t.Errorf("first run rewrote: %s", out)
	}
	x, _ := os.ReadFile(filepath.Join(dir, "internal/x/x.go"))
	y, _ := os.ReadFile(filepath.Join(dir, "internal/x/y.go"))
	for _, want := range []string{
		"exitcode.ExitUsage, exitcode.Usagef(", "secretfile.Read(p)", "sleep.For(ctx,",
		"cli.ExitCode(err)", "exitcode.WithCode(exitcode.ExitInterrupted, err)",
		"exitcode.TempFail(exitcode.Data(exitcode.Usage(nil)))", "with exitcode.Usage (a comment",
		"\t\"github.com/suricron/suricron/internal/cli\"\n\t\"github.com/suricron/suricron/internal/exitcode\"\n\t\"github.com/suricron/suricron/internal/secretfile\"\n\t\"github.com/suricron/suricron/internal/sleep\"\n",
	} {
		if !strings.Contains(string(x), want) {
			t.Errorf("x.go lacks %q:\n%s", want, x)
		}
	}
	if strings.Contains(string(y), "internal/cli") || !strings.Contains(string(y), "exitcode.Data(nil)") {
		t.Errorf("y.go still imports cli or was not rewritten:\n%s", y)
	}
	// Idempotent: a second run changes nothing.
	if out := run(); strings.Contains(out, "rewrote") {
		t.Errorf("second run rewrote: %s", out)
	}
	x2, _ := os.ReadFile(filepath.Join(dir, "internal/x/x.go"))
	if string(x2) != string(x) {
		t.Errorf("second run changed x.go:\n%s", x2)
	}
}
