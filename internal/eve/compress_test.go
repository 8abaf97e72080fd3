package eve

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// compressWith runs the real compressor (as logrotate's compresscmd does)
// on data, or skips when it is not installed.
func compressWith(t *testing.T, tool string, data []byte) []byte {
	t.Helper()
	bin, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("SURICRON_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s not installed", tool)
		}
		t.Skipf("%s not installed", tool)
	}
	cmd := exec.Command(bin, "-c")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return out
}

// TestOpenEveryCodec: a rotated file compressed by gzip, zstd, xz or bzip2
// is read whole, under a name that says nothing (logrotate's compressext
// can be anything), and a stream cut in half yields the lines before the
// cut and io.ErrUnexpectedEOF, never garbage lines.
func TestOpenEveryCodec(t *testing.T) {
	var plain bytes.Buffer
	for i := 0; i < 20000; i++ {
		plain.WriteString(`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"alert","n":` + strings.Repeat("7", i%9+1) + "}\n")
	}
	for _, tc := range []struct {
		tool  string
		codec Codec
	}{{"gzip", Gzip}, {"zstd", Zstd}, {"xz", Xz}, {"bzip2", Bzip2}} {
		t.Run(tc.tool, func(t *testing.T) {
			z := compressWith(t, tc.tool, plain.Bytes())
			if got := DetectCodec(z[:MagicLen]); got != tc.codec {
				t.Fatalf("DetectCodec = %v, want %v", got, tc.codec)
			}
			dir := t.TempDir()
			full := filepath.Join(dir, "eve.json.1") // no telling extension
			os.WriteFile(full, z, 0o644)
			f, err := Open(full)
			if err != nil {
				t.Fatal(err)
			}
			got, s := scanAll(t, f.Reader, 0)
			f.Close()
			if len(got) != 20000 || s.Err() != nil || s.Oversize != 0 || len(s.Tail()) != 0 {
				t.Fatalf("read %d lines (err %v), want 20000", len(got), s.Err())
			}
			if strings.Join(got, "\n")+"\n" != plain.String() {
				t.Fatal("content differs")
			}
			cut := filepath.Join(dir, "eve.json.2")
			os.WriteFile(cut, z[:len(z)/2], 0o644)
			f, err = Open(cut)
			if err != nil {
				t.Fatal(err)
			}
			got, s = scanAll(t, f.Reader, 0)
			f.Close()
			if !errors.Is(s.Err(), io.ErrUnexpectedEOF) {
				t.Errorf("cut stream: err %v, want io.ErrUnexpectedEOF", s.Err())
			}
			if len(got) >= 20000 || !strings.HasPrefix(plain.String(), strings.Join(got, "\n")) {
				t.Errorf("cut stream: %d lines, not a prefix of the original", len(got))
			}
		})
	}
}

func TestDetectCodec(t *testing.T) {
	tests := []struct {
		head string
		want Codec
	}{
		{`{"timestamp":`, Plain},
		{"\x00\x00{", Plain},
		{"", Plain},
		{"\x1f", Plain},
		{"\x1f\x8b\x08", Gzip},
		{"\x28\xb5\x2f\xfd\x00", Zstd},
		{"\xfd7zXZ\x00", Xz},
		{"\xfd7zXZ", Plain}, // too short to be sure
		{"BZh91AY", Bzip2},
		{"BZh0", Plain},
		{"BZ", Plain},
	}
	for _, tc := range tests {
		if got := DetectCodec([]byte(tc.head)); got != tc.want {
			t.Errorf("DetectCodec(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}

// TestOpenRefusesFIFO: a FIFO is refused at once, not waited on (without
// O_NONBLOCK, open(2) of a FIFO blocks until a writer appears).
func TestOpenRefusesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "eve.json.pipe")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := Open(p)
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	// On the starting code Open blocked here until go test's -timeout.
	if err := <-done; err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Open(FIFO) = %v, want a not-a-regular-file error", err)
	}
}
