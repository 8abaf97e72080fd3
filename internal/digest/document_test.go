package digest

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/eve"
	"github.com/suricron/suricron/internal/mail/mailtest"
)

// lastText returns the text part of the newest mail the server received.
func lastText(t *testing.T, srv *mailtest.Server) *mailtest.Parsed {
	t.Helper()
	msgs := srv.Messages()
	if len(msgs) == 0 {
		t.Fatal("no mail")
	}
	p, err := msgs[len(msgs)-1].Parse()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue 16: new signatures (never delivered before on this sensor, kept in
// the state dir) and fresh rules (added or changed by the last
// rules-update, from its JSON report) are named in the summary and marked
// in their sections.
func TestNewSignaturesAndFreshRules(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	e := newEnv(t)
	cfg := e.config()
	cfg.Mail.SMTP = srv.URL()
	appendAlerts(t, e.eve, alert{sid: 1001, sig: "ET SCAN old one", sev: 2, src: "10.0.0.1", dst: "10.0.0.2", dport: 22})
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}
	if p := lastText(t, srv); !strings.Contains(strings.Join(strings.Fields(p.Text), " "), "signatures are marked NEW from the next digest on") || strings.Contains(p.Text, "| NEW") {
		t.Errorf("first digest: want the baseline note and no NEW marks:\n%s", p.Text)
	}
	// rules-update's report (--report-format json) saved where
	// alert-digest looks by default.
	report := `{"rules_total":3,"added":1,"modified":1,"sids":{"added":["1:1003"],"modified":["1:1001"],"removed":[]}}`
	if err := os.WriteFile(filepath.Join(e.state, rulesReportFile), []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	appendAlerts(t, e.eve,
		alert{sid: 1001, sig: "ET SCAN old one", sev: 2, src: "10.0.0.1", dst: "10.0.0.2", dport: 22},
		alert{sid: 1002, sig: "ET MALWARE brand new", sev: 2, src: "10.0.0.3", dst: "10.0.0.4", dport: 443},
		alert{sid: 1003, sig: "ET EXPLOIT new and fresh", sev: 2, src: "10.0.0.3", dst: "10.0.0.4", dport: 443},
	)
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}
	p := lastText(t, srv)
	for _, want := range []string{
		"New:         2 signatures never seen before on this sensor",
		"Fresh rules: 2 signatures from rules the last rules-update added or changed",
		"1:1002        ET MALWARE brand new [NEW]",
		"1:1003        ET EXPLOIT new and fresh [NEW, fresh rule]",
		"1:1001        ET SCAN old one [fresh rule]",
		// Severity, then new, then count, then sid: fresh is a mark only.
		"## 1. sid 1:1002 rev 1 | 1 alert | severity 2 medium | NEW\r\n",
		"## 2. sid 1:1003 rev 1 | 1 alert | severity 2 medium | NEW | fresh rule",
		"## 3. sid 1:1001 rev 1 | 1 alert | severity 2 medium | fresh rule",
	} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, p.Text)
		}
	}
	// Delivered once, not new any more.
	appendAlerts(t, e.eve, alert{sid: 1002, sig: "ET MALWARE brand new", sev: 2, src: "10.0.0.3", dst: "10.0.0.4", dport: 443})
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}
	if p := lastText(t, srv); strings.Contains(p.Text, "NEW") {
		t.Errorf("third digest still marks a delivered signature NEW:\n%s", p.Text)
	}
}

// A dry run or a failed delivery does not record signatures as known.
func TestDryRunRecordsNoSignatures(t *testing.T) {
	e := newEnv(t)
	appendAlerts(t, e.eve, alert{sid: 1001, sev: 2, src: "10.0.0.1", dst: "10.0.0.2", dport: 22})
	cfg := e.config()
	cfg.DryRun = true
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(e.state, knownFile)); !os.IsNotExist(err) {
		t.Errorf("dry run wrote %s: %v", knownFile, err)
	}
}

// Issue 16: a scanner signature firing from 2,000 sources is one section,
// not 2,000 rows, it leads the summary's top list (although 14 severity-1
// signatures come before its section), and with --max-groups 20 every one
// of the 41 signatures is still named with its count.
func TestScannerBacklog(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var lines [][]byte
	for i := 0; i < 2000; i++ {
		lines = append(lines, alert{ts: t0.Add(time.Duration(i) * time.Second), sid: 2001219, sev: 2,
			sig: "ET SCAN Potential SSH Scan", src: fmt.Sprintf("198.%d.%d.%d", 18+i/65536, i/256%256, i%256),
			dst: "10.0.0.5", dport: 22}.line(t))
	}
	// One source scans four times: the top pair.
	for i := 0; i < 4; i++ {
		lines = append(lines, alert{ts: t0, sid: 2001219, sev: 2, sig: "ET SCAN Potential SSH Scan", src: "203.0.113.66", dst: "10.0.0.5", dport: 2222}.line(t))
	}
	for s := 0; s < 40; s++ {
		for i := 0; i <= s%5; i++ {
			lines = append(lines, alert{ts: t0.Add(time.Duration(s) * time.Minute), sid: int64(3000 + s), sev: 1 + s%3,
				sig: fmt.Sprintf("ET POLICY other signature number %d with a rather long name that wraps", s),
				src: "10.0.1.1", dst: fmt.Sprintf("192.0.2.%d", s)}.line(t))
		}
	}
	appendLines(t, e.eve, lines...)
	cfg := e.config()
	cfg.DryRun = true
	cfg.MaxGroups = 20
	res, err := e.run(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := mailtest.ParseMessage(e.stdout.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	checkText(t, p.Text)
	top := p.Text[strings.Index(p.Text, "Top signatures by alerts:"):]
	if !strings.HasPrefix(strings.SplitN(top, "\r\n", 3)[1], "    2,004  1:2001219     ET SCAN Potential SSH Scan") {
		t.Errorf("the scanner does not lead the top list:\n%s", top)
	}
	listed := listedSIDs(p.Text)
	if len(listed) != 41 {
		t.Errorf("%d signatures named, want 41:\n%s", len(listed), p.Text)
	}
	var sum int64
	for _, n := range listed {
		sum += n
	}
	if sum != res.Alerts || res.Alerts != int64(len(lines)) {
		t.Errorf("named counts sum to %d, digest %d, lines %d", sum, res.Alerts, len(lines))
	}
	if listed["2001219"] != 2004 {
		t.Errorf("scanner count %d, want 2004", listed["2001219"])
	}
	for _, want := range []string{"## 15. sid 1:2001219 rev 1 | 2,004 alerts | severity 2 medium", "Sources: 2,001, destinations: 1", "           4  203.0.113.66 -> 10.0.0.5  port 2222", "and 1,996 more pairs"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("scanner section lacks %q:\n%s", want, p.Text)
		}
	}
	if n := strings.Count(p.Text, "\n## "); n != 20 {
		t.Errorf("%d sections, want 20 (--max-groups)", n)
	}
}

// Issue 16: every text line is at most 78 columns whatever the data: long
// words, wide characters, IPv6 pairs, hostile context values.
func TestTextWidthHostileData(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("x", 200)
	sigs := []string{long, strings.Repeat("漢字", 60), "a " + long + " b", strings.Repeat("word ", 100), "\x1b[31m" + strings.Repeat("\u202e", 50)}
	var lines [][]byte
	for i, s := range sigs {
		l := alert{sid: int64(100 + i), sev: 1, sig: s, cat: long, src: "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", dst: "2001:db8:1111:2222:3333:4444:5555:6666", dport: 65535}.line(t)
		l = []byte(strings.Replace(string(l), `"proto":"TCP"`, `"proto":"TCP","app_proto":"http","http":{"hostname":"`+long+`","url":"/`+strings.Repeat("%41", 80)+`"},"tls":{"sni":"`+long+`"},"dns":{"rrname":"`+strings.Repeat("漢.", 90)+`"}`, 1))
		lines = append(lines, l)
	}
	appendLines(t, e.eve, lines...)
	cfg := e.config()
	cfg.DryRun = true
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}
	p, err := mailtest.ParseMessage(e.stdout.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	checkText(t, p.Text)
	// Addresses are never cut.
	for _, a := range []string{"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff ->", "2001:db8:1111:2222:3333:4444:5555:6666  port 65535"} {
		if !strings.Contains(p.Text, a) {
			t.Errorf("address line %q missing or cut:\n%s", a, p.Text)
		}
	}
	if !strings.Contains(p.Text, "http: "+strings.Repeat("x", 40)) || !strings.Contains(p.Text, "tls.sni: ") || !strings.Contains(p.Text, "dns.rrname: ") {
		t.Errorf("context missing:\n%s", p.Text)
	}
}

// The Document's completeness promise: every alert's signature is in a
// section or in Others.
func TestDocumentCompleteness(t *testing.T) {
	ag := newAggregator()
	e := newEnv(t)
	for i := 0; i < 300; i++ {
		appendAlerts(t, e.eve, alert{sid: int64(1 + i%37), sev: i % 4, src: "10.0.0.1", dst: fmt.Sprintf("10.0.%d.1", i%11)})
	}
	cfg := e.config()
	cfg.DryRun = true
	cfg.MaxGroups = 5
	set, err := cfg.compile(testNow, testHost, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(e.eve)
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		ev := mustParse(t, l)
		ag.add(ev)
	}
	d := buildDocument(ag, set, testHost, "b", &knownSigs{set: map[sigKey]bool{}, baseline: true}, nil, nil)
	var sum int64
	var sids []int64
	for _, s := range d.Sections {
		sum += s.Count
		sids = append(sids, s.SID)
	}
	for _, o := range d.Others {
		sum += o.Count
		sids = append(sids, o.SID)
	}
	slices.Sort(sids)
	if sum != 300 || d.Alerts != 300 || len(sids) != 37 || len(slices.Compact(sids)) != 37 || len(d.Sections) != 5 {
		t.Errorf("sum %d alerts %d sids %d sections %d", sum, d.Alerts, len(sids), len(d.Sections))
	}
	if d.High+d.Medium+d.Low+d.Other != d.Alerts {
		t.Errorf("severity split %d+%d+%d+%d != %d", d.High, d.Medium, d.Low, d.Other, d.Alerts)
	}
}

func mustParse(t *testing.T, line string) *eve.AlertFields {
	t.Helper()
	var a eve.AlertFields
	if err := eve.ParseAlertFields([]byte(line), &a); err != nil {
		t.Fatal(err)
	}
	return &a
}

// Issue 16: the HTML part stays under 100 KB however many signatures a
// backlog has (Gmail clips above ~102 KB), while the text part still names
// every one.
func TestHTMLSizeBounded(t *testing.T) {
	e := newEnv(t)
	var lines [][]byte
	for i := 0; i < 3000; i++ {
		lines = append(lines, alert{sid: int64(100000 + i), sev: 1 + i%3,
			sig: fmt.Sprintf("ET TEST signature %d with a name as long as many real ones are in ET Open", i),
			src: fmt.Sprintf("10.%d.%d.1", i/256, i%256), dst: "192.0.2.1", dport: 80}.line(t))
	}
	appendLines(t, e.eve, lines...)
	cfg := e.config()
	cfg.DryRun = true
	res, err := e.run(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := mailtest.ParseMessage(e.stdout.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.HTML) >= 100_000 {
		t.Errorf("HTML part %d bytes, want < 100 KB", len(p.HTML))
	}
	if !strings.Contains(p.HTML, "listed in the text part of this mail") {
		t.Errorf("HTML does not say where the rest is listed")
	}
	if n := len(listedSIDs(p.Text)); n != 3000 || res.Alerts != 3000 {
		t.Errorf("text part names %d signatures, want 3000", n)
	}
}
