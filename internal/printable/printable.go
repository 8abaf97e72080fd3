// Package printable makes attacker-controlled text (eve.json strings, rule
// msg fields, server replies) safe to show in a terminal, a text mail, a
// table cell or a chat message. Every command uses this one definition, so
// what is escaped does not depend on which output a string reaches.
package printable

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String returns s with control characters (C0, DEL, C1: terminal escape
// sequences and line breaks), the Unicode format characters that reorder or
// hide text (bidi controls, zero-width marks, BOM, Arabic letter mark) and
// the line/paragraph separators shown as Go escapes such as \x1b or \u202e.
// Invalid UTF-8 becomes U+FFFD. Other text, including non-ASCII letters, is
// unchanged.
func String(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || NeedsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteRune(utf8.RuneError)
		case NeedsEscape(r):
			q := strconv.QuoteRuneToASCII(r) // e.g. '\x1b', '\n', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

// NeedsEscape reports whether String escapes r.
func NeedsEscape(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) ||
		r == '\u2028' || r == '\u2029'
}
