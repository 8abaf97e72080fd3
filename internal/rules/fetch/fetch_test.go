package fetch

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/suricron/suricron/internal/atomicfile"
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
		if err := atomicfile.Write(p, []byte(data), 0o640); err != nil {
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

// TestReadAll checks that the size hint changes nothing but speed: same
// bytes and errors as io.ReadAll over the same limit, whatever the hint.
func TestReadAll(t *testing.T) {
	const max = 100
	boom := errors.New("boom")
	for _, n := range []int{0, 1, 50, 99, 100, 101, 150} {
		data := bytes.Repeat([]byte("x"), n)
		for _, hint := range []int64{-1, 0, 1, int64(n) - 1, int64(n), int64(n) + 1, max, max + 1, 1000} {
			for name, mk := range map[string]func() io.Reader{
				"whole":    func() io.Reader { return bytes.NewReader(data) },
				"one-byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
				"error":    func() io.Reader { return io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)) },
			} {
				want, wantErr := io.ReadAll(io.LimitReader(mk(), max+1))
				got, err := readAll(mk(), hint, max)
				if !bytes.Equal(got, want) || !errors.Is(err, wantErr) && err != wantErr {
					t.Errorf("n=%d hint=%d %s: got %d bytes, %v; want %d bytes, %v", n, hint, name, len(got), err, len(want), wantErr)
				}
			}
		}
	}
}
