// Package policy turns the operator's rule policy (suricata-update's
// enable/disable/drop/modify.conf and oinkmaster.conf) into matchers and
// filters, and applies them to a rule set in suricata-update's order:
// disable, enable, drop, modify, then flowbit auto-enabling.
package policy

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/suricron/suricron/internal/rules/rule"
)

// Matcher selects rules.
type Matcher interface {
	Match(r *rule.Rule) bool
	String() string
}

type allMatcher struct{}

func (allMatcher) Match(*rule.Rule) bool { return true }
func (allMatcher) String() string        { return "*" }

// idMatcher matches a set of gid:sid keys; anyGID entries match the sid
// under every gid, as oinkmaster's sid-only lists do.
type idMatcher struct {
	keys   map[rule.Key]bool
	anyGID map[int]bool
	text   string
}

func (m *idMatcher) Match(r *rule.Rule) bool {
	return m.keys[r.Key()] || m.anyGID[r.SID]
}
func (m *idMatcher) String() string { return m.text }

type reMatcher struct {
	re   *regexp.Regexp
	pre  *prefilter // nil when the pattern has no required literal
	text string
}

func (m *reMatcher) Match(r *rule.Rule) bool {
	return m.pre.mayMatch(r.Raw, r.ASCII()) && m.re.MatchString(r.Raw)
}
func (m *reMatcher) String() string { return m.text }

// filenameMatcher globs the rule's full group path.
type filenameMatcher struct {
	re   *regexp.Regexp
	memo groupMemo
	text string
}

func (m *filenameMatcher) Match(r *rule.Rule) bool {
	return m.memo.get(r.Group, func(g string) bool { return m.re.MatchString(g) })
}
func (m *filenameMatcher) String() string { return m.text }

// groupMatcher globs the group's base name with and without extension.
type groupMatcher struct {
	re   *regexp.Regexp
	memo groupMemo
	text string
}

func (m *groupMatcher) Match(r *rule.Rule) bool {
	return m.memo.get(r.Group, func(g string) bool {
		if g == "" {
			return false
		}
		base := path.Base(g)
		if m.re.MatchString(base) {
			return true
		}
		return m.re.MatchString(strings.TrimSuffix(base, path.Ext(base)))
	})
}
func (m *groupMatcher) String() string { return m.text }

// groupMemo remembers the answer for the last group seen. Rules arrive
// file by file, so one entry answers all but ~50 of 31k calls, which
// otherwise ran two glob regexps per rule per matcher. It is safe for
// concurrent use: the entry is replaced as a whole.
type groupMemo struct {
	last atomic.Pointer[groupAnswer]
}

type groupAnswer struct {
	group string
	match bool
}

func (c *groupMemo) get(group string, eval func(string) bool) bool {
	if a := c.last.Load(); a != nil && a.group == group {
		return a.match
	}
	a := &groupAnswer{group: group, match: eval(group)}
	c.last.Store(a)
	return a.match
}

type metadataMatcher struct {
	key, value string
	// pre skips the metadata split for rules whose text lacks the value:
	// a lower-cased entry equal to an ASCII value is, in ASCII text, a
	// case-insensitive substring of the rule.
	pre  *prefilter
	text string
}

func (m *metadataMatcher) Match(r *rule.Rule) bool {
	if !m.pre.mayMatch(r.Raw, r.ASCII()) {
		return false
	}
	for _, e := range r.Metadata() {
		k, v, ok := strings.Cut(strings.TrimSpace(e), " ")
		if ok && strings.ToLower(strings.TrimSpace(k)) == m.key && strings.ToLower(strings.TrimSpace(v)) == m.value {
			return true
		}
	}
	return false
}
func (m *metadataMatcher) String() string { return m.text }

// ParseMatch parses one suricata-update match expression. The order of
// attempts is suricata-update's: "*", sid lists, re:, filename:, group: or a
// bare *.rules name, metadata:.
func ParseMatch(s string) (Matcher, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil, fmt.Errorf("empty matcher")
	case s == "*":
		return allMatcher{}, nil
	}
	if m, ok := parseIDs(s, false); ok {
		return m, nil
	}
	if rest, ok := strings.CutPrefix(s, "re:"); ok {
		pattern := "(?i)" + strings.TrimSpace(rest)
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil, fmt.Errorf("re: %w", err)
		}
		return &reMatcher{re: re, pre: newPrefilter(pattern), text: s}, nil
	}
	if rest, ok := strings.CutPrefix(s, "filename:"); ok {
		re, err := Glob(strings.TrimSpace(rest))
		if err != nil {
			return nil, err
		}
		return &filenameMatcher{re: re, text: s}, nil
	}
	if rest, ok := strings.CutPrefix(s, "group:"); ok {
		re, err := Glob(strings.TrimSpace(rest))
		if err != nil {
			return nil, err
		}
		return &groupMatcher{re: re, text: s}, nil
	}
	if strings.HasSuffix(s, ".rules") {
		re, err := Glob(s)
		if err != nil {
			return nil, err
		}
		return &groupMatcher{re: re, text: s}, nil
	}
	if rest, ok := strings.CutPrefix(s, "metadata:"); ok {
		k, v, ok := strings.Cut(strings.TrimSpace(rest), " ")
		if ok {
			m := &metadataMatcher{key: strings.ToLower(strings.TrimSpace(k)), value: strings.ToLower(strings.TrimSpace(v)), text: s}
			if m.value != "" && isASCII(m.value) {
				m.pre = newFoldPrefilter(m.value)
			}
			return m, nil
		}
	}
	return nil, fmt.Errorf("unrecognised matcher %q", s)
}

// parseIDs parses "sid", "gid:sid" and comma lists of them. sidOnly makes
// plain sids match any gid (oinkmaster has no gid).
func parseIDs(s string, sidOnly bool) (*idMatcher, bool) {
	m := &idMatcher{keys: map[rule.Key]bool{}, anyGID: map[int]bool{}, text: s}
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		g, sid, two := strings.Cut(e, ":")
		if !two {
			n, err := strconv.Atoi(e)
			if err != nil {
				return nil, false
			}
			if sidOnly {
				m.anyGID[n] = true
			} else {
				m.keys[rule.Key{GID: 1, SID: n}] = true
			}
			continue
		}
		gn, err1 := strconv.Atoi(strings.TrimSpace(g))
		sn, err2 := strconv.Atoi(strings.TrimSpace(sid))
		if err1 != nil || err2 != nil {
			return nil, false
		}
		m.keys[rule.Key{GID: gn, SID: sn}] = true
	}
	return m, true
}

// Glob translates a Python fnmatch pattern into an anchored regexp: '*'
// matches any run (including '/'), '?' one character, [seq] and [!seq]
// character classes; matching is case-sensitive as on POSIX.
func Glob(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			j := i + 1
			if j < len(p) && p[j] == '!' {
				j++
			}
			if j < len(p) && p[j] == ']' {
				j++
			}
			for j < len(p) && p[j] != ']' {
				j++
			}
			if j >= len(p) {
				b.WriteString(`\[`)
				continue
			}
			class := p[i+1 : j]
			b.WriteByte('[')
			if strings.HasPrefix(class, "!") {
				b.WriteByte('^')
				class = class[1:]
			} else if strings.HasPrefix(class, "^") {
				b.WriteByte('\\')
			}
			b.WriteString(strings.ReplaceAll(class, `\`, `\\`))
			b.WriteByte(']')
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteByte('$')
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("glob %q: %w", p, err)
	}
	return re, nil
}
