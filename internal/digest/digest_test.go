package digest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/mail/mailtest"
)

// sectionHead and pairRow match the text part's per-signature sections
// (README "alert-digest": "## N. sid GID:SID rev R | COUNT alerts | ...",
// then pair rows "COUNT  SRC -> DST  ports").
var (
	sectionHead = regexp.MustCompile(`^## (\d+)\. sid (\d+):(\d+) rev \d+ \| ([\d,]+) alerts?`)
	pairRow     = regexp.MustCompile(`^ {3,}~?([\d,]+)  (\S+) -> (\S+)`)
)

// parsedGroups returns "sid src dst" -> count from the pair rows of a text
// part's sections.
func parsedGroups(t testing.TB, text string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	sid := ""
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if m := sectionHead.FindStringSubmatch(line); m != nil {
			sid = m[3]
			continue
		}
		if line == "" || !strings.HasPrefix(line, " ") {
			if !strings.HasPrefix(line, "   ") {
				continue
			}
		}
		m := pairRow.FindStringSubmatch(line)
		if m == nil || sid == "" {
			continue
		}
		n, _ := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
		k := sid + " " + m[2] + " " + m[3]
		if _, dup := out[k]; dup {
			t.Errorf("pair %s listed twice", k)
		}
		out[k] = n
	}
	return out
}

// sectionSIDs returns the sids of the sections in order, with their counts.
func sectionSIDs(text string) (sids []string, counts []int64) {
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if m := sectionHead.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseInt(strings.ReplaceAll(m[4], ",", ""), 10, 64)
			sids = append(sids, m[3])
			counts = append(counts, n)
		}
	}
	return sids, counts
}

func TestFilters(t *testing.T) {
	as := []alert{
		{sid: 1001, sig: "ET SCAN ssh", sev: 2, src: "10.0.0.1", dst: "10.0.0.2", dport: 22},
		{sid: 1002, sig: "ET POLICY curl", sev: 3, src: "10.0.0.1", dst: "10.0.0.3", dport: 80},
		{sid: 1003, sig: "ET MALWARE beacon", sev: 1, src: "10.0.0.4", dst: "203.0.113.9", dport: 443},
		{sid: 1004, sig: "no severity", sev: 0, src: "10.0.0.1", dst: "10.0.0.2", dport: 1},
		{sid: 1003, sig: "ET MALWARE beacon", sev: 1, src: "10.0.0.5", dst: "203.0.113.9", dport: 443},
	}
	tests := []struct {
		name     string
		mod      func(*Config)
		suppress string
		want     []string // "sid src dst"
	}{
		{"no filter", nil, "", []string{"1001 10.0.0.1 10.0.0.2", "1002 10.0.0.1 10.0.0.3", "1003 10.0.0.4 203.0.113.9", "1003 10.0.0.5 203.0.113.9", "1004 10.0.0.1 10.0.0.2"}},
		{"min severity 2", func(c *Config) { c.MinSeverity = 2 }, "", []string{"1001 10.0.0.1 10.0.0.2", "1003 10.0.0.4 203.0.113.9", "1003 10.0.0.5 203.0.113.9"}},
		{"min severity 1", func(c *Config) { c.MinSeverity = 1 }, "", []string{"1003 10.0.0.4 203.0.113.9", "1003 10.0.0.5 203.0.113.9"}},
		{"sid list", func(c *Config) { c.SIDs = []int64{1001, 1002} }, "", []string{"1001 10.0.0.1 10.0.0.2", "1002 10.0.0.1 10.0.0.3"}},
		{"exclude sid", func(c *Config) { c.ExcludeSIDs = []int64{1003, 1004} }, "", []string{"1001 10.0.0.1 10.0.0.2", "1002 10.0.0.1 10.0.0.3"}},
		{"match", func(c *Config) { c.Match = `^ET (SCAN|MALWARE) ` }, "", []string{"1001 10.0.0.1 10.0.0.2", "1003 10.0.0.4 203.0.113.9", "1003 10.0.0.5 203.0.113.9"}},
		{"suppress sid+address", nil, "1003 10.0.0.4\n1004\n", []string{"1001 10.0.0.1 10.0.0.2", "1002 10.0.0.1 10.0.0.3", "1003 10.0.0.5 203.0.113.9"}},
		{"expired suppression", nil, "1003 until=2026-01-01\n", []string{"1001 10.0.0.1 10.0.0.2", "1002 10.0.0.1 10.0.0.3", "1003 10.0.0.4 203.0.113.9", "1003 10.0.0.5 203.0.113.9", "1004 10.0.0.1 10.0.0.2"}},
		{"live suppression by cidr", nil, "1003 203.0.113.0/24 until=2026-01-02\n", []string{"1001 10.0.0.1 10.0.0.2", "1002 10.0.0.1 10.0.0.3", "1004 10.0.0.1 10.0.0.2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			appendAlerts(t, e.eve, as...)
			cfg := e.config()
			cfg.DryRun = true
			if tc.mod != nil {
				tc.mod(&cfg)
			}
			if tc.suppress != "" {
				cfg.SuppressFile = filepath.Join(e.dir, "suppress")
				if err := os.WriteFile(cfg.SuppressFile, []byte(tc.suppress), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			res, err := e.run(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			p, err := mailtest.ParseMessage(e.stdout.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			got := parsedGroups(t, p.Text)
			if len(got) != len(tc.want) {
				t.Fatalf("groups %v, want %v\n%s", got, tc.want, p.Text)
			}
			for _, k := range tc.want {
				if got[k] != 1 {
					t.Errorf("group %s count %d, want 1", k, got[k])
				}
			}
			if res.Alerts != int64(len(tc.want)) {
				t.Errorf("Result.Alerts = %d, want %d", res.Alerts, len(tc.want))
			}
			if h := p.Header.Get("X-Suricron-Alerts"); h != strconv.Itoa(len(tc.want)) {
				t.Errorf("X-Suricron-Alerts %q, want %d", h, len(tc.want))
			}
		})
	}
}

func TestGroupingSortingAndOverflow(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.FixedZone("", -6*3600))
	var as []alert
	// 4 groups: sev 3 ×50, sev 1 ×2, sev 2 ×7 (two ports), sev 2 ×9.
	for i := 0; i < 50; i++ {
		as = append(as, alert{ts: t0.Add(time.Duration(i) * time.Second), sid: 3000, sev: 3, src: "10.0.0.1", dst: "10.0.0.9", dport: 80})
	}
	for i := 0; i < 2; i++ {
		as = append(as, alert{ts: t0.Add(time.Duration(i) * time.Minute), sid: 1000, sev: 1, src: "10.0.0.2", dst: "2001:db8::9", dport: 443})
	}
	for i := 0; i < 7; i++ {
		as = append(as, alert{ts: t0.Add(-time.Duration(i) * time.Hour), sid: 2000, sev: 2, src: "10.0.0.3", dst: "10.0.0.9", dport: 22 + i%2})
	}
	for i := 0; i < 9; i++ {
		as = append(as, alert{ts: t0, sid: 2001, sev: 2, src: "10.0.0.4", dst: "10.0.0.9", dport: 22})
	}
	appendAlerts(t, e.eve, as...)
	cfg := e.config()
	cfg.DryRun = true
	cfg.MaxGroups = 2
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}
	p, err := mailtest.ParseMessage(e.stdout.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	sids, _ := sectionSIDs(p.Text)
	if len(sids) != 2 || sids[0] != "1000" || sids[1] != "2001" {
		t.Fatalf("sections %v, want sid 1000 then 2001 (severity, then count)\n%s", sids, p.Text)
	}
	// The signatures beyond --max-groups are still named, with counts.
	for _, want := range []string{"Other signatures (beyond the 2 above), by name and count:", "       50  1:3000 ", "        7  1:2000 "} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, p.Text)
		}
	}
	if !strings.Contains(p.HTML, "Other signatures (2), by name and count") {
		t.Errorf("others missing in HTML")
	}
	if got, want := p.Subject, "[suricron] sensor1.example: 68 alerts, 4 signatures (2 high)"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	if p.Header.Get("X-Suricron-Alerts") != "68" {
		t.Errorf("X-Suricron-Alerts %q", p.Header.Get("X-Suricron-Alerts"))
	}
	// Without the cap every group is listed and the counts add up.
	cfg.MaxGroups = 100
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}
	p, _ = mailtest.ParseMessage(e.stdout.Bytes())
	var sum int64
	for _, n := range parsedGroups(t, p.Text) {
		sum += n
	}
	if sum != int64(len(as)) {
		t.Errorf("group counts sum to %d, want %d", sum, len(as))
	}
	if !strings.Contains(p.Text, "22,23") {
		t.Errorf("ports of the sid 2000 group not listed as 22,23:\n%s", p.Text)
	}
	// first/last seen of sid 2000 span its 7 hours.
	if !strings.Contains(p.Text, "First seen: 2025-06-01 06:00:00 -0600\r\n   Last seen:  2025-06-01 12:00:00 -0600") {
		t.Errorf("first/last seen of sid 2000 wrong:\n%s", p.Text)
	}
}

func TestNothingNewSendsNothing(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	e := newEnv(t)
	appendLines(t, e.eve, []byte(`{"timestamp":"2025-06-01T12:00:00.000000+0000","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2"}`+"\n"))
	cfg := e.config()
	cfg.Mail.SMTP = srv.URL()
	res, err := e.run(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent || len(srv.Messages()) != 0 || srv.Connections() != 0 {
		t.Fatalf("sent %v, %d messages, %d connections; want no mail", res.Sent, len(srv.Messages()), srv.Connections())
	}
	// The flow line was consumed: the checkpoint moved past it.
	pos, _ := e.statePos(t)
	if fi, _ := os.Stat(e.eve); pos.Offset != fi.Size() {
		t.Errorf("checkpoint at %d, want %d", pos.Offset, fi.Size())
	}
}

func TestDryRunKeepsState(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	e := newEnv(t)
	appendAlerts(t, e.eve, alert{sid: 1, sev: 1, src: "10.0.0.1", dst: "10.0.0.2"})
	cfg := e.config()
	cfg.Mail.SMTP = srv.URL()
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(e.state, Consumer+".state.json"))
	appendAlerts(t, e.eve, alert{sid: 2, sev: 1, src: "10.0.0.1", dst: "10.0.0.2"})
	dry := cfg
	dry.DryRun = true
	res, err := e.run(t, dry)
	if err != nil {
		t.Fatal(err)
	}
	printed := append([]byte(nil), e.stdout.Bytes()...)
	after, _ := os.ReadFile(filepath.Join(e.state, Consumer+".state.json"))
	if string(before) != string(after) {
		t.Errorf("dry run changed the state file")
	}
	if len(srv.Messages()) != 1 {
		t.Errorf("dry run sent mail")
	}
	// The real run sends exactly the bytes the dry run printed (same clock).
	res2, err := e.run(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 2 || string(msgs[1].Data) != string(printed) {
		t.Errorf("sent message differs from the dry run:\n--- dry\n%s\n--- sent\n%s", printed, msgs[len(msgs)-1].Data)
	}
	if res.BatchID != res2.BatchID {
		t.Errorf("batch ids differ: dry %s, sent %s", res.BatchID, res2.BatchID)
	}
}

func TestHostileStrings(t *testing.T) {
	e := newEnv(t)
	sig := "EVIL\r\nBcc: victim@example.com\r\nX-Injected: 1 <script>alert(1)</script> \x1b[2J\x1b]0;pwned\x07 \u202eexe.txt"
	appendAlerts(t, e.eve, alert{sid: 666, sev: 1, sig: sig, cat: "<b>cat</b>\n", src: "10.0.0.1", dst: "10.0.0.2", dport: 80})
	cfg := e.config()
	cfg.DryRun = true
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}
	raw := e.stdout.Bytes()
	p, err := mailtest.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Header.Get("Bcc") != "" || p.Header.Get("X-Injected") != "" {
		t.Errorf("header injected: %v", p.Header)
	}
	head := string(raw[:strings.Index(string(raw), "\r\n\r\n")])
	if strings.Contains(head, "EVIL") || strings.Contains(head, "victim") {
		t.Errorf("signature reached the header block:\n%s", head)
	}
	if strings.Contains(p.HTML, "<script>") || strings.Contains(p.HTML, "<b>cat") {
		t.Errorf("markup not escaped in HTML")
	}
	if !strings.Contains(p.HTML, "&lt;script&gt;") {
		t.Errorf("escaped script tag not in HTML")
	}
	for name, body := range map[string]string{"text": p.Text, "html": p.HTML} {
		if strings.ContainsAny(body, "\x1b\x07\u202e") {
			t.Errorf("%s part carries terminal or bidi control characters", name)
		}
		if strings.Contains(body, "\r\nBcc") || strings.Contains(body, "\nBcc") {
			t.Errorf("%s part carries the raw line break", name)
		}
	}
	// The text part wraps signatures at spaces: compare word by word.
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if !strings.Contains(words(p.Text), words(`EVIL\r\nBcc: victim@example.com\r\nX-Injected: 1 <script>alert(1)</script> \x1b[2J\x1b]0;pwned\a \u202eexe.txt`)) {
		t.Errorf("text part does not show the neutralised signature:\n%s", p.Text)
	}
}

func TestBadLinesAreCountedAndReported(t *testing.T) {
	e := newEnv(t)
	appendAlerts(t, e.eve, alert{sid: 1, sev: 2, src: "10.0.0.1", dst: "10.0.0.2"})
	appendLines(t, e.eve, []byte("{not json\n"), []byte(`{"event_type":"alert","src_ip":"nonsense","alert":{"signature_id":5}}`+"\n"))
	appendAlerts(t, e.eve, alert{sid: 1, sev: 2, src: "10.0.0.1", dst: "10.0.0.2"})
	cfg := e.config()
	cfg.DryRun = true
	res, err := e.run(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.BadLines != 2 || res.Alerts != 2 {
		t.Errorf("bad lines %d alerts %d, want 2 and 2", res.BadLines, res.Alerts)
	}
	p, _ := mailtest.ParseMessage(e.stdout.Bytes())
	if !strings.Contains(p.Text, "2 lines of eve.json could not be read and were skipped.") {
		t.Errorf("mail does not mention the skipped lines:\n%s", p.Text)
	}
}

func TestConfigErrors(t *testing.T) {
	e := newEnv(t)
	for name, mod := range map[string]func(*Config){
		"bad regex":      func(c *Config) { c.Match = "(" },
		"bad severity":   func(c *Config) { c.MinSeverity = -1 },
		"bad sid":        func(c *Config) { c.SIDs = []int64{0} },
		"bad link":       func(c *Config) { c.LinkTemplate = "ftp://x/{sid}" },
		"bad to":         func(c *Config) { c.Mail.To = []string{"not an address"} },
		"bad smtp url":   func(c *Config) { c.Mail.SMTP = "http://x" },
		"missing pwfile": func(c *Config) { c.Mail.Username = "u"; c.Mail.PasswordFile = filepath.Join(e.dir, "nope") },
		"missing supp":   func(c *Config) { c.SuppressFile = filepath.Join(e.dir, "nope") },
		"bad start":      func(c *Config) { c.Start = "middle" },
	} {
		cfg := e.config()
		mod(&cfg)
		_, err := e.run(t, cfg)
		if got := cli.ExitCode(err); got != exitcode.ExitUsage {
			t.Errorf("%s: exit %d (%v), want %d", name, got, err, exitcode.ExitUsage)
		}
	}
}

func TestCorruptStateExits65(t *testing.T) {
	e := newEnv(t)
	if err := os.MkdirAll(e.state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.state, Consumer+".state.json"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := e.run(t, e.config())
	if got := cli.ExitCode(err); got != exitcode.ExitData {
		t.Fatalf("exit %d (%v), want %d", got, err, exitcode.ExitData)
	}
	cfg := e.config()
	cfg.ResetState = true
	cfg.DryRun = true
	appendAlerts(t, e.eve, alert{sid: 1, sev: 1, src: "10.0.0.1", dst: "10.0.0.2"})
	if _, err := e.run(t, cfg); err != nil {
		t.Fatalf("--reset-state did not recover: %v", err)
	}
}

func TestInterruptedRunCommitsNothing(t *testing.T) {
	e := newEnv(t)
	appendAlerts(t, e.eve, alert{sid: 1, sev: 1, src: "10.0.0.1", dst: "10.0.0.2"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := run(ctx, e.config(), e.deps())
	if err == nil {
		t.Fatal("cancelled run succeeded")
	}
	if pos, pend := e.statePos(t); pos.Offset != 0 || pend != nil {
		t.Errorf("cancelled run wrote state: %+v %+v", pos, pend)
	}
}
