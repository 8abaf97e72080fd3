package threshold

import (
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/rules/rule"
)

func rules(t testing.TB, lines ...string) []*rule.Rule {
	var out []*rule.Rule
	for _, l := range lines {
		r, err := rule.Parse(l, "rules/t.rules")
		if err != nil || r == nil {
			t.Fatalf("parse %q: %v", l, err)
		}
		out = append(out, r)
	}
	return out
}

func TestProcess(t *testing.T) {
	rs := rules(t,
		`alert http any any -> any any (msg:"ET POLICY Java Client"; sid:10; rev:1;)`,
		`# alert http any any -> any any (msg:"ET POLICY java disabled"; sid:11; rev:1;)`,
		`alert tcp any any -> any any (msg:"ET SCAN Nmap, quoted"; gid:3; sid:12; rev:1;)`,
	)
	tests := []struct {
		name, in, want string
		generated      int
		unmatched      []int
	}{
		{"plain lines, comments and blanks are copied", "# c\n\nsuppress gen_id 1, sig_id 5\n  # indented\n", "# c\n\nsuppress gen_id 1, sig_id 5\n  # indented\n", 0, nil},
		{"re to the end, case-insensitive, enabled rules only", "suppress re:JAVA\n",
			"# [1:10] ET POLICY Java Client\nsuppress gen_id 1, sig_id 10\n\n", 1, nil},
		{"re up to a comma", "suppress re:java client, track by_src, ip 10.0.0.0/8\n",
			"# [1:10] ET POLICY Java Client\nsuppress gen_id 1, sig_id 10, track by_src, ip 10.0.0.0/8\n\n", 1, nil},
		{"quoted re may hold a comma", "threshold re:\"Nmap, quoted\", type limit, track by_src, count 1, seconds 60\n",
			"# [3:12] ET SCAN Nmap, quoted\nthreshold gen_id 3, sig_id 12, type limit, track by_src, count 1, seconds 60\n\n", 1, nil},
		{"several rules", "suppress re:ET \n",
			"# [1:10] ET POLICY Java Client\nsuppress gen_id 1, sig_id 10\n\n# [3:12] ET SCAN Nmap, quoted\nsuppress gen_id 3, sig_id 12\n\n", 2, nil},
		{"no match produces nothing and is reported", "# x\nsuppress re:nothing-like-this\n", "# x\n", 0, []int{2}},
		{"trailing blanks are trimmed, no final newline", "suppress gen_id 1, sig_id 5   ", "suppress gen_id 1, sig_id 5\n", 0, nil},
		{"empty re: is copied", "suppress re:\n", "suppress re:\n", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Process("threshold.in", tc.in, rs)
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Data) != tc.want {
				t.Errorf("got\n%q\nwant\n%q", res.Data, tc.want)
			}
			if res.Generated != tc.generated || len(res.Unmatched) != len(tc.unmatched) {
				t.Errorf("generated %d unmatched %v, want %d %v", res.Generated, res.Unmatched, tc.generated, tc.unmatched)
			}
		})
	}
}

func TestBadRegexNamesFileAndLine(t *testing.T) {
	_, err := Process("/etc/suricata/threshold.in", "# ok\nsuppress re:(?<=x)java\n", nil)
	if err == nil || !strings.Contains(err.Error(), "/etc/suricata/threshold.in line 2: re:(?<=x)java") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzProcess(f *testing.F) {
	f.Add("suppress re:java, track by_src\n# c\nthreshold re:\"a,b\", type limit\n")
	f.Add("suppress re:(\n")
	rs := rules(f, `alert http any any -> any any (msg:"ET POLICY Java Client"; sid:10; rev:1;)`)
	f.Fuzz(func(t *testing.T, in string) {
		res, err := Process("f", in, rs)
		if err != nil {
			return
		}
		// Every line without a matcher comes out unchanged.
		for _, l := range strings.Split(in, "\n") {
			l = strings.TrimRight(l, " \t\r\n\v\f")
			if l != "" && !strings.Contains(l, "re:") && !strings.Contains(string(res.Data), l) {
				t.Fatalf("line %q lost", l)
			}
		}
	})
}
