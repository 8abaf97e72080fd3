// Package eve reads Suricata's eve.json (JSON Lines): it opens plain files
// or files compressed with gzip, zstd, xz or bzip2 (told by magic bytes), frames complete lines with bounded memory, gates each
// line on its event_type without decoding it, and decodes the few event types
// the commands need into typed views.
//
// Invariants: a line is only ever returned when its terminating '\n' has been
// read, so an offset taken after a line is always a line boundary; lines
// longer than the configured maximum are skipped and counted, never fatal.
package eve

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// DefaultMaxLine is the longest line kept (16 MiB). Stats records with many
// threads can pass 64 KiB; nothing legitimate comes near 16 MiB.
const DefaultMaxLine = 16 << 20

// bufSize is the bufio buffer: most lines fit, so ReadSlice returns them
// without copying.
const bufSize = 128 << 10

// IsGzip reports whether the first bytes are the gzip magic. Rotated files
// are recognised by content, not name: logrotate may compress under any name.
func IsGzip(head []byte) bool { return DetectCodec(head) == Gzip }

// File is an opened eve file: Reader yields the uncompressed bytes.
type File struct {
	*os.File
	Codec  Codec
	Reader io.Reader
	done   func()
	ra     *Readahead
}

// Open opens path (a regular file only: see OpenRegular) and, when it
// starts with a compressor's magic, decompresses it.
func Open(path string) (*File, error) {
	f, _, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	ef, err := wrap(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return ef, nil
}

func wrap(f *os.File) (*File, error) {
	var magic [MagicLen]byte
	n, err := io.ReadFull(f, magic[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	codec := DetectCodec(magic[:n])
	if !codec.Compressed() {
		return &File{File: f, Reader: f}, nil
	}
	zr, done, err := Decompress(codec, f)
	if err != nil {
		return nil, err
	}
	ra := NewReadahead(zr) // decompress on the other core
	return &File{File: f, Codec: codec, Reader: ra, done: done, ra: ra}, nil
}

// Close closes the decompressor and the file.
func (f *File) Close() error {
	if f.ra != nil {
		f.ra.Close()
	}
	if f.done != nil {
		f.done()
	}
	return f.File.Close()
}

// Scanner frames '\n'-terminated lines. Unlike bufio.Scanner it has no
// fixed token limit that aborts the scan: an oversize line is skipped,
// counted and scanning continues; and it tracks the byte offset just after
// each line, which is what a checkpoint stores.
type Scanner struct {
	r        *bufio.Reader
	max      int
	off      int64 // offset after the last returned line
	pos      int64 // bytes consumed from r
	line     []byte
	long     []byte // a line longer than the buffer, being assembled
	skipping bool   // inside a line longer than max
	tail     []byte
	err      error
	n        int64 // '\n'-terminated lines framed since base, skipped ones included
	Oversize int   // lines skipped because they were longer than max
	// OnOversize, when set, is told about each line skipped for its
	// length, so a caller can warn naming it: index counts the lines
	// before it since base (0 for the first), start and end are its byte
	// offsets (end just after its '\n').
	OnOversize func(index, start, end int64)
}

// NewScanner reads from r, which starts at byte offset base of its file.
func NewScanner(r io.Reader, base int64, maxLine int) *Scanner {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &Scanner{r: bufio.NewReaderSize(r, bufSize), max: maxLine, off: base, pos: base}
}

// Next advances to the next complete line. It returns false at the end of
// input (Tail holds any unterminated bytes) or on a read error (Err).
func (s *Scanner) Next() bool {
	for {
		chunk, err := s.r.ReadSlice('\n')
		s.pos += int64(len(chunk))
		switch {
		case err == nil:
			full := chunk
			if s.skipping || s.long != nil {
				if !s.skipping && len(s.long)+len(chunk)-1 <= s.max {
					full = append(s.long, chunk...)
				} else {
					s.skipping = true
				}
				s.long = nil
			}
			start := s.off
			s.off = s.pos
			s.n++
			if s.skipping || len(full)-1 > s.max {
				s.skipping = false
				s.Oversize++
				if s.OnOversize != nil {
					s.OnOversize(s.n-1, start, s.off)
				}
				continue
			}
			s.line = trimEOL(full)
			return true
		case errors.Is(err, bufio.ErrBufferFull):
			// A line longer than the buffer: accumulate up to max, past that
			// only skip to its end.
			if !s.skipping {
				if len(s.long)+len(chunk) > s.max {
					s.skipping = true
					s.long = nil
				} else {
					s.long = append(s.long, chunk...)
				}
			}
		default:
			s.tail = append(append(s.tail[:0], s.long...), chunk...)
			s.long = nil
			if !errors.Is(err, io.EOF) {
				s.err = err
			}
			return false
		}
	}
}

// Line returns the current line without its "\n" (or "\r\n"); it is valid
// until the next call to Next.
func (s *Scanner) Line() []byte { return s.line }

// Lines is how many '\n'-terminated lines were framed since base,
// including blank and skipped ones: the current line is number Lines()
// counted from base.
func (s *Scanner) Lines() int64 { return s.n }

// Offset is the byte offset just after the current line's '\n'.
func (s *Scanner) Offset() int64 { return s.off }

// Tail returns the bytes after the last '\n' once Next returned false: a
// partial line still being written, or a torn final write.
func (s *Scanner) Tail() []byte { return s.tail }

// Err returns the read error that stopped the scan, if not EOF. For a
// truncated gzip stream it is io.ErrUnexpectedEOF.
func (s *Scanner) Err() error { return s.err }

func trimEOL(b []byte) []byte {
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// IsBlank reports whether a line holds only white space (skipped silently).
func IsBlank(line []byte) bool {
	// Nearly every line starts with '{': no need to scan it for spaces.
	if len(line) > 0 && line[0] > ' ' && line[0] < utf8.RuneSelf {
		return false
	}
	return len(bytes.TrimSpace(line)) == 0
}
