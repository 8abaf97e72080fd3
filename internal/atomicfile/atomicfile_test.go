package atomicfile

import (
	"errors"
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

// TestPlantedSymlinksNotFollowed: symlinks planted under the names a writer
// might use (the target itself, fixed temp names) never lead a write to
// their targets; the target path ends up a regular file.
func TestPlantedSymlinksNotFollowed(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "x.last.json")
	for _, name := range []string{p, p + ".tmp", filepath.Join(dir, ".x.last.json.tmp")} {
		if err := os.Symlink(victim, name); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(p, []byte("new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("victim overwritten: %q", b)
	}
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		t.Errorf("target is not a regular file after the write: %v %v", fi, err)
	}
}

func TestPrivateDir(t *testing.T) {
	base := t.TempDir()
	tests := []struct {
		name string
		mode os.FileMode // 0: let PrivateDir create it
		ok   bool
	}{
		{"created", 0, true},
		{"0700", 0o700, true},
		{"0750", 0o750, true},
		{"0755", 0o755, true},
		{"group-writable", 0o770, false},
		{"world-writable", 0o777, false},
		{"sticky world-writable", 0o777 | os.ModeSticky, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := filepath.Join(base, tc.name)
			if tc.mode != 0 {
				if err := os.Mkdir(d, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(d, tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			err := PrivateDir(d)
			if tc.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrUnsafeDir) {
				t.Errorf("accepted (err %v)", err)
			}
			if tc.mode == 0 {
				if fi, _ := os.Stat(d); fi == nil || fi.Mode().Perm() != 0o700 {
					t.Errorf("created with %v, want 0700", fi.Mode())
				}
			}
		})
	}
}
