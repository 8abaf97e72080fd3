package rules

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMinDiff(t *testing.T) {
	long := `alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET POLICY Something long enough to need cutting on both sides of the change"; flow:established,to_server; content:"GET"; http_method; classtype:policy-violation; sid:2013028; rev:7;)`
	tests := []struct {
		name, old, cur string
		want           []string // substrings of the output
		not            []string
	}{
		{"msg change", long, strings.Replace(long, "Something", "Anything", 1),
			[]string{"old: ...", "Something", "new: ...", "Anything", "..."}, []string{"classtype"}},
		{"disabled", long, "# " + long, []string{"old: alert http", "new: # alert http"}, []string{"sid:2013028"}},
		{"end change", long, strings.Replace(long, "rev:7", "rev:8", 1), []string{"rev:7;)", "rev:8;)"}, []string{"msg:"}},
		{"hostile", `alert tcp any any -> any any (msg:"a"; sid:1;)`, "alert tcp any any -> any any (msg:\"a\x1b[2J\u202e\"; sid:1;)",
			[]string{`\x1b`, `\u202e`}, []string{"\x1b", "\u202e"}},
		{"long change wraps", "x", strings.Repeat("word ", 60), []string{"new: "}, nil},
		{"no spaces wraps", "x", strings.Repeat("é", 300), []string{"new: é"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := minDiff(tc.old, tc.cur, reportWidth)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(got, w) {
					t.Errorf("has %q:\n%s", w, got)
				}
			}
			for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				if n := utf8.RuneCountInString(l); n > reportWidth {
					t.Errorf("line of %d columns: %q", n, l)
				}
			}
			// Wrapping loses nothing: the pieces put back hold the new text.
			if tc.name == "long change wraps" {
				var joined strings.Builder
				for _, l := range strings.Split(got, "\n") {
					joined.WriteString(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "new:")) + " ")
				}
				if strings.Count(joined.String(), "word") != 60 {
					t.Errorf("wrapped text lost words:\n%s", got)
				}
			}
		})
	}
}

// FuzzMinDiff: whatever two rules look like, every line fits the width
// and no raw control character gets through.
func FuzzMinDiff(f *testing.F) {
	f.Add("alert tcp any any -> any any (msg:\"a\"; sid:1;)", "# alert tcp any any -> any any (msg:\"a\"; sid:1;)")
	f.Add("x", strings.Repeat("é ", 100))
	f.Add("abc\x1b[2Jdef", "abc\u202edef")
	f.Fuzz(func(t *testing.T, old, cur string) {
		got := minDiff(old, cur, reportWidth)
		for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
			if n := utf8.RuneCountInString(l); n > reportWidth {
				t.Fatalf("line of %d columns: %q", n, l)
			}
			for _, r := range l {
				if r < 0x20 || r == 0x7f || r == '\u202e' {
					t.Fatalf("raw control character %U in %q", r, l)
				}
			}
		}
	})
}
