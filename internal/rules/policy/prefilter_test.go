package policy

import (
	"regexp"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/rules/rule"
)

// ruleWith builds a parsed rule whose text contains s (in msg), so the
// rule's ASCII flag is what Parse computes.
func ruleWith(t testing.TB, s string) *rule.Rule {
	t.Helper()
	line := `alert tcp any any -> any any (msg:"` + strings.NewReplacer(`"`, "", ";", "").Replace(s) + `"; sid:1; rev:1;)`
	r, err := rule.Parse(line, "rules/x.rules")
	if err != nil || r == nil {
		return nil
	}
	return r
}

// reCases pair re: patterns with texts; the expected answer is always the
// plain regexp's, so these check that the prefilter never changes it,
// including the case-folding corners where ASCII and Unicode differ.
var reCases = []struct{ pattern, text string }{
	{"heartbleed", "ET EXPLOIT HeartBleed probe"},
	{"heartbleed", "ET EXPLOIT heartblee probe"},
	{"heartbleed", "heartbleed"},
	{"heartbleed", "xHEARTBLEED"},
	{"heartbleed", "http http http heartbleeD"},
	{"ET MALWARE", "et malware"},
	{"(?-i:ET) MALWARE", "et malware"},
	{"(?-i:ET) MALWARE", "ET malware"},
	{"k", "\u212a"},             // KELVIN SIGN folds to k
	{"key", "ET \u212aEY here"}, // non-ASCII text: regexp decides
	{"\u212aey", "ET KEY here"}, // Kelvin in the pattern, ASCII text
	{"s", "\u017f"},             // LATIN SMALL LETTER LONG S folds to s
	{"stra(ss|ß)e", "STRASSE"},  // no single required literal
	{"foo|bar", "a bar b"},      // alternation: no prefilter
	{"ab+c", "xABBBC"},          // repeat
	{"x{2,}heartbleed", "xxHeartbleed"},
	{"(ab){0}heartbleed", "heartbleed"},
	{"\ufffd", "a\ufffdb"},
	{"é", "CAFÉ"},
	{"classtype:trojan-activity", "alert (classtype:Trojan-Activity"},
	{"^alert", "alert tcp"},
	{"zz", "z"},
}

func TestPrefilterKeepsRegexpAnswer(t *testing.T) {
	for _, tc := range reCases {
		r := ruleWith(t, tc.text)
		if r == nil {
			t.Fatalf("fixture %q does not parse", tc.text)
		}
		m, err := ParseMatch("re:" + tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		want := regexp.MustCompile("(?i)" + tc.pattern).MatchString(r.Raw)
		if got := m.Match(r); got != want {
			t.Errorf("re:%s on %q = %v, regexp says %v", tc.pattern, tc.text, got, want)
		}
		// The same without the Parse-computed ASCII flag.
		bare := &rule.Rule{Raw: r.Raw}
		if got := m.Match(bare); got != want {
			t.Errorf("re:%s on %q (ASCII unknown) = %v, regexp says %v", tc.pattern, tc.text, got, want)
		}
	}
}

// TestPrefilterIsUsed guards the speed-up itself: the literals we expect
// in real disable.conf lines must get a prefilter, and alternations none.
func TestPrefilterIsUsed(t *testing.T) {
	for pattern, lit := range map[string]string{
		"(?i)heartbleed":             "heartbleed",
		"(?i)ET MALWARE":             "et malware",
		"(?i)ET.*MALWARE (Win32)?":   "malware ",
		"(?i)classtype:trojan-\\w+;": "classtype:trojan-",
		"ET MALWARE":                 "ET MALWARE",
	} {
		p := newPrefilter(pattern)
		if p == nil || p.lit != lit {
			t.Errorf("newPrefilter(%q) = %+v, want literal %q", pattern, p, lit)
		}
	}
	for _, pattern := range []string{"(?i)foo|bar", "(?i)a*", "(?i)é", "(?i)\ufffd", "(?i)x?"} {
		if p := newPrefilter(pattern); p != nil {
			t.Errorf("newPrefilter(%q) = %+v, want none", pattern, p)
		}
	}
}

func TestContainsFoldASCII(t *testing.T) {
	texts := []string{"", "h", "heartbleed", "HEARTBLEED", "xxheartbleeX", "a HeArTbLeEd b", "http heartbleed", "heartbleedheartbleed"}
	needles := []string{"h", "heartbleed", "bleed", "d", "eartb", "x heartbleed"}
	for _, s := range texts {
		for _, n := range needles {
			want := strings.Contains(strings.ToLower(s), n)
			p := newFoldPrefilter(n)
			if got := containsFoldASCII(s, p.lit, p.anchor); got != want {
				t.Errorf("containsFoldASCII(%q, %q) = %v, want %v", s, n, got, want)
			}
		}
	}
}

func TestMetadataPrefilter(t *testing.T) {
	m, err := ParseMatch("metadata: former_category key")
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]bool{
		`metadata: former_category KEY;`:                            true,
		`metadata: former_category \u212aEY;`:                       false, // escaped text, not the rune
		"metadata: former_category \u212aEY;":                       true,  // strings.ToLower folds KELVIN SIGN to k
		`metadata: former_category keys;`:                           false,
		`msg:"key"; metadata: former_category other;`:               false,
		`metadata: created_at 2020, former_category Key;`:           true,
		`metadata: created_at 2020; metadata: former_category key;`: true,
	} {
		r, err := rule.Parse(`alert tcp any any -> any any (`+text+` sid:1;)`, "g")
		if err != nil || r == nil {
			t.Fatalf("parse %q: %v", text, err)
		}
		if got := m.Match(r); got != want {
			t.Errorf("metadata match on %q = %v, want %v", text, got, want)
		}
	}
}

func TestGroupMemoFollowsGroupChanges(t *testing.T) {
	m, err := ParseMatch("group:emerging-games")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseMatch("filename:rules/emerging-games.rules")
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range []string{"rules/emerging-games.rules", "rules/emerging-p2p.rules", "rules/emerging-games.rules", "", "rules/emerging-games.rules"} {
		r := mustRule(t, `alert ip any any -> any any (msg:"x"; sid:1;)`, g)
		want := g == "rules/emerging-games.rules"
		if m.Match(r) != want || f.Match(r) != want {
			t.Errorf("call %d, group %q: group/filename match = %v/%v, want %v", i, g, m.Match(r), f.Match(r), want)
		}
	}
}

// FuzzPrefilter checks the prefilter's one promise: whenever the regexp
// matches, the prefilter lets the text through, so re: answers equal the
// plain regexp's.
func FuzzPrefilter(f *testing.F) {
	for _, tc := range reCases {
		f.Add(tc.pattern, tc.text)
	}
	f.Fuzz(func(t *testing.T, pattern, text string) {
		re, err := regexp.Compile("(?i)" + pattern)
		if err != nil {
			return
		}
		p := newPrefilter("(?i)" + pattern)
		if re.MatchString(text) && !p.mayMatch(text, false) {
			t.Fatalf("prefilter %+v rejects %q, which (?i)%s matches", p, text, pattern)
		}
		if r := ruleWith(t, text); r != nil {
			m, err := ParseMatch("re:" + pattern)
			if err != nil {
				return // ParseMatch trims blanks the raw pattern kept
			}
			want := regexp.MustCompile("(?i)" + strings.TrimSpace(pattern)).MatchString(r.Raw)
			if got := m.Match(r); got != want {
				t.Fatalf("re:%s on %q = %v, regexp says %v", pattern, r.Raw, got, want)
			}
		}
	})
}
