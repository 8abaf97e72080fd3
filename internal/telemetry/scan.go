package telemetry

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/buger/jsonparser"
)

// The scanner below is the first half of the one-pass encoder: one walk over
// the raw line that validates it exactly as encoding/json's Valid does
// (RFC 8259 grammar, the four whitespace bytes, no control bytes in strings,
// invalid UTF-8 accepted, at most maxDepth nested containers) and, while it
// walks, records where the allowed fields' values are. Everything else is
// skipped without being decoded. The second half (encode.go) masks and
// writes only the recorded values, so the line's bytes are read once.

// maxDepth is encoding/json's nesting limit: json.Valid rejects deeper input,
// and so must the scanner, or the two paths would disagree on what is valid.
const maxDepth = 10000

// maxItems bounds the recorded fields: repeated keys keep only their first
// occurrence, so a record can never hold more allowed fields than the
// schema names (init checks it).
const maxItems = 64

// vtype is the JSON type of a recorded value.
type vtype uint8

const (
	vString vtype = iota + 1
	vNumber
	vObject
	vArray
	vLiteral // true, false, null
)

// found is one allowed field the scan met in the line. For strings start:end is the
// content between the quotes; for numbers the token; for arrays the whole
// bracketed text. An object is followed by the items of its own
// fields, sub of them.
type found struct {
	f          *field
	start, end int32 // lines are far shorter than 2 GiB (the reader's cap)
	sub        int32
	typ        vtype
	esc        bool // the string holds backslash escapes
	allNumbers bool // an array whose elements are all numbers
}

// strSpan is the content of a top-level string the encoder needs besides
// the allowed fields (src_ip, dest_ip, direction decide which side is the
// server).
type strSpan struct {
	start, end int
	esc        bool
	ok         bool // the first occurrence of the key held a string
	seen       bool // the key occurred (later occurrences are ignored)
}

// scanner holds the state of one line's walk. It lives on the caller's
// stack: Encoder values are shared by goroutines and keep no buffers.
type scanner struct {
	b        []byte
	i        int
	depth    int
	n        int
	items    [maxItems]found
	src, dst strSpan
	dir      strSpan
	keyBuf   [64]byte

	// Set by Encoder.serverLocal: the server's address string and its parse.
	server       strSpan
	serverAddr   netip.Addr
	serverAddrOK bool
}

var errSyntax = errors.New("syntax error")

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// strFree marks the bytes a string may hold without a closer look: not the
// quote, the backslash, or a control byte.
var strFree = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0 // never valid where a token is expected
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// scanRecord walks the whole line: one object, nothing but whitespace
// around it.
func (s *scanner) scanRecord() error {
	s.ws()
	if s.peek() != '{' {
		return errSyntax
	}
	if err := s.object(schema, true); err != nil {
		return err
	}
	s.ws()
	if s.i != len(s.b) {
		return errSyntax
	}
	return nil
}

// str reads a string at s.i (the opening quote) and returns its content.
func (s *scanner) str() (start, end int, esc bool, err error) {
	b := s.b
	i := s.i + 1
	start = i
	for {
		// Eight bytes at a time while none is a quote, a backslash or a
		// control byte (the classic "has zero byte / has byte less than"
		// word tricks): most of a line's bytes are in strings nobody reads.
		for i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:])
			q, bs := w^(lsb*'"'), w^(lsb*'\\')
			if ((q-lsb)&^q|(bs-lsb)&^bs|(w-lsb*0x20)&^w)&msb != 0 {
				break
			}
			i += 8
		}
		for i < len(b) && strFree[b[i]] {
			i++
		}
		if i >= len(b) {
			return 0, 0, false, errSyntax
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return start, i, esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return 0, 0, false, errSyntax
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return 0, 0, false, errSyntax
				}
				i += 6
			default:
				return 0, 0, false, errSyntax
			}
		default: // a control byte
			return 0, 0, false, errSyntax
		}
	}
}

// number reads a number at s.i: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return errSyntax
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return errSyntax
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return errSyntax
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	s.i = i
	return nil
}

func (s *scanner) literal() error {
	var lit string
	switch s.peek() {
	case 't':
		lit = "true"
	case 'f':
		lit = "false"
	case 'n':
		lit = "null"
	default:
		return errSyntax
	}
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return errSyntax
	}
	s.i += len(lit)
	return nil
}

// key reads an object key and returns it unescaped. An escaped key is
// unescaped as the old ObjectEach path did (jsonparser.Unescape), so
// "src\u005fip" is src_ip in both.
func (s *scanner) key() ([]byte, error) {
	if s.peek() != '"' {
		return nil, errSyntax
	}
	start, end, esc, err := s.str()
	if err != nil {
		return nil, err
	}
	k := s.b[start:end]
	if esc {
		u, err := jsonparser.Unescape(k, s.keyBuf[:])
		if err != nil {
			return nil, errSyntax
		}
		k = u
	}
	return k, nil
}

// object walks an object at s.i whose allowed fields are fields, recording
// the first occurrence of each. top is the record itself, where the server
// side is also decided.
func (s *scanner) object(fields []field, top bool) error {
	s.i++ // '{'
	s.depth++
	if s.depth > maxDepth {
		return errSyntax
	}
	var seen uint64 // allow-lists are shorter than 64 entries
	s.ws()
	if s.peek() == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		k, err := s.key()
		if err != nil {
			return err
		}
		s.ws()
		if s.peek() != ':' {
			return errSyntax
		}
		s.i++
		s.ws()
		idx := lookup(fields, k)
		if idx >= 0 && seen&(1<<uint(idx)) == 0 {
			seen |= 1 << uint(idx)
			if top {
				if err := s.serverKey(k); err != nil {
					return err
				}
			}
			if err := s.field(&fields[idx]); err != nil {
				return err
			}
		} else if top && string(k) == "direction" {
			if err := s.serverKey(k); err != nil {
				return err
			}
			if err := s.value(); err != nil {
				return err
			}
		} else if err := s.value(); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			s.depth--
			return nil
		default:
			return errSyntax
		}
	}
}

// serverKey notes where the first top-level src_ip, dest_ip or direction
// string is, without consuming it. Like the EachKey lookup of the old
// encoder, only the first occurrence counts, and only when it is a string.
func (s *scanner) serverKey(k []byte) error {
	var sp *strSpan
	switch string(k) {
	case "src_ip":
		sp = &s.src
	case "dest_ip":
		sp = &s.dst
	case "direction":
		sp = &s.dir
	default:
		return nil
	}
	if sp.seen {
		return nil
	}
	sp.seen = true
	if s.peek() != '"' {
		return nil
	}
	save := s.i
	start, end, esc, err := s.str()
	if err != nil {
		return err
	}
	s.i = save // the caller reads the value again as a field or skips it
	*sp = strSpan{start: start, end: end, esc: esc, ok: true, seen: true}
	return nil
}

// field reads the value of an allowed field, recording it when its type
// is the one the field takes; any other value is validated and dropped.
func (s *scanner) field(f *field) error {
	c := s.peek()
	switch f.kind {
	case kObject:
		if c != '{' {
			return s.value()
		}
		at := s.add(found{f: f, typ: vObject, start: int32(s.i)})
		if err := s.object(f.sub, false); err != nil {
			return err
		}
		s.items[at].sub = int32(s.n - at - 1)
		s.items[at].end = int32(s.i)
		return nil
	case kNumber:
		if c != '-' && !isDigit(c) {
			return s.value()
		}
		start := s.i
		if err := s.number(); err != nil {
			return err
		}
		s.add(found{f: f, typ: vNumber, start: int32(start), end: int32(s.i)})
		return nil
	case kNumbers:
		if c != '[' {
			return s.value()
		}
		start := s.i
		all, err := s.array()
		if err != nil {
			return err
		}
		s.add(found{f: f, typ: vArray, allNumbers: all, start: int32(start), end: int32(s.i)})
		return nil
	}
	if c != '"' {
		return s.value()
	}
	start, end, esc, err := s.str()
	if err != nil {
		return err
	}
	s.add(found{f: f, typ: vString, esc: esc, start: int32(start), end: int32(end)})
	return nil
}

func (s *scanner) add(it found) int {
	// Cannot overflow: at most one per schema entry (see maxItems).
	s.items[s.n] = it
	s.n++
	return s.n - 1
}

// array walks an array at s.i and reports whether every element is a number.
func (s *scanner) array() (allNumbers bool, err error) {
	s.i++ // '['
	s.depth++
	if s.depth > maxDepth {
		return false, errSyntax
	}
	allNumbers = true
	s.ws()
	if s.peek() == ']' {
		s.i++
		s.depth--
		return true, nil
	}
	for {
		if c := s.peek(); c != '-' && !isDigit(c) {
			allNumbers = false
		}
		if err := s.value(); err != nil {
			return false, err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
			s.ws()
		case ']':
			s.i++
			s.depth--
			return allNumbers, nil
		default:
			return false, errSyntax
		}
	}
}

// value validates and skips any value at s.i. Containers are walked with
// an explicit stack, so hostile nesting costs no recursion.
func (s *scanner) value() error {
	// Bit set, one bit per open container: set when it is an array. Real
	// records nest a few levels; deeper hostile input grows it on the heap.
	var small [2]uint64
	stack := small[:]
	base := s.depth
	for {
		// A value is expected at s.i.
		switch c := s.peek(); {
		case c == '"':
			if _, _, _, err := s.str(); err != nil {
				return err
			}
		case c == '-' || isDigit(c):
			if err := s.number(); err != nil {
				return err
			}
		case c == '{' || c == '[':
			s.i++
			s.depth++
			if s.depth > maxDepth {
				return errSyntax
			}
			lvl := s.depth - base - 1
			if lvl/64 >= len(stack) {
				stack = append(stack, 0)
			}
			s.ws()
			if c == '[' {
				stack[lvl/64] |= 1 << uint(lvl%64)
				if s.peek() != ']' {
					continue // to the first element
				}
			} else {
				stack[lvl/64] &^= 1 << uint(lvl%64)
				if s.peek() != '}' {
					if err := s.memberKey(); err != nil {
						return err
					}
					continue // to the first member's value
				}
			}
			s.i++ // the empty container's closer
			s.depth--
		default:
			if err := s.literal(); err != nil {
				return err
			}
		}
		// A value ended: close containers until one continues.
		for {
			if s.depth == base {
				return nil
			}
			lvl := s.depth - base - 1
			inArray := stack[lvl/64]&(1<<uint(lvl%64)) != 0
			s.ws()
			c := s.peek()
			if c == ',' {
				s.i++
				s.ws()
				if !inArray {
					if err := s.memberKey(); err != nil {
						return err
					}
				}
				break
			}
			if inArray && c == ']' || !inArray && c == '}' {
				s.i++
				s.depth--
				continue
			}
			return errSyntax
		}
	}
}

// memberKey reads `"key" :` inside a skipped object.
func (s *scanner) memberKey() error {
	if s.peek() != '"' {
		return errSyntax
	}
	if _, _, _, err := s.str(); err != nil {
		return err
	}
	s.ws()
	if s.peek() != ':' {
		return errSyntax
	}
	s.i++
	s.ws()
	return nil
}

func lookup(fields []field, key []byte) int {
	for i := range fields {
		if fields[i].name == string(key) {
			return i
		}
	}
	return -1
}
