package digest

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable makes a string from eve.json safe to show in a terminal, a text
// mail or a table cell: control characters (C0, DEL, C1, which carry
// terminal escape sequences and line breaks) and the Unicode format
// characters that reorder or hide text (bidi overrides, zero-width marks)
// are shown as Go escapes such as \x1b or \u202e; invalid UTF-8 becomes
// U+FFFD. Ordinary text, including non-ASCII letters, is unchanged.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteRune(utf8.RuneError)
		case needsEscape(r):
			q := strconv.QuoteRuneToASCII(r) // e.g. '\x1b', '\n', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

func needsEscape(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) ||
		r == '\u2028' || r == '\u2029'
}
