package rule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/suricron/suricron/internal/sharedtest"
)

func TestParse(t *testing.T) {
	type want struct {
		Enabled, NoAlert bool
		Action           string
		GID, SID, Rev    int
		Msg              string
		Flowbits         []string
	}
	tests := []struct {
		name string
		line string
		want *want // nil: not a rule
		err  bool
	}{
		{"enabled", `alert tcp any any -> any any (msg:"x"; sid:1; rev:2;)`, &want{Enabled: true, Action: "alert", GID: 1, SID: 1, Rev: 2, Msg: "x"}, false},
		{"hash no space", `#alert tcp any any -> any any (msg:"x"; sid:2;)`, &want{Action: "alert", GID: 1, SID: 2, Msg: "x"}, false},
		{"double hash", `## alert tcp any any -> any any (msg:"x"; sid:3;)`, &want{Action: "alert", GID: 1, SID: 3, Msg: "x"}, false},
		{"hash space hash", `#  # drop tcp any any -> any any (msg:"x"; sid:4;)`, &want{Action: "drop", GID: 1, SID: 4, Msg: "x"}, false},
		{"gid", `alert tcp any any -> any any (msg:"x"; gid:3; sid:5;)`, &want{Enabled: true, Action: "alert", GID: 3, SID: 5, Msg: "x"}, false},
		{"escaped semicolon", `alert http any any -> any any (msg:"a\;b"; content:"x\;y"; sid:6;)`, &want{Enabled: true, Action: "alert", GID: 1, SID: 6, Msg: `a\;b`}, false},
		{"flowbits noalert", `alert tcp any any -> any any (msg:"x"; flowbits:set,a; flowbits:noalert; sid:7;)`, &want{Enabled: true, NoAlert: true, Action: "alert", GID: 1, SID: 7, Msg: "x", Flowbits: []string{"set,a", "noalert"}}, false},
		{"bracket list with blanks", `alert tcp [1.2.3.4, [5.6.7.8]] any -> $HOME_NET [80, 443] (msg:"x"; sid:8;)`, &want{Enabled: true, Action: "alert", GID: 1, SID: 8, Msg: "x"}, false},
		{"decoder style", `alert (msg:"SURICATA x"; decode-event:ipv4.pkt_too_small; sid:2200000; rev:2;)`, &want{Enabled: true, Action: "alert", GID: 1, SID: 2200000, Rev: 2, Msg: "SURICATA x"}, false},
		{"rejectboth kept", `rejectboth tcp any any -> any any (msg:"x"; sid:9;)`, &want{Enabled: true, Action: "rejectboth", GID: 1, SID: 9, Msg: "x"}, false},
		{"comment prose", `# alert if STARTTLS was not followed by a handshake`, nil, false},
		{"plain comment", `# Emerging Threats`, nil, false},
		{"blank", "   ", nil, false},
		{"unknown action", `warn tcp any any -> any any (msg:"x"; sid:10;)`, nil, false},
		{"short header", `alert tcp any any -> (msg:"x"; sid:11;)`, nil, false},
		{"no sid", `alert tcp any any -> any any (msg:"x";)`, nil, true},
		{"sid zero", `alert tcp any any -> any any (msg:"x"; sid:0;)`, nil, true},
		{"bad sid", `alert tcp any any -> any any (msg:"x"; sid:abc;)`, nil, true},
		{"unterminated option", `alert tcp any any -> any any (msg:"x"; sid:12)`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.line, "g.rules")
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if tc.want == nil {
				if r != nil {
					t.Fatalf("parsed a non-rule: %+v", r)
				}
				return
			}
			if r == nil {
				t.Fatal("not parsed as a rule")
			}
			got := &want{Enabled: r.Enabled, NoAlert: r.NoAlert, Action: r.Action, GID: r.GID, SID: r.SID, Rev: r.Rev, Msg: r.Msg, Flowbits: r.Flowbits}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if !strings.HasSuffix(tc.line, r.Raw) || strings.HasPrefix(r.Raw, "#") {
				t.Errorf("Raw %q is not the rule text of %q", r.Raw, tc.line)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name, line string
		noalert    bool
		want       string
	}{
		{"enabled unchanged", `alert ip any any -> any any (msg:"x"; sid:1;)`, false, `alert ip any any -> any any (msg:"x"; sid:1;)`},
		{"disabled gets hash space", `#alert ip any any -> any any (msg:"x"; sid:1;)`, false, `# alert ip any any -> any any (msg:"x"; sid:1;)`},
		{"noalert inserted before sid", `alert ip any any -> any any (msg:"x"; sid: 1 ;)`, true, `alert ip any any -> any any (msg:"x"; noalert; sid: 1 ;)`},
		{"noalert already there", `alert ip any any -> any any (msg:"x"; flowbits:noalert; sid:1;)`, true, `alert ip any any -> any any (msg:"x"; flowbits:noalert; sid:1;)`},
		{"no blank before sid: nothing inserted", `alert ip any any -> any any (msg:"x";sid:1;)`, true, `alert ip any any -> any any (msg:"x";sid:1;)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.line, "")
			if err != nil || r == nil {
				t.Fatalf("parse: %v", err)
			}
			r.NoAlert = r.NoAlert || tc.noalert
			if got := r.Format(); got != tc.want {
				t.Errorf("Format() = %q, want %q", got, tc.want)
			}
			if got := string(r.AppendFormat([]byte("x"))); got != "x"+tc.want {
				t.Errorf("AppendFormat() = %q, want %q", got, "x"+tc.want)
			}
		})
	}
}

func TestParseFileContinuationAndErrors(t *testing.T) {
	content := "# header\n" +
		"alert tcp any any -> any any (msg:\"one\"; \\\n" +
		"  content:\"a\"; sid:1;)\n" +
		"alert tcp any any -> any any (msg:\"bad\";)\n" +
		"alert tcp any any -> any any (msg:\"\xff\"; sid:3;)\n" +
		"#alert tcp any any -> any any (msg:\"two\"; sid:2;)"
	rules, errs := ParseFile(content, "f.rules")
	var sids []int
	for _, r := range rules {
		sids = append(sids, r.SID)
	}
	if d := cmp.Diff([]int{1, 2}, sids); d != "" {
		t.Errorf("sids (-want +got):\n%s", d)
	}
	if want := `alert tcp any any -> any any (msg:"one";    content:"a"; sid:1;)`; rules[0].Raw != want {
		t.Errorf("joined rule = %q, want %q", rules[0].Raw, want)
	}
	var lines []int
	for _, e := range errs {
		lines = append(lines, e.Line)
	}
	if d := cmp.Diff([]int{4, 5}, lines); d != "" {
		t.Errorf("error lines (-want +got):\n%s", d)
	}
}

func TestSetRevisionWins(t *testing.T) {
	s := NewSet(4)
	add := func(line string) {
		r, err := Parse(line, "")
		if err != nil || r == nil {
			t.Fatalf("parse %q: %v", line, err)
		}
		s.Add(r)
	}
	add(`alert ip any any -> any any (msg:"a1"; sid:1; rev:1;)`)
	add(`alert ip any any -> any any (msg:"b"; sid:2; rev:1;)`)
	add(`alert ip any any -> any any (msg:"a3"; sid:1; rev:3;)`)
	add(`alert ip any any -> any any (msg:"a2"; sid:1; rev:2;)`)
	add(`alert ip any any -> any any (msg:"b-same"; sid:2; rev:1;)`)
	add(`alert ip any any -> any any (msg:"c"; gid:2; sid:1; rev:1;)`)
	var msgs []string
	for _, r := range s.Rules() {
		msgs = append(msgs, r.Msg)
	}
	// The higher rev replaces in place (suricata-update's dict
	// assignment); ties keep the first.
	if d := cmp.Diff([]string{"a3", "b", "c"}, msgs); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if s.Len() != 3 || s.Duplicates != 3 {
		t.Errorf("Len %d Duplicates %d, want 3 and 3", s.Len(), s.Duplicates)
	}
}

// TestSuricataDistRules parses Suricata 7.0.17's own rules: pkthdr,
// decoder-event style headers, dnp3 continuations and the prose comment
// "# alert if ..." in smtp-events.rules must all come out right.
func TestSuricataDistRules(t *testing.T) {
	dir := sharedtest.Path(t, "suricata-7.0.17", "rules")
	files, err := filepath.Glob(filepath.Join(dir, "*.rules"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rules files in %s: %v", dir, err)
	}
	var active, inactive, continued int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rules, errs := ParseFile(string(b), filepath.Base(f))
		for _, e := range errs {
			t.Errorf("%v", e)
		}
		for _, r := range rules {
			if r.Enabled {
				active++
			} else {
				inactive++
			}
		}
		continued += strings.Count(string(b), "\\\n")
		// Independent count: lines that start a rule (possibly commented).
		want := 0
		for _, line := range strings.Split(string(b), "\n") {
			l := strings.TrimLeft(line, "# ")
			if strings.HasPrefix(l, "alert ") || strings.HasPrefix(l, "drop ") || strings.HasPrefix(l, "pass ") {
				if strings.Contains(line, "sid:") || strings.HasSuffix(strings.TrimSpace(line), "\\") {
					want++
				}
			}
		}
		if len(rules) != want {
			t.Errorf("%s: %d rules, want %d", filepath.Base(f), len(rules), want)
		}
	}
	// rules.md §5.4 counts 386 active and 49 commented lines for 7.0.17;
	// one of those 49 is the prose "# alert if STARTTLS ...", not a rule.
	if active != 386 || inactive != 48 {
		t.Errorf("active %d inactive %d, want 386 and 48", active, inactive)
	}
	if continued == 0 {
		t.Error("expected backslash continuations in dnp3-events.rules")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`alert tcp any any -> any any (msg:"x"; sid:1; rev:2;)`,
		`#alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"a\;b"; flowbits:set,x; flowbits:noalert; sid:2;)`,
		`alert (msg:"d"; decode-event:ipv4.trunc; sid:3;)`,
		`alert tcp [1.1.1.1,[2.2.2.2]] any -> any any (msg:"n"; gid:3; sid:4;)`,
		`# alert if STARTTLS`,
		`alert tcp any any -> any any (sid:5`,
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := Parse(line, "f")
		if err != nil || r == nil {
			return
		}
		if r.SID == 0 {
			t.Fatalf("accepted sid 0: %q", line)
		}
		// Formatting and re-parsing must give the same identity and state.
		r2, err := Parse(r.Format(), "f")
		if err != nil || r2 == nil {
			t.Fatalf("re-parse of %q failed: %v", r.Format(), err)
		}
		if r2.Key() != r.Key() || r2.Enabled != r.Enabled || r2.Rev != r.Rev {
			t.Fatalf("round trip changed rule: %+v vs %+v", r, r2)
		}
		_ = r.Metadata()
		for _, na := range []bool{r.NoAlert, true} {
			r.NoAlert = na
			if got := string(r.AppendFormat(nil)); got != r.Format() {
				t.Fatalf("AppendFormat %q != Format %q", got, r.Format())
			}
		}
	})
}

func FuzzParseFile(f *testing.F) {
	f.Add("alert ip any any -> any any (msg:\"a\"; \\\n sid:1;)\n#alert ip any any -> any any (msg:\"b\"; sid:2;)\n")
	f.Add("\\\n\\\n")
	f.Fuzz(func(t *testing.T, content string) {
		rules, errs := ParseFile(content, "f")
		for _, r := range rules {
			if r.SID == 0 {
				t.Fatal("sid 0 accepted")
			}
		}
		for _, e := range errs {
			if e.Line < 1 {
				t.Fatalf("bad line number %d", e.Line)
			}
		}
	})
}

func TestHeader(t *testing.T) {
	tests := []struct {
		line string
		want Header
	}{
		{`alert smb $HOME_NET any -> [$DC_SERVERS,10.0.0.1] 445 (msg:"x"; sid:1;)`,
			Header{Proto: "smb", SrcAddr: "$HOME_NET", SrcPort: "any", Direction: "->", DstAddr: "[$DC_SERVERS,10.0.0.1]", DstPort: "445"}},
		{`# drop tcp [1.2.3.4, [5.6.7.8]] [80, 443] <> any any (msg:"x"; sid:2;)`,
			Header{Proto: "tcp", SrcAddr: "[1.2.3.4, [5.6.7.8]]", SrcPort: "[80, 443]", Direction: "<>", DstAddr: "any", DstPort: "any"}},
		{`alert (msg:"decoder"; sid:3;)`, Header{}},
	}
	for _, tc := range tests {
		r, err := Parse(tc.line, "g")
		if err != nil || r == nil {
			t.Fatalf("Parse(%q) = %v, %v", tc.line, r, err)
		}
		if got := r.Header(); got != tc.want {
			t.Errorf("Header(%q) = %+v, want %+v", tc.line, got, tc.want)
		}
	}
}
