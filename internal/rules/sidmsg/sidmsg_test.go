package sidmsg

import (
	"bytes"
	"testing"

	"github.com/suricron/suricron/internal/rules/rule"
)

func TestFormats(t *testing.T) {
	tests := []struct {
		line, v1, v2 string
	}{
		{`alert http any any -> any any (msg:"ET POLICY x"; reference:url,example.org/a; reference:cve,2020-1; classtype:policy-violation; sid:10; rev:3;)`,
			"10 || ET POLICY x || url,example.org/a || cve,2020-1\n",
			"1 || 10 || 3 || policy-violation || 0 || ET POLICY x || url,example.org/a || cve,2020-1\n"},
		{`# alert tcp any any -> any any (msg:"no class"; gid:3; sid:11; rev:1; priority:2;)`,
			"11 || no class\n",
			"3 || 11 || 1 || NOCLASS || 2 || no class\n"},
		{`alert tcp any any -> any any (sid:12;)`, "12 || \n", "1 || 12 || 0 || NOCLASS || 0 || \n"},
	}
	for _, tc := range tests {
		r, err := rule.Parse(tc.line, "g")
		if err != nil || r == nil {
			t.Fatal(err)
		}
		for v, want := range map[int]string{1: tc.v1, 2: tc.v2} {
			var b bytes.Buffer
			if err := Write(&b, []*rule.Rule{r}, v); err != nil {
				t.Fatal(err)
			}
			if b.String() != want {
				t.Errorf("v%d of %s:\ngot  %q\nwant %q", v, tc.line, b.String(), want)
			}
		}
	}
}
