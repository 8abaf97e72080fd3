package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/suricron/suricron/internal/rules/rule"
)

// Modifier rewrites the formatted text of matching rules with a regexp and
// re-parses the result; a result that is no longer a rule leaves the rule
// unchanged and is reported.
type Modifier struct {
	Matcher Matcher
	re      *regexp.Regexp
	tmpl    string // Go Expand template
	// firstOnly is oinkmaster's semantics (Perl s/// without /g).
	firstOnly bool
	// Where names the config line, for messages.
	Where string
	// Changed counts the rules this line changed in the last Apply; a line
	// that changed none is warned about (a typo, or upstream moved on).
	Changed int
}

// Apply returns the modified rule, or r and an error when the result does
// not parse as a rule.
func (m *Modifier) Apply(r *rule.Rule) (*rule.Rule, error) {
	text := r.Format()
	var out string
	if m.firstOnly {
		loc := m.re.FindStringSubmatchIndex(text)
		if loc == nil {
			out = text
		} else {
			dst := m.re.ExpandString(nil, m.tmpl, text, loc)
			out = text[:loc[0]] + string(dst) + text[loc[1]:]
		}
	} else {
		out = m.re.ReplaceAllString(text, m.tmpl)
	}
	if out == text {
		return r, nil
	}
	nr, err := rule.Parse(out, r.Group)
	if err != nil || nr == nil {
		if err == nil {
			err = errors.New("not a rule")
		}
		return r, fmt.Errorf("%s: modification of rule %s gives an invalid rule: %w", m.Where, r.Key(), err)
	}
	return nr, nil
}

// newPyModifier builds suricata-update's modify filter: Python re.sub over
// every occurrence, case-sensitive, with a Python replacement string.
func newPyModifier(match Matcher, pattern, repl, where string) (*Modifier, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("regexp %q: %w", pattern, err)
	}
	return &Modifier{Matcher: match, re: re, tmpl: pyRepl(repl), Where: where}, nil
}

// newOinkModifier builds oinkmaster's modifysid: case-insensitive, first
// match only, Perl replacement with ${1} / $1 and \$ for a literal dollar.
func newOinkModifier(match Matcher, pattern, repl, where string) (*Modifier, error) {
	re, err := regexp.Compile("(?i)" + pattern)
	if err != nil {
		return nil, fmt.Errorf("regexp %q: %w", pattern, err)
	}
	return &Modifier{Matcher: match, re: re, tmpl: perlRepl(repl), Where: where, firstOnly: true}, nil
}

// newMetadataAdder is suricata-update's "metadata-add": append a metadata
// option before the closing parenthesis.
func newMetadataAdder(match Matcher, key, val, where string) *Modifier {
	re := regexp.MustCompile(`;\s*\)$`)
	tmpl := strings.ReplaceAll(fmt.Sprintf("; metadata: %s %s;)", key, val), "$", "$$")
	return &Modifier{Matcher: match, re: re, tmpl: tmpl, Where: where}
}

// pyRepl converts a Python re.sub replacement into a Go template: \N and
// \g<name> become ${N}, \\ a backslash, \n \t \r control characters; a
// literal $ must be doubled for Go.
func pyRepl(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '$' {
			b.WriteString("$$")
			continue
		}
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		n := s[i+1]
		switch {
		case n >= '0' && n <= '9':
			j := i + 1
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			b.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
		case n == 'g' && i+2 < len(s) && s[i+2] == '<':
			if end := strings.IndexByte(s[i+3:], '>'); end >= 0 {
				b.WriteString("${" + s[i+3:i+3+end] + "}")
				i = i + 3 + end
			} else {
				b.WriteString(`\g`)
				i++
			}
		case n == '\\':
			b.WriteByte('\\')
			i++
		case n == 'n':
			b.WriteByte('\n')
			i++
		case n == 't':
			b.WriteByte('\t')
			i++
		case n == 'r':
			b.WriteByte('\r')
			i++
		default:
			b.WriteByte('\\')
		}
	}
	return b.String()
}

// perlRepl converts an oinkmaster (Perl) replacement: ${N} and $N are
// back-references, \$ is a literal dollar, other text is literal.
func perlRepl(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '$' || s[i+1] == '\\'):
			if s[i+1] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte('\\')
			}
			i++
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			if end := strings.IndexByte(s[i:], '}'); end > 2 && isDigits(s[i+2:i+end]) {
				b.WriteString(s[i : i+end+1])
				i += end
			} else {
				b.WriteString("$$")
			}
		case c == '$' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			b.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// shlexSplit splits like Python's shlex.split (POSIX mode, no comments):
// blanks separate words, single quotes are literal, double quotes allow \\
// \" \$ \` escapes, a backslash outside quotes escapes any character.
func shlexSplit(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("no closing quotation")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case c == '"':
			inWord = true
			i++
			for ; ; i++ {
				if i >= len(s) {
					return nil, errors.New("no closing quotation")
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`\n", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
		case c == '\\':
			inWord = true
			if i+1 >= len(s) {
				return nil, errors.New("no escaped character")
			}
			i++
			cur.WriteByte(s[i])
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
