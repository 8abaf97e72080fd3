package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/mail"
	"github.com/suricron/suricron/internal/mail/mailtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// hostileSig carries a terminal colour sequence, an OSC title sequence, a
// C1 CSI, HTML and markdown metacharacters: text must neutralise the first
// three, HTML and markdown must escape the rest.
const hostileSig = "ET TEST \x1b[31mred\x1b[0m \x1b]0;owned\x07 \u009b2J <script>alert(1)</script> | *x*"

func ts(day, hm string) string { return "2026-11-" + day + "T" + hm + ":00.000000+0000" }

func alertLine(at string, sid int, sev int, sig, src string, sport int, dst string, dport int) string {
	b, _ := json.Marshal(sig)
	return fmt.Sprintf(`{"timestamp":%q,"flow_id":1,"event_type":"alert","src_ip":%q,"src_port":%d,"dest_ip":%q,"dest_port":%d,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":%d,"rev":1,"signature":%s,"category":"Test","severity":%d}}`,
		at, src, sport, dst, dport, sid, b, sev)
}

func flowLine(at, proto, src string, sport int, dst string, dport int, toServer, toClient int64) string {
	return fmt.Sprintf(`{"timestamp":%q,"flow_id":2,"event_type":"flow","src_ip":%q,"src_port":%d,"dest_ip":%q,"dest_port":%d,"proto":%q,"flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":%d,"bytes_toclient":%d,"start":%q,"end":%q,"state":"closed","reason":"timeout","alerted":false}}`,
		at, src, sport, dst, dport, proto, toServer, toClient, at, at)
}

func statsLine(at string, uptime, packets, drops int64) string {
	return fmt.Sprintf(`{"timestamp":%q,"event_type":"stats","stats":{"uptime":%d,"capture":{"kernel_packets":%d,"kernel_drops":%d,"errors":0},"decoder":{"pkts":%d}}}`,
		at, uptime, packets, drops, packets-drops)
}

// fixtureWeek is a small hand-made log: week 2026-W45 (the baseline and
// previous week) and 2026-W46 (the report) with a new signature, an unusual
// port, a new host, a restart, a drop burst, a record without uptime and a
// hostile signature.
func fixtureWeek() []string {
	var l []string
	// W45: baseline.
	for i := range 3 {
		l = append(l, alertLine(ts("03", fmt.Sprintf("10:0%d", i)), 1000001, 2, "ET POLICY Test baseline", "203.0.113.9", 40000+i, "192.168.1.20", 22))
	}
	l = append(l,
		flowLine(ts("03", "11:00"), "TCP", "192.168.1.10", 50000, "93.184.216.34", 443, 500, 4000),
		flowLine(ts("03", "11:05"), "TCP", "192.168.1.10", 50001, "192.168.1.20", 8443, 300, 900),
		// Uptime runs with the wall clock from 50,000 s at 03 00:00.
		statsLine(ts("03", "00:00"), 50000, 100000, 0),
		statsLine(ts("08", "23:00"), 50000+514800, 900000, 0),
	)
	// W46.
	for i := range 5 {
		l = append(l, alertLine(ts("09", fmt.Sprintf("09:1%d", i)), 1000001, 2, "ET POLICY Test baseline", "203.0.113.9", 41000+i, "192.168.1.20", 22))
	}
	l = append(l,
		alertLine(ts("10", "08:00"), 2000002, 1, hostileSig, "198.51.100.7", 6667, "192.168.1.20", 51000),
		alertLine(ts("10", "08:01"), 2000002, 1, hostileSig, "198.51.100.7", 6667, "192.168.1.20", 51001),
		flowLine(ts("09", "12:00"), "UDP", "192.168.1.10", 53000, "8.8.8.8", 53, 70, 120),
		flowLine(ts("09", "12:01"), "TCP", "203.0.113.5", 44000, "192.168.1.20", 22, 3000, 5000),
		flowLine(ts("10", "08:00"), "TCP", "192.168.1.20", 51000, "198.51.100.7", 6667, 1200, 64000),
		flowLine(ts("10", "08:02"), "TCP", "192.168.1.30", 52000, "192.168.1.20", 8443, 400, 1000),
		flowLine(ts("11", "13:00"), "TCP", "192.168.1.30", 52001, "192.168.1.20", 31337, 100, 0),
		flowLine(ts("11", "13:01"), "IPv6-ICMP", "fd00::1", 0, "ff02::1", 0, 64, 0),
		// Stats: a drop burst on the 10th, a restart on the 11th, a
		// record without uptime on the 12th.
		statsLine(ts("09", "00:00"), 50000+518400, 905000, 0),
		statsLine(ts("09", "12:00"), 50000+561600, 1005000, 100),
		statsLine(ts("10", "12:00"), 50000+648000, 1205000, 10100),
		statsLine(ts("11", "06:00"), 50000+712800, 1305000, 10200),
		statsLine(ts("11", "07:00"), 1800, 20000, 10),
		`{"timestamp":"2026-11-12T00:00:00.000000+0000","event_type":"stats","stats":{"capture":{"kernel_packets":1,"kernel_drops":1}}}`,
		statsLine(ts("12", "07:00"), 1800+86400, 120000, 20),
		`{"timestamp":"2026-11-12T08:00:00.000000+0000","event_type":"dns","dns":{"type":"query"}}`,
		`{"timestamp":"2026-11-12T08:00:01.000000+0000","event_type":"flow",`,
	)
	return l
}

func writeFixture(t *testing.T, lines []string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "eve.json")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var fixedNow = time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC)

func runFixture(t *testing.T, format string) []byte {
	t.Helper()
	p := writeFixture(t, fixtureWeek())
	var out bytes.Buffer
	err := Run(context.Background(), Config{Files: []string{p}, Week: "2026-W46", Format: format, Location: time.UTC},
		Deps{Now: func() time.Time { return fixedNow }, Hostname: "sensor1", Stdout: &out})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct{ format, file string }{
		{"text", "week.txt"}, {"markdown", "week.md"}, {"json", "week.json"}, {"html", "week.html"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			got := runFixture(t, tc.format)
			if tc.format == "text" {
				assertNarrow(t, string(got))
			}
			golden(t, tc.file, got)
		})
	}
}

// The fixture's figures, asserted on the JSON independently of the golden
// files so that an -update cannot bless a wrong number.
func TestFixtureFigures(t *testing.T) {
	var r Report
	if err := json.Unmarshal(runFixture(t, "json"), &r); err != nil {
		t.Fatal(err)
	}
	if r.Alerts.Total != 7 || r.Alerts.Previous != 3 || r.Alerts.BySeverity["1"] != 2 || r.Alerts.BySeverity["2"] != 5 {
		t.Errorf("alerts %+v", r.Alerts)
	}
	if len(r.Alerts.NewSignatures) != 1 || r.Alerts.NewSignatures[0].SID != 2000002 {
		t.Errorf("new signatures %+v, want only 2000002", r.Alerts.NewSignatures)
	}
	if s := r.Alerts.Signatures[0]; s.SID != 1000001 || s.Count != 5 || s.Previous != 3 {
		t.Errorf("top signature %+v", s)
	}
	// 6667 out (flow + both alerts, reversed to the server port) and
	// 31337 local are unusual; 8443 was learned in W45, 22/53 expected.
	var ports []string
	for _, p := range r.UnusualPorts {
		ports = append(ports, fmt.Sprintf("%s/%d %s %d/%d", p.Proto, p.Port, p.Dir, p.Flows, p.Alerts))
	}
	if diff := cmp.Diff([]string{"tcp/6667 out 1/2", "tcp/31337 local 1/0"}, ports); diff != "" {
		t.Errorf("unusual ports (-want +got):\n%s", diff)
	}
	// Packets: 5,000+100,000+200,000+100,000 before the restart, 20,000
	// (the new value) + 100,000 after; drops 100+10,000+100, then 10+10.
	// The record without uptime is skipped.
	c := r.Capture
	if c.KernelPackets != 525000 || c.KernelDrops != 10220 || c.Restarts != 1 {
		t.Errorf("capture %d packets, %d drops, %d restarts; want 525000, 10220, 1", c.KernelPackets, c.KernelDrops, c.Restarts)
	}
	if c.Worst == nil || c.Worst.Drops != 10000 || c.Worst.Packets != 200000 {
		t.Errorf("worst interval %+v, want 10000 of 200000", c.Worst)
	}
	if diff := cmp.Diff([]string{"192.168.1.30", "fd00::1"}, r.NewHosts); diff != "" {
		t.Errorf("new hosts (-want +got):\n%s", diff)
	}
	var notes = strings.Join(r.Notes, "\n")
	for _, want := range []string{"1 undecodable line skipped", "restarted 1 time;", "1 stats record lacked", "above Suricata's 1 % guidance"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if r.Hosts[0].IP != "192.168.1.20" || !cmp.Equal(r.Hosts[0].Services[:2], []string{"tcp/22", "tcp/8443"}) {
		t.Errorf("first host %+v", r.Hosts[0])
	}
}

func TestTextIsSafeAndNarrow(t *testing.T) {
	for _, format := range []string{"text", "markdown"} {
		out := runFixture(t, format)
		if i := bytes.IndexFunc(out, func(r rune) bool { return (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) }); i >= 0 {
			t.Errorf("%s output has control character %q at %d", format, out[i], i)
		}
		if format != "text" {
			continue
		}
		for i, l := range strings.Split(string(out), "\n") {
			if n := utf8.RuneCountInString(l); n > Width {
				t.Errorf("line %d is %d columns: %s", i+1, n, l)
			}
		}
		if !bytes.Contains(out, []byte(`\x1b[31mred`)) {
			t.Errorf("escape sequence not shown as text")
		}
	}
	html := runFixture(t, "html")
	if bytes.Contains(html, []byte("<script>")) || !bytes.Contains(html, []byte("&lt;script&gt;")) {
		t.Errorf("HTML does not escape the signature")
	}
	if bytes.Contains(html, []byte("\x1b")) {
		t.Errorf("HTML carries a raw ESC")
	}
}

func TestEmptyWeekSaysSo(t *testing.T) {
	p := writeFixture(t, fixtureWeek())
	for _, format := range []string{"text", "json"} {
		var out bytes.Buffer
		err := Run(context.Background(), Config{Files: []string{p}, Week: "2026-W40", Format: format, Location: time.UTC},
			Deps{Now: func() time.Time { return fixedNow }, Hostname: "sensor1", Stdout: &out})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		s := out.String()
		if format == "text" {
			if !strings.Contains(s, "No data for this period") || strings.Count(s, "none") < 6 {
				t.Errorf("empty text report:\n%s", s)
			}
			continue
		}
		var r Report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if !r.NoData || r.Alerts.Total != 0 || r.UnusualPorts == nil || r.Hosts == nil || len(r.Capture.Days) != 7 {
			t.Errorf("empty JSON report: %s", s)
		}
	}
}

func TestCorruptAggregateExits65(t *testing.T) {
	state := t.TempDir()
	st := NewStore(state)
	if err := st.WriteDay(newDay("2026-11-10")); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(state, "weekly-report", "days", "2026-11-11.json.gz")
	if err := os.WriteFile(bad, []byte("not gzip"), 0o600); err != nil {
		t.Fatal(err)
	}
	eve := writeFixture(t, nil)
	err := Run(context.Background(), Config{Eve: eve, StateDir: state, Week: "2026-W46", Location: time.UTC},
		Deps{Now: func() time.Time { return fixedNow }, Hostname: "s", Stdout: &bytes.Buffer{}})
	if cli.ExitCode(err) != exitcode.ExitData || err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("err = %v (exit %d), want exit 65 naming %s", err, cli.ExitCode(err), bad)
	}
}

func TestMailHasChartsAndSubject(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	sender, err := mail.NewSender(mail.Config{SMTP: "smtp://" + srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	p := writeFixture(t, fixtureWeek())
	var out bytes.Buffer
	err = Run(context.Background(), Config{Files: []string{p}, Week: "2026-W46", Mail: true, To: []string{"ops@example.org"},
		From: "suricron@sensor1.example", Location: time.UTC},
		Deps{Now: func() time.Time { return fixedNow }, Hostname: "sensor1", Stdout: &out, Sender: sender})
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("--mail printed %d bytes", out.Len())
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	checkReportMail(t, msgs[0].Data)
}

// checkReportMail is shared with the real-postfix test.
func checkReportMail(t *testing.T, raw []byte) {
	t.Helper()
	m, err := mailtest.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "[suricron] weekly report sensor1 2026-W46" {
		t.Errorf("subject %q", m.Subject)
	}
	if len(m.Inline) != 2 {
		t.Fatalf("%d inline parts, want 2 charts", len(m.Inline))
	}
	for _, part := range m.Inline {
		if part.ContentType != "image/png" || !strings.Contains(m.HTML, "cid:"+part.ContentID) {
			t.Errorf("part %s (%s) not an image referenced by the HTML", part.ContentID, part.ContentType)
		}
		img, err := png.Decode(bytes.NewReader(part.Data))
		if err != nil {
			t.Errorf("part %s: %v", part.ContentID, err)
			continue
		}
		if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 100 {
			t.Errorf("part %s: %v too small", part.ContentID, b)
		}
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.Text, "1. Alert summary") {
		t.Errorf("mail bodies: HTML escapes or text part missing")
	}
}

func TestMailServerDownIsTempFail(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{DataReply: 451})
	sender, err := mail.NewSender(mail.Config{SMTP: "smtp://" + srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	p := writeFixture(t, fixtureWeek())
	err = Run(context.Background(), Config{Files: []string{p}, Week: "2026-W46", Mail: true, To: []string{"ops@example.org"},
		From: "suricron@sensor1.example", Location: time.UTC},
		Deps{Now: func() time.Time { return fixedNow }, Hostname: "sensor1", Sender: sender})
	if cli.ExitCode(err) != exitcode.ExitTempFail {
		t.Fatalf("err = %v, want exit 75", err)
	}
	var de *mail.DeliveryError
	if !errors.As(err, &de) {
		t.Errorf("err %v is not a delivery error", err)
	}
}
