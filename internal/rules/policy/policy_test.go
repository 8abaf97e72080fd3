package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/suricron/suricron/internal/rules/rule"
)

func mustRule(t testing.TB, line, group string) *rule.Rule {
	t.Helper()
	r, err := rule.Parse(line, group)
	if err != nil || r == nil {
		t.Fatalf("parse %q: %v", line, err)
	}
	return r
}

func TestParseMatch(t *testing.T) {
	r := mustRule(t, `alert tcp any any -> any any (msg:"ET GAMES HeartBleed probe"; metadata: deployment Perimeter, signature_severity Major; sid:2013028; rev:1;)`, "rules/emerging-games.rules")
	tests := []struct {
		expr  string
		match bool
	}{
		{"*", true},
		{"2013028", true},
		{"1:2013028", true},
		{"3:2013028", false},
		{"1,2, 2013028", true},
		{"re:heartbleed", true}, // case-insensitive
		{"re:^alert tcp", true},
		{"re:nomatch", false},
		{"group:emerging-games.rules", true},
		{"group:emerging-games", true},
		{"group:emerging-*", true},
		{"group:games", false},
		{"emerging-games.rules", true},
		{"filename:rules/emerging-games.rules", true},
		{"filename:*games*", true},
		{"filename:emerging-games.rules", false}, // full path
		{"metadata: deployment perimeter", true},
		{"metadata: signature_severity major", true},
		{"metadata: deployment internal", false},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			m, err := ParseMatch(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Match(r); got != tc.match {
				t.Errorf("Match = %v, want %v", got, tc.match)
			}
		})
	}
	for _, bad := range []string{"", "re:(", "metadata:nokv", "hello"} {
		if _, err := ParseMatch(bad); err == nil {
			t.Errorf("ParseMatch(%q) accepted", bad)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"*deleted.rules", "emerging-deleted.rules", true},
		{"*deleted.rules", "deleted.rules.bak", false},
		{"a?c", "abc", true},
		{"[!a]bc", "abc", false},
		{"[ab]bc", "bbc", true},
		{"*", "x/y", true},
		{"a.rules", "aXrules", false},
		{"[", "[", true},
	}
	for _, tc := range tests {
		re, err := Glob(tc.pat)
		if err != nil {
			t.Fatalf("%q: %v", tc.pat, err)
		}
		if got := re.MatchString(tc.s); got != tc.want {
			t.Errorf("Glob(%q) on %q = %v, want %v", tc.pat, tc.s, got, tc.want)
		}
	}
}

func TestMatchConfErrorsNameLine(t *testing.T) {
	_, err := ParseMatchConf("disable.conf", "# c\n2013028 # trailing\n\nnot-a-matcher\n")
	var ce *ConfError
	if !errors.As(err, &ce) || ce.Line != 4 || !strings.Contains(err.Error(), "disable.conf line 4") {
		t.Fatalf("err = %v, want a ConfError at line 4", err)
	}
	ms, err := ParseMatchConf("d", "2013028 # trailing\nre:foo #x\n")
	if err != nil || len(ms) != 2 || ms[1].String() != "re:foo" {
		t.Fatalf("got %v, %v", ms, err)
	}
}

func TestModifyConf(t *testing.T) {
	base := `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN x"; classtype:trojan-activity; sid:10; rev:1;)`
	tests := []struct {
		name, conf, want string
	}{
		{"three words", `10 "alert" "drop"`, `drop http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN x"; classtype:trojan-activity; sid:10; rev:1;)`},
		{"python backref", `re:classtype:trojan-activity "(alert)(.*)" "drop\\2"`, `drop http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN x"; classtype:trojan-activity; sid:10; rev:1;)`},
		{"oinkmaster form", `modifysid 10 "(msg:\"ET) TROJAN" | "${1} MALWARE"`, `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET MALWARE x"; classtype:trojan-activity; sid:10; rev:1;)`},
		{"all occurrences, case-sensitive", `* "T" "t"`, `alert http $HOME_NEt any -> $EXtERNAL_NEt any (msg:"Et tROJAN x"; classtype:trojan-activity; sid:10; rev:1;)`},
		{"metadata-add", `metadata-add 10 "policy" "local"`, `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN x"; classtype:trojan-activity; sid:10; rev:1; metadata: policy local;)`},
		{"no match leaves rule", `11 "alert" "drop"`, base},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mods, err := ParseModifyConf("modify.conf", tc.conf)
			if err != nil {
				t.Fatal(err)
			}
			r := mustRule(t, base, "g.rules")
			for _, m := range mods {
				if m.Matcher.Match(r) {
					if r, err = m.Apply(r); err != nil {
						t.Fatal(err)
					}
				}
			}
			if r.Format() != tc.want {
				t.Errorf("got  %s\nwant %s", r.Format(), tc.want)
			}
		})
	}
	mods, err := ParseModifyConf("m", `10 "\(.*" "broken"`)
	if err != nil {
		t.Fatal(err)
	}
	r := mustRule(t, base, "")
	nr, err := mods[0].Apply(r)
	if err == nil || nr != r || !strings.Contains(err.Error(), "m line 1") {
		t.Errorf("invalid result: rule %p (want %p), err %v", nr, r, err)
	}
	for _, bad := range []string{`10 "a"`, `10 "(" "b"`, `10 "unterminated`, `metadata-add 10 "k"`} {
		if _, err := ParseModifyConf("m", bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestOinkmaster(t *testing.T) {
	conf := `# oinkmaster.conf
url = http://example.org/%oinkcode%/rules.tar.gz
path = /bin:/usr/bin
skipfile local.rules, deleted.rules
skipfile snort.conf
disablesid 2000001, 2000002 # noisy
disablesid 2000003,\
   2000004
enablesid 2000010
localsid 2000020
modifysid 2000001 "alert" | "drop"  # to drop
modifysid emerging-scan.rules "(msg:\"ET) SCAN" | "${1} XSCAN" # comment
define_template tp "sid:" | "priority:1; sid:"
use_template tp 2000005
`
	p, err := ParseOinkmaster("oinkmaster.conf", conf)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"http://example.org/%oinkcode%/rules.tar.gz"}, p.URLs); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff([]string{"local.rules", "deleted.rules", "snort.conf"}, p.SkipFiles); d != "" {
		t.Error(d)
	}
	if len(p.Disable) != 2 || len(p.Enable) != 1 || len(p.Modify) != 3 || len(p.LocalSIDs) != 1 {
		t.Fatalf("disable %d enable %d modify %d local %d", len(p.Disable), len(p.Enable), len(p.Modify), len(p.LocalSIDs))
	}
	// sid-only: a disablesid matches the sid under any gid.
	if !p.Disable[1].Match(mustRule(t, `alert ip any any -> any any (msg:"x"; gid:3; sid:2000004;)`, "")) {
		t.Error("continued disablesid line lost 2000004")
	}
	// oinkmaster modifysid: case-insensitive, first match only.
	r := mustRule(t, `alert ip any any -> any any (msg:"ET SCAN ALERT scan"; sid:2000099;)`, "rules/emerging-scan.rules")
	m := p.Modify[1]
	if !m.Matcher.Match(r) {
		t.Fatal("file target did not match")
	}
	nr, err := m.Apply(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := `alert ip any any -> any any (msg:"ET XSCAN ALERT scan"; sid:2000099;)`; nr.Raw != want {
		t.Errorf("got  %s\nwant %s", nr.Raw, want)
	}
	nr, err = p.Modify[0].Apply(mustRule(t, `alert ip any any -> any any (msg:"ALERT"; sid:2000001;)`, ""))
	if err != nil || nr.Raw != `drop ip any any -> any any (msg:"ALERT"; sid:2000001;)` {
		t.Errorf("first-only replace: %q %v", nr.Raw, err)
	}
	for _, bad := range []string{"bogus 1", "disablesid abc", "modifysid 1 \"a\" \"b\"", "url http://x", "include x.conf", "use_template nope 1"} {
		if _, err := ParseOinkmaster("o", bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func buildSet(t testing.TB, lines ...string) *rule.Set {
	s := rule.NewSet(len(lines))
	for _, l := range lines {
		s.Add(mustRule(t, l, "rules/g.rules"))
	}
	return s
}

func TestApplyOrderDropAndFlowbits(t *testing.T) {
	s := buildSet(t,
		`alert tcp any any -> any any (msg:"setter"; flowbits:set,ET.a; flowbits:noalert; sid:1;)`,
		`#alert tcp any any -> any any (msg:"setter2"; flowbits:set,ET.b; sid:2;)`,
		`#alert tcp any any -> any any (msg:"chain"; flowbits:isset,ET.c; flowbits:set,ET.b2; sid:3;)`,
		`alert tcp any any -> any any (msg:"user"; flowbits:isset,ET.b; sid:4;)`,
		`#alert tcp any any -> any any (msg:"setter3"; flowbits:setx,ET.c,60; sid:5;)`,
		`alert tcp any any -> any any (msg:"plain"; sid:6;)`,
		`#alert tcp any any -> any any (msg:"off"; sid:7;)`,
	)
	dis, _ := ParseMatch("re:plain")
	en, _ := ParseMatch("7")
	drop, _ := ParseMatch("*")
	p := &Policy{Disable: []Matcher{dis}, Enable: []Matcher{en}, Drop: []Matcher{drop}}
	st, errs := p.Apply(s)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := map[int]string{}
	for _, r := range s.Rules() {
		got[r.SID] = r.Format()
	}
	want := map[int]string{
		1: `alert tcp any any -> any any (msg:"setter"; flowbits:set,ET.a; flowbits:noalert; sid:1;)`, // noalert: not dropped
		2: `drop tcp any any -> any any (msg:"setter2"; flowbits:set,ET.b; noalert; sid:2;)`,          // dropped while disabled, then flowbit-enabled
		3: `# drop tcp any any -> any any (msg:"chain"; flowbits:isset,ET.c; flowbits:set,ET.b2; sid:3;)`,
		4: `drop tcp any any -> any any (msg:"user"; flowbits:isset,ET.b; sid:4;)`,
		5: `# drop tcp any any -> any any (msg:"setter3"; flowbits:setx,ET.c,60; sid:5;)`,
		6: `# drop tcp any any -> any any (msg:"plain"; sid:6;)`,
		7: `drop tcp any any -> any any (msg:"off"; sid:7;)`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	gotSt := [5]int{st.Disabled, st.Enabled, st.Dropped, st.Modified, st.Flowbits}
	if gotSt != [5]int{1, 1, 6, 0, 1} {
		t.Errorf("stats disabled,enabled,dropped,modified,flowbits = %v", gotSt)
	}
}

func TestFlowbitsChain(t *testing.T) {
	// 3 tests a bit only 2 sets; 2 tests a bit only 1 sets: two passes.
	s := buildSet(t,
		`#alert ip any any -> any any (msg:"a"; flowbits:set,x; sid:1;)`,
		`#alert ip any any -> any any (msg:"b"; flowbits:isset,x; flowbits:set,y; sid:2;)`,
		`alert ip any any -> any any (msg:"c"; flowbits:isnotset,y; sid:3;)`,
		`#alert ip any any -> any any (msg:"d"; flowbits:isset,z; sid:4;)`,
	)
	keys := ResolveFlowbits(s)
	if d := cmp.Diff([]rule.Key{{GID: 1, SID: 2}, {GID: 1, SID: 1}}, keys); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestShlexAndRepl(t *testing.T) {
	w, err := shlexSplit(`a "b c" 'd "e"' f\ g "h\"i\\j" "$\$"`)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a", "b c", `d "e"`, "f g", `h"i\j`, "$$"}, w); d != "" {
		t.Error(d)
	}
	if got := pyRepl(`drop\2 \g<1> $x \\`); got != `drop${2} ${1} $$x \` {
		t.Errorf("pyRepl = %q", got)
	}
	if got := perlRepl(`${1} $2 \$HOME $`); got != `${1} ${2} $$HOME $$` {
		t.Errorf("perlRepl = %q", got)
	}
}

func FuzzParseMatchConf(f *testing.F) {
	for _, s := range []string{"2013028\n1:2012648\nre:heartbleed\ngroup:emerging-games.rules\n", "metadata: deployment perimeter\n*\n", "filename:[!a*\n", "1:2,3:4 # c\n"} {
		f.Add(s)
	}
	r := &rule.Rule{}
	f.Fuzz(func(t *testing.T, data string) {
		ms, err := ParseMatchConf("f", data)
		if err != nil {
			var ce *ConfError
			if !errors.As(err, &ce) || ce.Line < 1 {
				t.Fatalf("error without line: %v", err)
			}
			return
		}
		for _, m := range ms {
			m.Match(r)
		}
	})
}

func FuzzParseModifyConf(f *testing.F) {
	for _, s := range []string{`10 "alert" "drop"`, `modifysid * "a" | "${1}"`, `metadata-add * "k" "v"`, `re:x "(a)(b)" "\\2\\1"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		mods, err := ParseModifyConf("f", data)
		if err != nil {
			return
		}
		r, _ := rule.Parse(`alert ip any any -> any any (msg:"x"; sid:1;)`, "g")
		for _, m := range mods {
			if nr, _ := m.Apply(r); nr == nil {
				t.Fatal("Apply returned nil rule")
			}
		}
	})
}

func FuzzParseOinkmaster(f *testing.F) {
	f.Add("url = http://x/y.tar.gz\nskipfile a.rules\ndisablesid 1,2\nenablesid 3\nmodifysid * \"a\" | \"b\"\n")
	f.Add("disablesid 1,\\\n2\nlocalsid 9\ndefine_template t \"x\" | \"y\"\nuse_template t 5\n")
	f.Fuzz(func(t *testing.T, data string) {
		p, err := ParseOinkmaster("o", data)
		if err != nil {
			var ce *ConfError
			if !errors.As(err, &ce) {
				t.Fatalf("error without line: %v", err)
			}
			return
		}
		r, _ := rule.Parse(`alert ip any any -> any any (msg:"x"; sid:1;)`, "g")
		for _, m := range p.Modify {
			m.Apply(r)
		}
	})
}
