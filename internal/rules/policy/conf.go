package policy

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
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

// ReadFunc reads a file an oinkmaster.conf includes.
type ReadFunc func(path string) (string, error)

// MaxIncludeDepth caps nested includes: deeper is a mistake, not a need.
const MaxIncludeDepth = 8

// ParseOinkmaster parses oinkmaster.conf: url, skipfile, disablesid,
// enablesid, localsid, modifysid and define_template/use_template, with
// '\' line continuations and '#' comments. An include line is an error:
// ParseOinkmasterFile reads included files.
func ParseOinkmaster(file, data string) (*Policy, error) {
	return ParseOinkmasterFile(file, data, nil)
}

// ParseOinkmasterFile is ParseOinkmaster with "include FILE" lines read
// through read: FILE is relative to the including file's directory, is
// parsed in place (templates defined there are visible after the
// include), and a file that includes itself, directly or not, or
// includes nested deeper than MaxIncludeDepth, is an error naming the
// chain.
func ParseOinkmasterFile(file, data string, read ReadFunc) (*Policy, error) {
	o := &oinkParser{p: &Policy{}, templates: map[string][2]string{}, read: read}
	if err := o.parse(file, data, nil); err != nil {
		return nil, err
	}
	return o.p, nil
}

type oinkParser struct {
	p         *Policy
	templates map[string][2]string
	read      ReadFunc
}

// argRE finds oinkmaster's template argument placeholders %ARG1%..%ARGn%.
var argRE = regexp.MustCompile(`%ARG([0-9]+)%`)

// fillArgs replaces %ARGn% by args[n-1], as oinkmaster's use_template does.
func fillArgs(s string, args []string) (string, error) {
	var bad error
	out := argRE.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(m[4 : len(m)-1])
		if n < 1 || n > len(args) {
			bad = fmt.Errorf("%s but only %d argument(s) given", m, len(args))
			return m
		}
		return args[n-1]
	})
	return out, bad
}

func (o *oinkParser) parse(file, data string, chain []string) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = filepath.Clean(file)
	}
	for _, c := range chain {
		if c == abs {
			return fmt.Errorf("include loop: %s", strings.Join(append(chain, abs), " -> "))
		}
	}
	chain = append(chain, abs)
	if len(chain) > MaxIncludeDepth+1 {
		return fmt.Errorf("includes nested deeper than %d: %s", MaxIncludeDepth, strings.Join(chain, " -> "))
	}
	p, templates := o.p, o.templates
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
				return fail(fmt.Errorf("want url = <url>"))
			}
			p.URLs = append(p.URLs, strings.TrimSpace(v))
		case "skipfile":
			p.SkipFiles = append(p.SkipFiles, splitList(rest)...)
		case "disablesid", "enablesid", "localsid":
			if word == "localsid" {
				for _, s := range splitList(rest) {
					n, err := strconv.Atoi(s)
					if err != nil {
						return fail(fmt.Errorf("localsid: bad sid %q", s))
					}
					p.LocalSIDs = append(p.LocalSIDs, n)
				}
				continue
			}
			m, ok := parseIDs(strings.Join(splitList(rest), ","), true)
			if !ok || rest == "" {
				return fail(fmt.Errorf("%s: want a comma list of sids, got %q", word, rest))
			}
			if word == "disablesid" {
				p.Disable = append(p.Disable, m)
			} else {
				p.Enable = append(p.Enable, m)
			}
		case "modifysid":
			t, err := shlexSplit(rest)
			if err != nil {
				return fail(err)
			}
			if len(t) != 4 || t[2] != "|" {
				return fail(fmt.Errorf(`modifysid: want <sids|file|*> "<regex>" | "<replacement>"`))
			}
			if err := addOinkModify(p, t[0], t[1], t[3], fmt.Sprintf("%s line %d", file, no)); err != nil {
				return fail(err)
			}
		case "define_template":
			t, err := shlexSplit(rest)
			if err != nil {
				return fail(err)
			}
			if len(t) != 4 || t[2] != "|" {
				return fail(fmt.Errorf(`define_template: want <name> "<regex>" | "<replacement>"`))
			}
			templates[t[0]] = [2]string{t[1], t[3]}
		case "use_template":
			t, err := shlexSplit(rest)
			if err != nil {
				return fail(err)
			}
			if len(t) < 2 {
				return fail(fmt.Errorf(`use_template: want <name> <sids|file|*> ["arg1" ...]`))
			}
			tp, ok := templates[t[0]]
			if !ok {
				return fail(fmt.Errorf("use_template: template %q not defined above", t[0]))
			}
			re, err := fillArgs(tp[0], t[2:])
			if err != nil {
				return fail(fmt.Errorf("use_template %s: %w", t[0], err))
			}
			repl, err := fillArgs(tp[1], t[2:])
			if err != nil {
				return fail(fmt.Errorf("use_template %s: %w", t[0], err))
			}
			if err := addOinkModify(p, t[1], re, repl, fmt.Sprintf("%s line %d", file, no)); err != nil {
				return fail(err)
			}
		case "include":
			if rest == "" {
				return fail(fmt.Errorf("include: want a file name"))
			}
			if o.read == nil {
				return fail(fmt.Errorf("include %s: includes are read only from a config file", rest))
			}
			inc := rest
			if !filepath.IsAbs(inc) {
				inc = filepath.Join(filepath.Dir(file), inc)
			}
			text, err := o.read(inc)
			if err != nil {
				return fail(fmt.Errorf("include: %w", err))
			}
			if err := o.parse(inc, text, chain); err != nil {
				var ce *ConfError
				if errors.As(err, &ce) {
					return err
				}
				return fail(err)
			}
		default:
			if !oinkIgnored[word] {
				return fail(fmt.Errorf("unknown setting %q", word))
			}
		}
	}
	return nil
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
