package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	for _, tc := range []struct {
		data string
		perm os.FileMode
	}{{"one\n", 0o600}, {"two, longer\n", 0o644}} {
		if err := Write(p, []byte(tc.data), tc.perm); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != tc.data {
			t.Fatalf("read back %q %v, want %q", b, err, tc.data)
		}
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != tc.perm {
			t.Errorf("mode %v, want %v", fi.Mode().Perm(), tc.perm)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, TempPattern("state.json")))
	if len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	// A directory that does not exist: an error naming the path, and the
	// old file elsewhere untouched.
	if err := Write(filepath.Join(dir, "missing", "x"), []byte("x"), 0o600); err == nil {
		t.Error("write into a missing dir succeeded")
	}
}
