package policy

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// A prefilter is a cheap necessary condition for a regexp match: a literal
// that every match must contain. An `re:` matcher runs against all ~31k
// rules (18 MB of text) and a case-insensitive Go regexp has no literal
// prefix to skip ahead with, so it walks every byte in the backtracker
// (about 0.2 s for "re:heartbleed" on ET Open). The prefilter rejects
// nearly all rules with a vectorised byte search; the regexp still decides
// every rule the prefilter lets through, so results never change.
type prefilter struct {
	lit  string // lower-cased ASCII when fold, else the literal as is
	fold bool
	// anchor is the index in lit of the byte containsFoldASCII scans for:
	// the one least frequent in rule text, so that few candidates need
	// checking ('h' of "heartbleed" starts every "http").
	anchor int
}

// newFoldPrefilter returns a case-insensitive prefilter for the non-empty
// lower-case ASCII literal lit.
func newFoldPrefilter(lit string) *prefilter {
	p := &prefilter{lit: lit, fold: true}
	for i := 1; i < len(lit); i++ {
		if byteRank(lit[i]) < byteRank(lit[p.anchor]) {
			p.anchor = i
		}
	}
	return p
}

// byteRank orders bytes by how common they are in rule text, rarest
// first: letters by English frequency, then the blanks, digits and
// punctuation that fill rule headers and options.
func byteRank(c byte) int {
	const byFrequency = "zqjxkvbywgpfmucdlhrsnioate"
	c = lower(c)
	if i := strings.IndexByte(byFrequency, c); i >= 0 {
		return i
	}
	if strings.IndexByte(" ;:\"/._-,$()0123456789|", c) >= 0 {
		return 100
	}
	return 10
}

// newPrefilter derives a prefilter from pattern (Go regexp syntax, as
// compiled by the caller); nil when no required literal can be found.
func newPrefilter(pattern string) *prefilter {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	lit := requiredLiteral(re.Simplify())
	if lit == nil || len(lit.Rune) == 0 {
		return nil
	}
	fold := lit.Flags&syntax.FoldCase != 0
	var b strings.Builder
	for _, r := range lit.Rune {
		// U+FFFD also matches invalid UTF-8 bytes, which a byte search
		// for its encoding would miss.
		if r == utf8.RuneError {
			return nil
		}
		if fold {
			// The parser stores the smallest rune of each case-folding
			// orbit; for ASCII-only texts (checked at match time) the orbit
			// of an ASCII rune is its two ASCII cases. A non-ASCII smallest
			// rune has no ASCII member, so we leave such patterns alone.
			if r >= utf8.RuneSelf {
				return nil
			}
			r = rune(lower(byte(r)))
		}
		b.WriteRune(r)
	}
	if fold {
		return newFoldPrefilter(b.String())
	}
	return &prefilter{lit: b.String()}
}

// requiredLiteral returns a literal node that every match of re contains,
// the longest one it can see, or nil.
func requiredLiteral(re *syntax.Regexp) *syntax.Regexp {
	switch re.Op {
	case syntax.OpLiteral:
		return re
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		var best *syntax.Regexp
		for _, sub := range re.Sub {
			if l := requiredLiteral(sub); l != nil && (best == nil || len(l.Rune) > len(best.Rune)) {
				best = l
			}
		}
		return best
	}
	return nil
}

// mayMatch reports false only when s cannot match the regexp. ascii says
// s is known to be pure ASCII (Rule.ASCII); when false, s is checked here.
func (p *prefilter) mayMatch(s string, ascii bool) bool {
	if p == nil {
		return true
	}
	if !p.fold {
		return strings.Contains(s, p.lit)
	}
	if !ascii && !isASCII(s) {
		// Non-ASCII text can match through other members of a folding
		// orbit (e.g. U+212A KELVIN SIGN for k); let the regexp decide.
		return true
	}
	return containsFoldASCII(s, p.lit, p.anchor)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether s contains needle (lower case) under
// ASCII case folding. It jumps between occurrences of needle[anchor] in
// either case with strings.IndexByte, which is vectorised, and compares
// the whole needle around each.
func containsFoldASCII(s, needle string, anchor int) bool {
	c := needle[anchor]
	alt := c
	if 'a' <= c && c <= 'z' {
		alt = c - 'a' + 'A'
	}
	// Occurrences of the anchor byte that leave room for the needle.
	lo, hi := anchor, len(s)-(len(needle)-anchor)+1
	for _, b := range [2]byte{c, alt} {
		for i := lo; i < hi; {
			j := strings.IndexByte(s[i:hi], b)
			if j < 0 {
				break
			}
			i += j
			if hasPrefixFoldASCII(s[i-anchor:], needle) {
				return true
			}
			i++
		}
		if alt == c {
			break
		}
	}
	return false
}

func hasPrefixFoldASCII(s, lowerPrefix string) bool {
	if len(s) < len(lowerPrefix) {
		return false
	}
	for i := 0; i < len(lowerPrefix); i++ {
		if lower(s[i]) != lowerPrefix[i] {
			return false
		}
	}
	return true
}
