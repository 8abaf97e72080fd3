package eve

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"testing/iotest"

	kgzip "github.com/klauspost/compress/gzip"
)

func TestReadaheadSameBytesAndErrors(t *testing.T) {
	data := make([]byte, 3*raChunk+12345)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.IntN(256))
	}
	tests := []struct {
		name string
		src  io.Reader
		want []byte
		err  error
	}{
		{"whole", bytes.NewReader(data), data, nil},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(data[:5000])), data[:5000], nil},
		{"empty", bytes.NewReader(nil), nil, nil},
		{"error after data", io.MultiReader(bytes.NewReader(data[:raChunk+7]), iotest.ErrReader(io.ErrUnexpectedEOF)), data[:raChunk+7], io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ra := NewReadahead(tc.src)
			defer ra.Close()
			got, err := io.ReadAll(ra)
			if !bytes.Equal(got, tc.want) {
				t.Errorf("read %d bytes, want %d (or different content)", len(got), len(tc.want))
			}
			if !errors.Is(err, tc.err) && !(tc.err == nil && err == nil) {
				t.Errorf("err %v, want %v", err, tc.err)
			}
		})
	}
}

func TestReadaheadTruncatedGzip(t *testing.T) {
	var plain bytes.Buffer
	for i := 0; i < 200000; i++ {
		plain.WriteString(`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"flow"}` + "\n")
	}
	var gz bytes.Buffer
	zw := kgzip.NewWriter(&gz)
	zw.Write(plain.Bytes())
	zw.Close()
	zr, err := kgzip.NewReader(bytes.NewReader(gz.Bytes()[:gz.Len()/2]))
	if err != nil {
		t.Fatal(err)
	}
	ra := NewReadahead(zr)
	defer ra.Close()
	got, err := io.ReadAll(ra)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err %v, want io.ErrUnexpectedEOF", err)
	}
	if len(got) == 0 || !bytes.Equal(got, plain.Bytes()[:len(got)]) {
		t.Errorf("the %d bytes before the damage differ", len(got))
	}
}

// countingReader counts the bytes its source handed out.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestReadaheadCloseEarly: a reader that stops after a few bytes (a batch
// limit, an error in the caller) closes the readahead while chunks are
// pending. Close must return (the test would hang otherwise), having
// stopped the background reader well before the end of the source rather
// than draining it, and a second Close is harmless.
func TestReadaheadCloseEarly(t *testing.T) {
	data := make([]byte, 20*raChunk)
	for i := range data {
		data[i] = byte(i * 7)
	}
	src := &countingReader{r: bytes.NewReader(data)}
	ra := NewReadahead(src)
	buf := make([]byte, 100)
	n, err := io.ReadFull(ra, buf)
	if err != nil || !bytes.Equal(buf[:n], data[:100]) {
		t.Fatalf("first read: %d bytes, err %v, or wrong content", n, err)
	}
	if err := ra.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Close waited for the background goroutine, so the count is final:
	// at most the queued chunks, the one in flight and the one read.
	if got, limit := src.n.Load(), int64((raDepth+2)*raChunk); got > limit {
		t.Errorf("the source was read for %d bytes after an early Close, want at most %d", got, limit)
	}
	if err := ra.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
