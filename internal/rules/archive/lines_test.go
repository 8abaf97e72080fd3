package archive

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/suricron/suricron/internal/rules/rule"
)

// filterLines runs s through a lineFilter in writes of size chunk.
func filterLines(t testing.TB, s string, chunk, max int) (string, error) {
	lf := &lineFilter{max: max}
	for len(s) > 0 {
		n := min(chunk, len(s))
		if _, err := lf.Write([]byte(s[:n])); err != nil {
			return "", err
		}
		s = s[n:]
	}
	lf.finish()
	return lf.out.String(), nil
}

type parsed struct {
	Rules []string
	Errs  []string
}

func parseAll(s string) parsed {
	rs, errs := rule.ParseFile(s, "g.rules")
	var p parsed
	for _, r := range rs {
		p.Rules = append(p.Rules, r.Format())
	}
	for _, e := range errs {
		p.Errs = append(p.Errs, e.Error())
	}
	return p
}

// The filtered member parses to exactly the rules and the errors (with
// their line numbers) of the whole member.
func TestLineFilterKeepsWhatTheParserSees(t *testing.T) {
	for name, in := range map[string]string{
		"rules and comments": "# header\n\nalert tcp any any -> any any (msg:\"a\"; sid:1;)\n# comment\n#alert udp any any -> any any (msg:\"b\"; sid:2;)\n",
		"continuation":       "alert tcp any any -> any any (msg:\"a\"; \\\n  # not a comment here\n  sid:1;)\n# x\n",
		"continued header":   "alert tcp any any -> \\\nany any (msg:\"c\"; sid:3;)\n",
		"broken rule":        "# x\n# y\nalert tcp any any -> any any (msg:\"no sid\";)\n",
		"invalid utf8":       "# a\nalert tcp any any -> any any (msg:\"\xff\"; sid:4;)\n\xfe junk\nalert tcp any any -> any any (msg:\"d\"; \\\n\xff\nsid:5;)\n",
		"unicode blank":      "alert tcp any any -> any any (msg:\"e\"; sid:6;)\u00a0\n",
		"no final newline":   "# a\nalert tcp any any -> any any (msg:\"f\"; sid:7;)",
		"crlf":               "# a\r\nalert tcp any any -> any any (msg:\"g\"; sid:8;)\r\n",
	} {
		for _, chunk := range []int{1, 3, 64 << 10} {
			got, err := filterLines(t, in, chunk, 0)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(parseAll(in), parseAll(got)); d != "" {
				t.Errorf("%s, chunk %d: (-whole +filtered)\n%s", name, chunk, d)
			}
			if strings.Count(got, "\n") != strings.Count(in, "\n") {
				t.Errorf("%s: line count changed", name)
			}
		}
	}
}

// 50 MB of comments around two rules keep only the rules' text.
func TestLineFilterDropsBulk(t *testing.T) {
	pad := strings.Repeat("# padding that inflates the member ..........................\n", 800_000)
	in := "alert tcp any any -> any any (msg:\"a\"; sid:1;)\n" + pad + "alert tcp any any -> any any (msg:\"b\"; sid:2;)\n"
	got, err := filterLines(t, in, 64<<10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > len(in)/50 {
		t.Fatalf("kept %d of %d bytes", len(got), len(in))
	}
	if d := cmp.Diff(parseAll(in), parseAll(got)); d != "" {
		t.Fatal(d)
	}
}

func TestLineFilterLongLine(t *testing.T) {
	for _, chunk := range []int{7, 64 << 10} {
		_, err := filterLines(t, "# ok\n"+strings.Repeat("x", 2000)+"\n", chunk, 1000)
		if err != errLongLine {
			t.Fatalf("chunk %d: want errLongLine, got %v", chunk, err)
		}
	}
	if _, err := filterLines(t, strings.Repeat("x", 1000)+"\n", 64, 1000); err != nil {
		t.Fatalf("a line at the cap is fine: %v", err)
	}
}

func FuzzLineFilter(f *testing.F) {
	f.Add("alert tcp any any -> any any (msg:\"a\"; \\\n sid:1;)\n# c\n", 3)
	f.Add("#alert ip any any -> any any (sid:2;)\u00a0\n\xff\n", 1)
	f.Fuzz(func(t *testing.T, in string, chunk int) {
		if chunk <= 0 || chunk > 1<<16 {
			chunk = 1
		}
		got, err := filterLines(t, in, chunk, 0)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(parseAll(in), parseAll(got)); d != "" {
			t.Fatalf("(-whole +filtered)\n%s", d)
		}
	})
}
