package eve

import (
	"bytes"
	"errors"
	"io"
)

// TypeScanner returns only the complete lines whose event_type is one
// given type, exactly the lines for which a Scanner and EventType would say
// so, but without framing every line: it searches the read buffer for the
// type's quoted name (`"alert"`), which every such line contains (EventType
// returns the raw bytes between the quotes, so "alert" means the bytes
// `"alert"` are in the line), and only around a hit looks for the line's
// boundaries and checks its event_type. Lines without the pattern are
// skipped wholesale at the speed of bytes.Index; none is copied or
// allocated.
//
// Like Scanner it never returns a line whose '\n' has not been read (an
// unterminated last line is not returned), trims "\r\n", and skips lines
// longer than the maximum.
type TypeScanner struct {
	r   io.Reader
	typ []byte
	pat []byte // `"` + typ + `"`
	max int
	buf []byte
	// buf[start:end] is unread; start is a line start unless skip is set.
	start, end int
	from       int  // where the pattern search resumes (>= start)
	skip       bool // discarding the rest of an oversize line
	eof        bool
	err        error
	line       []byte
	// Oversize counts lines skipped for their length that might have been
	// of the type (a line seen to outgrow the maximum before its type was
	// known is counted too).
	Oversize int
}

// typeScanBuf is the read size: large reads, small enough that the bytes
// just read are still in cache when they are searched.
const typeScanBuf = 1 << 20

// NewTypeScanner reads r for lines of event type typ (maxLine <= 0:
// DefaultMaxLine).
func NewTypeScanner(r io.Reader, typ string, maxLine int) *TypeScanner {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &TypeScanner{r: r, typ: []byte(typ), pat: []byte(`"` + typ + `"`), max: maxLine,
		buf: make([]byte, min(typeScanBuf, maxLine+2))}
}

// Next advances to the next line of the type; false at the end of input or
// on a read error (Err).
func (s *TypeScanner) Next() bool {
	for {
		if s.skip {
			i := bytes.IndexByte(s.buf[s.start:s.end], '\n')
			if i < 0 {
				s.start, s.from = s.end, s.end
				if !s.fill() {
					return false
				}
				continue
			}
			s.start += i + 1
			s.from, s.skip = s.start, false
		}
		m := bytes.Index(s.buf[s.from:s.end], s.pat)
		if m < 0 {
			// No candidate in what is buffered: every complete line is
			// skipped; keep the partial last one (the pattern may begin in
			// it and end in the next read).
			if nl := bytes.LastIndexByte(s.buf[s.start:s.end], '\n'); nl >= 0 {
				s.start += nl + 1
			}
			s.from = max(s.start, s.end-len(s.pat)+1)
			if s.end-s.start > s.max {
				s.skipLine()
			}
			if !s.fill() {
				return false
			}
			continue
		}
		m += s.from
		ls := s.start + bytes.LastIndexByte(s.buf[s.start:m], '\n') + 1
		nl := bytes.IndexByte(s.buf[m+len(s.pat):s.end], '\n')
		if nl < 0 {
			// The candidate line is not complete yet: keep it from its start.
			s.start, s.from = ls, m
			if s.end-s.start > s.max {
				s.skipLine()
			}
			if !s.fill() {
				return false
			}
			continue
		}
		le := m + len(s.pat) + nl // the '\n'
		s.start, s.from = le+1, le+1
		if le-ls > s.max {
			s.Oversize++
			continue
		}
		line := s.buf[ls:le]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if et, err := EventType(line); err != nil || !bytes.Equal(et, s.typ) {
			continue
		}
		s.line = line
		return true
	}
}

// skipLine drops the partial line at start, already longer than the
// maximum, and discards input up to its '\n'.
func (s *TypeScanner) skipLine() {
	s.Oversize++
	s.skip = true
	s.start, s.from = s.end, s.end
}

// fill moves the unread bytes to the front and reads more, growing the
// buffer for a line longer than it (up to the maximum). It returns false
// once the input is exhausted.
func (s *TypeScanner) fill() bool {
	if s.eof {
		return false
	}
	if s.start > 0 {
		n := copy(s.buf, s.buf[s.start:s.end])
		s.from -= s.start
		s.start, s.end = 0, n
	}
	if s.end == len(s.buf) {
		nb := make([]byte, min(2*len(s.buf), s.max+2))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	if err != nil {
		s.eof = true
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
		// What is buffered may still hold complete lines.
		return n > 0 || s.end > s.start
	}
	return true
}

// Line returns the current line without its "\n" (or "\r\n"); it is valid
// until the next call to Next.
func (s *TypeScanner) Line() []byte { return s.line }

// Err returns the read error that stopped the scan, if not EOF.
func (s *TypeScanner) Err() error { return s.err }
