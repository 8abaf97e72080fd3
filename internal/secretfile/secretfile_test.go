package secretfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("s3cret\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte(" \n"), 0o600)
	huge := filepath.Join(dir, "huge")
	os.WriteFile(huge, make([]byte, maxSecret+1), 0o600)
	if s, err := Read(good); err != nil || s != "s3cret" {
		t.Errorf("good: %q %v", s, err)
	}
	for _, tt := range []struct{ path, want string }{
		{empty, "is empty"},
		{filepath.Join(dir, "missing"), "no such file"},
		{huge, "larger than"},
		{"", "not set"},
	} {
		s, err := Read(tt.path)
		if err == nil || !errors.Is(err, ErrUnusable) || s != "" || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %q %v", tt.path, s, err)
		}
		if strings.Contains(err.Error(), ErrUnusable.Error()) {
			t.Errorf("%s: the sentinel's text leaked into %q", tt.path, err)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the cause is lost: %v", err)
	}
}
