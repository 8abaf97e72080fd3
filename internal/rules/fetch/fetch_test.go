package fetch

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func TestParseMD5(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2ac9d6f6af81148fd17e508001132950\n", "2ac9d6f6af81148fd17e508001132950"},
		{"2AC9D6F6AF81148FD17E508001132950  emerging.rules.tar.gz\n", "2ac9d6f6af81148fd17e508001132950"},
		{"<html>404</html>", ""},
		{"", ""},
		{"zzc9d6f6af81148fd17e508001132950", ""},
		{"2ac9d6f6", ""},
	}
	for _, tc := range tests {
		if got := parseMD5([]byte(tc.in)); got != tc.want {
			t.Errorf("parseMD5(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	for _, data := range []string{"one", "two"} {
		if err := WriteFileAtomic(p, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != data {
			t.Fatalf("read %q, %v", b, err)
		}
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode())
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".*")); len(m) != 0 {
		t.Errorf("temp files left: %v", m)
	}
}

func FuzzParseMD5(f *testing.F) {
	f.Add([]byte("2ac9d6f6af81148fd17e508001132950\n"))
	f.Add([]byte("<html>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := parseMD5(b)
		if s == "" {
			return
		}
		if _, err := hex.DecodeString(s); err != nil || len(s) != 32 {
			t.Fatalf("accepted %q", s)
		}
	})
}
