package fetch

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

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

// The .md5 sidecar of a URL with a query string (ET Pro mirrors and
// private sources put the key there) is asked for on the path:
// "/x.tar.gz.md5?key=K", not "/x.tar.gz?key=K.md5", which sent a wrong key
// and never found the sidecar, so a corrupt download went unchecked.
func TestMD5SidecarURLKeepsQuery(t *testing.T) {
	body := []byte("tarball bytes")
	var md5Asks atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("key") != "K3y" {
			http.Error(w, "bad key", http.StatusForbidden)
			return
		}
		switch r.URL.Path {
		case "/x.tar.gz":
			w.Write(body)
		case "/x.tar.gz.md5":
			md5Asks.Add(1)
			// A digest that does not match: the fetch must refuse the body.
			io.WriteString(w, "00000000000000000000000000000000  x.tar.gz\n")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := &Fetcher{Client: srv.Client(), CacheDir: t.TempDir(), MaxBytes: 1 << 20,
		Logger: slog.New(slog.DiscardHandler), Now: time.Now, Redact: func(s string) string { return s }}
	u := srv.URL + "/x.tar.gz?key=K3y"
	_, err := f.Fetch(t.Context(), u, u)
	if md5Asks.Load() != 1 || !errors.Is(err, ErrBadData) {
		t.Fatalf("sidecar requests %d, err %v: want the sidecar found at /x.tar.gz.md5?key=... and the body refused", md5Asks.Load(), err)
	}
}

func TestMD5URL(t *testing.T) {
	for in, want := range map[string]string{
		"https://h/x.tar.gz":             "https://h/x.tar.gz.md5",
		"https://h/x.tar.gz?key=K":       "https://h/x.tar.gz.md5?key=K",
		"https://h/x.tar.gz?a=1&key=K#f": "https://h/x.tar.gz.md5?a=1&key=K#f",
		"https://h/x.tar.gz#frag":        "https://h/x.tar.gz.md5#frag",
	} {
		if got := MD5URL(in); got != want {
			t.Errorf("MD5URL(%q) = %q, want %q", in, got, want)
		}
	}
}
