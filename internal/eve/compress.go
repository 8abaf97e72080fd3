package eve

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"
	"os"
	"syscall"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Codec is how an eve file is compressed. It is read from the file's
// first bytes, never from its name: logrotate's compresscmd/compressext
// may give any compressor any extension, and a file can be renamed.
type Codec uint8

// The codecs logrotate is commonly configured with.
const (
	Plain Codec = iota
	Gzip
	Zstd
	Xz
	Bzip2
)

// MagicLen is how many leading bytes DetectCodec needs.
const MagicLen = 6

var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicXz    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicBzip2 = []byte("BZh")
)

// DetectCodec names the compression of a file from its first bytes (at
// least MagicLen of them when the file has that many). An eve record starts
// with '{' (or NULs after a copytruncate), so no magic is ever a plain file.
func DetectCodec(head []byte) Codec {
	switch {
	case bytes.HasPrefix(head, magicGzip):
		return Gzip
	case bytes.HasPrefix(head, magicZstd):
		return Zstd
	case bytes.HasPrefix(head, magicXz):
		return Xz
	case len(head) >= 4 && bytes.HasPrefix(head, magicBzip2) && head[3] >= '1' && head[3] <= '9':
		return Bzip2
	}
	return Plain
}

func (c Codec) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	case Xz:
		return "xz"
	case Bzip2:
		return "bzip2"
	}
	return "plain"
}

// Compressed reports whether c is a compression (not Plain).
func (c Codec) Compressed() bool { return c != Plain }

// Decompress returns the uncompressed stream of r and the function that
// releases the decoder. A stream cut short (a file still being written, or
// damaged) reads as io.ErrUnexpectedEOF after the bytes before the cut, for
// every codec: callers tell "still being compressed" from other errors by
// that alone.
func Decompress(c Codec, r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 256<<10)
	switch c {
	case Plain:
		return r, func() {}, nil
	case Gzip:
		zr, err := kgzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip header: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case Zstd:
		// One decoder goroutine: the caller's Readahead already moves
		// decompression off the parsing core. The window cap bounds memory
		// whatever a hostile frame header asks for.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd header: %w", err)
		}
		return zr, zr.Close, nil
	case Xz:
		zr, err := xz.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("xz header: %w", err)
		}
		return zr, func() {}, nil
	case Bzip2:
		return bzip2.NewReader(br), func() {}, nil
	}
	return nil, nil, fmt.Errorf("unknown codec %d", c)
}

// OpenRegular opens path for reading and refuses anything but a regular
// file. The open itself is non-blocking: a FIFO matched by a rotated-file
// pattern (eve.json.pipe) would otherwise block in open(2) until a writer
// came, out of reach of SIGTERM, holding the command's lock. The check is
// on the open fd (fstat), so a rename in between cannot slip past it.
func OpenRegular(path string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	return f, fi, nil
}
