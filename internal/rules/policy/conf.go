package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// Policy is everything the operator configured about which rules to keep
// and how to change them, merged from all config files.
type Policy struct {
	Disable []Matcher
	Enable  []Matcher
	Drop    []Matcher
	Modify  []*Modifier
	// SkipFiles are exact file base names never loaded (oinkmaster skipfile).
	SkipFiles []string
	// LocalSIDs keep the installed version of these sids (oinkmaster localsid).
	LocalSIDs []int
	// URLs are oinkmaster "url =" lines.
	URLs []string
}

// ConfError names the file and line of a bad config line.
type ConfError struct {
	File string
	Line int
	Err  error
}

func (e *ConfError) Error() string { return fmt.Sprintf("%s line %d: %v", e.File, e.Line, e.Err) }
func (e *ConfError) Unwrap() error { return e.Err }

// confLines yields the meaningful lines of a suricata-update style file:
// trimmed, blank and '#' lines skipped, cut at the first " #".
func confLines(data string, fn func(line string, no int) error) error {
	for no, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if err := fn(line, no+1); err != nil {
			return err
		}
	}
	return nil
}

// ParseMatchConf parses enable.conf, disable.conf or drop.conf. Unlike
// suricata-update, a line that is no matcher is an error: a silently
// ignored typo would leave rules enabled that the operator meant to turn off.
func ParseMatchConf(file, data string) ([]Matcher, error) {
	var out []Matcher
	err := confLines(data, func(line string, no int) error {
		m, err := ParseMatch(line)
		if err != nil {
			return &ConfError{File: file, Line: no, Err: err}
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// ParseModifyConf parses modify.conf: `<matcher> "<regex>" "<replacement>"`,
// the oinkmaster form `modifysid <matcher> "<regex>" | "<replacement>"` and
// `metadata-add <matcher> "<key>" "<value>"`.
func ParseModifyConf(file, data string) ([]*Modifier, error) {
	var out []*Modifier
	err := confLines(data, func(line string, no int) error {
		where := fmt.Sprintf("%s line %d", file, no)
		fail := func(err error) error { return &ConfError{File: file, Line: no, Err: err} }
		if strings.HasPrefix(line, "metadata-add") {
			t, err := shlexSplit(line)
			if err != nil {
				return fail(err)
			}
			if len(t) != 4 {
				return fail(fmt.Errorf("metadata-add wants 3 arguments, got %d", len(t)-1))
			}
			m, err := ParseMatch(t[1])
			if err != nil {
				return fail(err)
			}
			out = append(out, newMetadataAdder(m, t[2], t[3], where))
			return nil
		}
		// suricata-update lets "\$" stand for "$" (pulledpork habit).
		t, err := shlexSplit(strings.ReplaceAll(line, `\$`, `$`))
		if err != nil {
			return fail(err)
		}
		var ms, a, b string
		switch {
		case len(t) == 3:
			ms, a, b = t[0], t[1], t[2]
		case len(t) > 4 && t[0] == "modifysid":
			ms, a, b = t[1], t[2], t[4]
		default:
			return fail(fmt.Errorf("want <matcher> \"<regex>\" \"<replacement>\", got %d words", len(t)))
		}
		m, err := ParseMatch(ms)
		if err != nil {
			return fail(err)
		}
		mod, err := newPyModifier(m, a, oinkBackrefs(b), where)
		if err != nil {
			return fail(err)
		}
		out = append(out, mod)
		return nil
	})
	return out, err
}

// oinkBackrefs turns ${N} into \N, as suricata-update does for modifysid
// lines in modify.conf.
func oinkBackrefs(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '{' {
			if end := strings.IndexByte(s[i:], '}'); end > 2 && isDigits(s[i+2:i+end]) {
				b.WriteString(`\` + s[i+2:i+end])
				i += end
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// oinkIgnored are oinkmaster.conf settings that have no meaning here (they
// steer its downloader, snort.conf merging or templates); they are accepted
// so an existing file can be reused.
var oinkIgnored = map[string]bool{
	"path": true, "tmpdir": true, "umask": true, "min_files": true, "min_rules": true,
	"update_files": true, "use_external_bins": true, "rule_actions": true,
	"use_path_checks": true, "user_agent": true, "scp_key": true, "rules_dir": true,
}

// ParseOinkmaster parses oinkmaster.conf: url, skipfile, disablesid,
// enablesid, localsid, modifysid and define_template/use_template, with
// '\' line continuations and '#' comments.
func ParseOinkmaster(file, data string) (*Policy, error) {
	p := &Policy{}
	templates := map[string][2]string{}
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		no := i + 1
		line := strings.TrimRight(lines[i], " \t\r")
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimRight(lines[i], " \t\r")
		}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		fail := func(err error) error { return &ConfError{File: file, Line: no, Err: err} }
		j := 0
		for j < len(line) && (line[j] == '_' || line[j] >= 'a' && line[j] <= 'z' || line[j] >= 'A' && line[j] <= 'Z') {
			j++
		}
		word, rest := strings.ToLower(line[:j]), strings.TrimSpace(line[j:])
		switch word {
		case "modifysid", "define_template", "use_template":
			rest = cutQuotedComment(rest)
		default:
			if j := strings.IndexByte(rest, '#'); j >= 0 {
				rest = strings.TrimSpace(rest[:j])
			}
		}
		switch word {
		case "url":
			v, ok := strings.CutPrefix(rest, "=")
			if !ok || strings.TrimSpace(v) == "" {
				return nil, fail(fmt.Errorf("want url = <url>"))
			}
			p.URLs = append(p.URLs, strings.TrimSpace(v))
		case "skipfile":
			p.SkipFiles = append(p.SkipFiles, splitList(rest)...)
		case "disablesid", "enablesid", "localsid":
			if word == "localsid" {
				for _, s := range splitList(rest) {
					n, err := strconv.Atoi(s)
					if err != nil {
						return nil, fail(fmt.Errorf("localsid: bad sid %q", s))
					}
					p.LocalSIDs = append(p.LocalSIDs, n)
				}
				continue
			}
			m, ok := parseIDs(strings.Join(splitList(rest), ","), true)
			if !ok || rest == "" {
				return nil, fail(fmt.Errorf("%s: want a comma list of sids, got %q", word, rest))
			}
			if word == "disablesid" {
				p.Disable = append(p.Disable, m)
			} else {
				p.Enable = append(p.Enable, m)
			}
		case "modifysid":
			t, err := shlexSplit(rest)
			if err != nil {
				return nil, fail(err)
			}
			if len(t) != 4 || t[2] != "|" {
				return nil, fail(fmt.Errorf(`modifysid: want <sids|file|*> "<regex>" | "<replacement>"`))
			}
			if err := addOinkModify(p, t[0], t[1], t[3], fmt.Sprintf("%s line %d", file, no)); err != nil {
				return nil, fail(err)
			}
		case "define_template":
			t, err := shlexSplit(rest)
			if err != nil {
				return nil, fail(err)
			}
			if len(t) != 4 || t[2] != "|" {
				return nil, fail(fmt.Errorf(`define_template: want <name> "<regex>" | "<replacement>"`))
			}
			templates[t[0]] = [2]string{t[1], t[3]}
		case "use_template":
			t := strings.Fields(rest)
			if len(t) < 2 {
				return nil, fail(fmt.Errorf("use_template: want <name> <sids|file|*>"))
			}
			tp, ok := templates[t[0]]
			if !ok {
				return nil, fail(fmt.Errorf("use_template: template %q not defined above", t[0]))
			}
			if err := addOinkModify(p, t[1], tp[0], tp[1], fmt.Sprintf("%s line %d", file, no)); err != nil {
				return nil, fail(err)
			}
		case "include":
			return nil, fail(fmt.Errorf("include is not supported; pass each file with --conf"))
		default:
			if !oinkIgnored[word] {
				return nil, fail(fmt.Errorf("unknown setting %q", word))
			}
		}
	}
	return p, nil
}

func addOinkModify(p *Policy, target, re, repl, where string) error {
	var m Matcher
	switch {
	case target == "*":
		m = allMatcher{}
	case strings.HasSuffix(target, ".rules"):
		g, err := Glob(target)
		if err != nil {
			return err
		}
		m = &groupMatcher{re: g, text: target}
	default:
		ids, ok := parseIDs(target, true)
		if !ok {
			return fmt.Errorf("modifysid: bad target %q", target)
		}
		m = ids
	}
	mod, err := newOinkModifier(m, re, repl, where)
	if err != nil {
		return err
	}
	p.Modify = append(p.Modify, mod)
	return nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// cutQuotedComment drops a trailing "# comment" that is outside quotes.
func cutQuotedComment(s string) string {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == '\\' {
				i++
			} else if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}
