package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// commands are the binaries; dump-data has no service mode.
func commands() []string {
	return []string{"rules-update", "alert-digest", "telemetry-send", "dump-data", "weekly-report", "eve-ship"}
}

// testVersion is stamped into the binaries so --version can be checked.
const testVersion = "0.0.0-deploytest"

// TestMain builds the commands once into a temp dir named by
// SURICRON_DEPLOY_BIN for the tests (and evegen for sample data).
func TestMain(m *testing.M) {
	// TestDebianPackage re-runs this binary in a mount namespace; the
	// commands are built already.
	if os.Getenv(nsEnv) == "1" && os.Getenv("SURICRON_DEPLOY_BIN") != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "suricron-deploy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Service-user tests run the binaries as suricron.
	os.Chmod(dir, 0o755)
	code := func() int {
		root := repoRoot()
		for _, c := range append(commands(), "evegen") {
			pkg := "./cmd/" + c
			if c == "evegen" {
				pkg = "./tools/evegen"
			}
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version="+testVersion, "-o", filepath.Join(dir, c), pkg)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", pkg, err, out)
				return 1
			}
		}
		os.Setenv("SURICRON_DEPLOY_BIN", dir)
		return m.Run()
	}()
	os.RemoveAll(dir)
	os.Exit(code)
}

func binDir(t testing.TB) string {
	t.Helper()
	d := os.Getenv("SURICRON_DEPLOY_BIN")
	if d == "" {
		t.Fatal("binaries not built (TestMain)")
	}
	return d
}

// repoRoot is two levels up from this package.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

func rootPath(parts ...string) string {
	return filepath.Join(append([]string{repoRoot()}, parts...)...)
}

// result is one finished command.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%.3000s\nstderr:\n%.3000s", r.code, r.stdout, r.stderr)
}

// runCmd runs name with args and extra environment, with no stdin. The
// caller's SURICRON_* settings are dropped so that only the config file
// and the flags under test decide.
func runCmd(t testing.TB, env []string, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(baseEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{code, out.String(), errb.String()}
}

func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "SURICRON_") || k == "SURICRON_DEPLOY_BIN" {
			env = append(env, kv)
		}
	}
	return env
}
