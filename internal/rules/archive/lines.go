package archive

import (
	"bytes"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

var errLongLine = errors.New("line too long")

// growCap bounds the up-front allocation for one member: ET's rules files
// (a few MB) then fit in one allocation, as when kept whole, while a
// member inflating to 512 MB of comments costs only what it keeps.
const growCap = 32 << 20

// lineFilter is the RuleLines writer. It keeps a line's text when the rule
// parser could use it: a line that ends in ')' (a rule, enabled or
// commented out), one that ends in '\' or follows such a line (a
// continuation), or one that is not valid UTF-8 (the parser reports it).
// Every other line (comments, blanks, junk) is kept as an empty line, so
// the parser sees the same rules, errors and line numbers as on the whole
// member.
type lineFilter struct {
	out     strings.Builder // grown to the member's size, at most growCap, up front
	partial []byte          // the current line when it spans Writes
	cont    bool            // the previous line ended in '\'
	lineNo  int             // complete lines seen
	kept    int
	max     int
}

func (f *lineFilter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if f.max > 0 && len(f.partial)+len(p) > f.max {
				return 0, errLongLine
			}
			f.partial = append(f.partial, p...)
			break
		}
		line := p[:i]
		if len(f.partial) > 0 {
			if f.max > 0 && len(f.partial)+i > f.max {
				return 0, errLongLine
			}
			f.partial = append(f.partial, line...)
			line = f.partial
		} else if f.max > 0 && i > f.max {
			return 0, errLongLine
		}
		f.line(line)
		f.out.WriteByte('\n')
		f.partial = f.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

// finish handles a last line without a newline.
func (f *lineFilter) finish() {
	if len(f.partial) > 0 {
		f.line(f.partial)
		f.partial = nil
	}
}

func (f *lineFilter) line(l []byte) {
	f.lineNo++
	keep, cont := false, false
	t := bytes.TrimRight(l, " \t\r\n\v\f")
	var last byte
	if len(t) > 0 {
		last = t[len(t)-1]
	}
	switch {
	case last == ')':
		// A rule (or its last continuation line): the common case, decided
		// without looking at the rest of the line.
		keep = true
	case last == '\\':
		// The parser resets a continuation at a line that is not UTF-8.
		keep, cont = true, utf8.Valid(l)
	case last >= utf8.RuneSelf:
		// ')' followed by Unicode blanks still ends a rule for the parser.
		u := bytes.TrimRightFunc(l, unicode.IsSpace)
		keep = f.cont || !utf8.Valid(l) || len(u) > 0 && u[len(u)-1] == ')'
	default:
		keep = f.cont || !isASCII(l) && !utf8.Valid(l)
	}
	f.cont = cont
	if keep {
		f.out.Write(l)
		f.kept++
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
