// Package sharedtest locates the real sample data (ET Open tarballs, Suricata
// rules, eve.json from real sensors) that lives in ../shared/testdata beside
// the project. The data is never copied into the repository: tests that need
// it skip on a clone without it, and fail instead when
// SURICRON_REQUIRE_SHARED=1 (as CI sets) so a missing data set cannot turn a
// CI run green by skipping. Logrotate does the same for the real logrotate
// binary, under SURICRON_REQUIRE_TOOLS=1.
package sharedtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// RequireEnv is the environment variable that turns a skip into a failure.
const RequireEnv = "SURICRON_REQUIRE_SHARED"

// Dir returns the absolute path of shared/testdata, or skips (fails under
// SURICRON_REQUIRE_SHARED=1) when it is absent.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := find()
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("shared test data required (%s=1) but not found: %v", RequireEnv, err)
		}
		t.Skipf("shared test data not available: %v", err)
	}
	return dir
}

// EveSamples returns the real eve files (eve/*/*.json and *.ndjson),
// failing the test when the directory holds none: like Path, a moved
// sample set must not silently skip.
func EveSamples(t testing.TB) []string {
	t.Helper()
	dir := Dir(t)
	var paths []string
	for _, g := range []string{"*.json", "*.ndjson"} {
		m, _ := filepath.Glob(filepath.Join(dir, "eve", "*", g))
		paths = append(paths, m...)
	}
	if len(paths) == 0 {
		t.Fatalf("shared sample: no eve/*/*.json or *.ndjson under %s", dir)
	}
	return paths
}

// Path returns Dir joined with elem, failing the test if that file is missing
// while the directory exists (a renamed sample must not silently skip).
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir(t)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared sample: %v", err)
	}
	return p
}

func find() (string, error) {
	if d := os.Getenv("SURICRON_SHARED_TESTDATA"); d != "" {
		return checkDir(d)
	}
	// The module root is two levels above this file; shared/ sits beside it.
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", os.ErrNotExist
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	return checkDir(filepath.Join(root, "..", "shared", "testdata"))
}

func checkDir(d string) (string, error) {
	abs, err := filepath.Abs(d)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", &os.PathError{Op: "stat", Path: abs, Err: os.ErrInvalid}
	}
	return abs, nil
}

// RequireToolsEnv turns a missing system tool (logrotate, suricata-update)
// from a skip into a failure; .ci/run installs them and sets it.
const RequireToolsEnv = "SURICRON_REQUIRE_TOOLS"

// Logrotate returns the path of the real logrotate binary, or skips (fails
// under SURICRON_REQUIRE_TOOLS=1) when it is not installed.
func Logrotate(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/logrotate", "/sbin/logrotate"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("logrotate"); err == nil {
		return p
	}
	if os.Getenv(RequireToolsEnv) == "1" {
		t.Fatalf("logrotate not installed (%s=1)", RequireToolsEnv)
	}
	t.Skip("logrotate not installed (apt-get install logrotate)")
	return ""
}
