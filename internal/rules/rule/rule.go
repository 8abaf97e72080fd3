// Package rule parses Suricata rule lines the way suricata-update does, so
// that counts, identities and the merged output match it byte for byte, and
// keeps the rules of a run in an ordered set keyed by gid:sid.
package rule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Key identifies a rule: Suricata treats gid:sid as unique.
type Key struct {
	GID, SID int
}

func (k Key) String() string { return strconv.Itoa(k.GID) + ":" + strconv.Itoa(k.SID) }

// Rule is one parsed rule. Raw is the rule text without the leading "#"
// marker; it is the unit that filters rewrite and that output is built from.
type Rule struct {
	Enabled bool
	// NoAlert is set by a noalert option or flowbits:noalert, and by flowbit
	// auto-enabling; Format then inserts "noalert;" when Raw lacks it.
	NoAlert  bool
	Action   string
	Raw      string
	GID      int
	SID      int
	Rev      int
	Msg      string
	Flowbits []string
	// Group is the file the rule came from, as a path inside the archive
	// (e.g. "rules/emerging-scan.rules").
	Group string
	// options is the text between the parentheses, kept so that rarely used
	// fields (metadata) are parsed only when a matcher asks for them.
	options string
	ascii   bool
}

// ASCII reports whether Raw is pure ASCII, which lets matchers use byte-wise
// case folding. False also means "not known" (a Rule not made by Parse).
func (r *Rule) ASCII() bool { return r.ascii }

// Key returns the rule's gid:sid identity.
func (r *Rule) Key() Key { return Key{GID: r.GID, SID: r.SID} }

// actions are the leading words Suricata accepts. suricata-update drops
// reject{src,dst,both}; we keep them because Suricata loads them.
var actions = map[string]bool{
	"alert": true, "log": true, "pass": true, "activate": true, "dynamic": true,
	"drop": true, "reject": true, "sdrop": true,
	"rejectsrc": true, "rejectdst": true, "rejectboth": true,
}

// ErrNotRule is never returned; Parse returns (nil, nil) for comments and
// other non-rule lines. Errors mean "looks like a rule but is broken".
var errNoOptEnd = errors.New("option not terminated by ';'")

// Parse parses one logical line (continuations already joined). It returns
// nil, nil when the line is not a rule (blank, comment, unknown action).
func Parse(line, group string) (*Rule, error) {
	return parse(line, group, isASCII(line))
}

// parse is Parse with the line's ASCII-ness known (ParseFile gets it for
// free from its UTF-8 check).
func parse(line, group string, ascii bool) (*Rule, error) {
	s := strings.TrimSpace(line)
	if s == "" {
		return nil, nil
	}
	enabled := true
	if s[0] == '#' {
		enabled = false
	}
	// Any run of '#' and blanks before the rule text is part of the marker.
	s = strings.TrimLeft(s, "# \t\r\n\v\f")
	if len(s) == 0 || s[len(s)-1] != ')' {
		return nil, nil
	}
	open := strings.IndexByte(s, '(')
	if open <= 0 {
		return nil, nil
	}
	header := s[:open]
	if strings.IndexByte(header, ')') >= 0 {
		return nil, nil
	}
	header = strings.TrimSpace(header)
	action, ok := parseHeader(header)
	if !ok || !actions[action] {
		return nil, nil
	}
	r := &Rule{Enabled: enabled, Action: action, Raw: s, Group: group, GID: 1, options: s[open+1 : len(s)-1], ascii: ascii}
	sawSID := false
	err := eachOption(r.options, func(name, val string) error {
		switch name {
		case "gid", "sid", "rev":
			n, err := strconv.Atoi(val)
			if err != nil {
				return fmt.Errorf("option %s: bad number %q", name, val)
			}
			switch name {
			case "gid":
				r.GID = n
			case "sid":
				r.SID = n
				sawSID = true
			default:
				r.Rev = n
			}
		case "msg":
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			r.Msg = val
		case "flowbits":
			r.Flowbits = append(r.Flowbits, val)
			if strings.Contains(val, "noalert") {
				r.NoAlert = true
			}
		case "noalert":
			r.NoAlert = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawSID || r.SID == 0 {
		return nil, errors.New("rule has no sid (or sid 0)")
	}
	return r, nil
}

// parseHeader returns the action and whether the header is well formed:
// either a single word (decoder-event style) or seven tokens where a
// bracketed list may contain blanks and nested brackets.
func parseHeader(h string) (string, bool) {
	t, ok := splitHeader(h)
	return t[0], ok
}

// Header is a rule's header after the action; all empty for a
// decoder-style one-word header.
type Header struct {
	Proto, SrcAddr, SrcPort, Direction, DstAddr, DstPort string
}

// Header splits the rule's header (suricata.yaml checks need its protocol
// and the variables in its addresses and ports).
func (r *Rule) Header() Header {
	h := r.Raw
	if i := strings.IndexByte(h, '('); i >= 0 {
		h = h[:i]
	}
	t, _ := splitHeader(strings.TrimSpace(h))
	return Header{Proto: t[1], SrcAddr: t[2], SrcPort: t[3], Direction: t[4], DstAddr: t[5], DstPort: t[6]}
}

// EachOption calls fn with every option's name and value, in order.
func (r *Rule) EachOption(fn func(name, val string)) {
	_ = eachOption(r.options, func(name, val string) error {
		fn(name, val)
		return nil
	})
}

// splitHeader returns the seven header tokens, or the action alone for a
// one-word header.
func splitHeader(h string) (t [7]string, ok bool) {
	if !strings.ContainsAny(h, " \t") {
		t[0] = h
		return t, h != ""
	}
	rem := h
	for i := 0; i < 7; i++ {
		rem = strings.TrimLeft(rem, " \t")
		if rem == "" {
			return t, false
		}
		var tok string
		if rem[0] == '[' {
			depth, end := 0, -1
			for j := 0; j < len(rem) && end < 0; j++ {
				switch rem[j] {
				case '[':
					depth++
				case ']':
					depth--
					if depth == 0 {
						end = j + 1
					}
				}
			}
			if end < 0 {
				return t, false
			}
			tok, rem = rem[:end], rem[end:]
		} else if j := strings.IndexAny(rem, " \t"); j >= 0 {
			tok, rem = rem[:j], rem[j:]
		} else {
			tok, rem = rem, ""
		}
		t[i] = tok
	}
	return t, true
}

// eachOption calls fn for every option, splitting on ';' not preceded by a
// backslash and each option at its first ':'.
func eachOption(opts string, fn func(name, val string) error) error {
	rem := strings.TrimSpace(opts)
	for rem != "" {
		end := optEnd(rem)
		if end < 0 {
			return errNoOptEnd
		}
		opt := strings.TrimSpace(rem[:end])
		rem = strings.TrimSpace(rem[end+1:])
		name, val := opt, ""
		if i := strings.IndexByte(opt, ':'); i >= 0 {
			name, val = strings.TrimSpace(opt[:i]), strings.TrimSpace(opt[i+1:])
		}
		if err := fn(name, val); err != nil {
			return err
		}
	}
	return nil
}

func optEnd(s string) int {
	off := 0
	for {
		i := strings.IndexByte(s[off:], ';')
		if i < 0 {
			return -1
		}
		if off+i > 0 && s[off+i-1] == '\\' {
			off += i + 1
			continue
		}
		return off + i
	}
}

// Metadata returns the rule's metadata entries ("key value"), trimmed, in
// order, across all metadata options.
func (r *Rule) Metadata() []string {
	var out []string
	_ = eachOption(r.options, func(name, val string) error {
		if name == "metadata" {
			for _, v := range strings.Split(val, ",") {
				out = append(out, strings.TrimSpace(v))
			}
		}
		return nil
	})
	return out
}

// Format renders the rule as it goes into the merged file: "# " prefix when
// disabled, and " noalert;" inserted before " sid:" when NoAlert is set but
// the text lacks "noalert;" (as suricata-update does).
func (r *Rule) Format() string {
	raw := r.Raw
	if r.NoAlert && !strings.Contains(raw, "noalert;") {
		raw = insertNoAlert(raw)
	}
	if r.Enabled {
		return raw
	}
	return "# " + raw
}

// AppendFormat appends Format's text to dst without building a string per
// rule; the merged file is written from it in large chunks.
func (r *Rule) AppendFormat(dst []byte) []byte {
	if !r.Enabled {
		dst = append(dst, "# "...)
	}
	if r.NoAlert && !strings.Contains(r.Raw, "noalert;") {
		return append(dst, insertNoAlert(r.Raw)...)
	}
	return append(dst, r.Raw...)
}

// insertNoAlert puts " noalert;" before every " sid\s*:\s*[0-9]+\s*;".
func insertNoAlert(raw string) string {
	var b strings.Builder
	last := 0
	for i := 0; i+4 <= len(raw); i++ {
		if raw[i] != ' ' || !strings.HasPrefix(raw[i+1:], "sid") {
			continue
		}
		j := skipSpace(raw, i+4)
		if j >= len(raw) || raw[j] != ':' {
			continue
		}
		j = skipSpace(raw, j+1)
		d := j
		for j < len(raw) && raw[j] >= '0' && raw[j] <= '9' {
			j++
		}
		if j == d {
			continue
		}
		j = skipSpace(raw, j)
		if j >= len(raw) || raw[j] != ';' {
			continue
		}
		b.WriteString(raw[last:i])
		b.WriteString(" noalert;")
		last = i
		i = j
	}
	if last == 0 && b.Len() == 0 {
		return raw
	}
	b.WriteString(raw[last:])
	return b.String()
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\v' || s[i] == '\f') {
		i++
	}
	return i
}

// LineError is a rule line that could not be parsed; the rule is skipped.
type LineError struct {
	Group string
	Line  int
	Err   error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s line %d: %v", e.Group, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// ParseFile parses the content of one rules file. Lines ending in '\' are
// joined with the next (backslash removed, one blank added). Lines that are
// not valid UTF-8 and broken rules are reported in errs and skipped.
func ParseFile(content, group string) (rules []*Rule, errs []*LineError) {
	var buf strings.Builder
	start := 0
	lineNo := 0
	for len(content) > 0 {
		var line string
		if i := strings.IndexByte(content, '\n'); i >= 0 {
			line, content = content[:i], content[i+1:]
		} else {
			line, content = content, ""
		}
		lineNo++
		if buf.Len() == 0 {
			start = lineNo
		}
		lineASCII := isASCII(line)
		if !lineASCII && !utf8.ValidString(line) {
			errs = append(errs, &LineError{Group: group, Line: lineNo, Err: errors.New("not valid UTF-8")})
			buf.Reset()
			continue
		}
		trimmed := strings.TrimRight(line, " \t\r\n\v\f")
		if strings.HasSuffix(trimmed, "\\") {
			buf.WriteString(trimmed[:len(trimmed)-1])
			buf.WriteByte(' ')
			continue
		}
		text, ascii := line, lineASCII
		if buf.Len() > 0 {
			buf.WriteString(line)
			text = buf.String()
			buf.Reset()
			ascii = isASCII(text)
		}
		r, err := parse(text, group, ascii)
		if err != nil {
			errs = append(errs, &LineError{Group: group, Line: start, Err: err})
			continue
		}
		if r != nil {
			rules = append(rules, r)
		}
	}
	return rules, errs
}

// isASCII checks eight bytes per step (the compiler merges the byte loads
// into one); for ASCII text it replaces utf8.ValidString's own fast path.
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if w&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
