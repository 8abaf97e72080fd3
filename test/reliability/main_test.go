package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// commands are the binaries under test.
var commands = []string{"rules-update", "alert-digest", "telemetry-send", "dump-data", "weekly-report"}

// binDir holds the binaries TestMain built.
var binDir string

// TestMain builds every command once, so that the tests exercise exactly
// what an operator installs (flags, exit codes, signals, files).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "suricron-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = filepath.Join(dir, "bin")
	for _, c := range commands {
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, c), "github.com/suricron/suricron/cmd/"+c)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", c, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func bin(name string) string { return filepath.Join(binDir, name) }

// result is one finished run of a binary.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// cleanEnv is the test process's environment without SURICRON_* settings,
// with HOME in a temp dir, plus extra.
func cleanEnv(t *testing.T, extra ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "SURICRON_") && !strings.HasPrefix(e, "HOME=") && !strings.HasPrefix(e, "SSL_CERT_FILE=") {
			env = append(env, e)
		}
	}
	return append(append(env, "HOME="+t.TempDir()), extra...)
}

// run runs a command to completion (bounded by 60 s).
func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin(name), args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// want fails the test unless r exited with code.
func (r result) want(t *testing.T, code int, what string) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout: %.1500s\nstderr: %.1500s", what, r.code, code, r.stdout, r.stderr)
	}
	return r
}

// emptyConfig writes an empty config file, so that /etc/suricron never
// reaches a test.
func emptyConfig(t *testing.T, dir string) string {
	p := filepath.Join(dir, "none.toml")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeFile writes content with mode, failing the test on error.
func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// appendFile appends content to path.
func appendFile(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

// dirState maps every file under dir to its content, for "state
// unchanged" checks.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".lock") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil {
			m[strings.TrimPrefix(p, dir)] = string(b)
		}
		return nil
	})
	return m
}
