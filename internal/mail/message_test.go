package mail

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/suricron/suricron/internal/mail/mailtest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var testDate = time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)

// tinyPNG is a real 2x2 PNG, like weekly-report's charts but small.
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	img.Set(1, 1, color.RGBA{B: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func digestMessage() *Message {
	return &Message{
		From:    "Suricron <alerts@sensor.test>",
		To:      []string{"soc@example.org", "Jörg Müller <joerg@example.org>"},
		Subject: "[suricron] sensor1: 12 alerts, 3 signatures (2 high)",
		Headers: []Header{{"X-Suricron-Alerts", "12"}, {"X-Suricron-Batch", "20261123T060000Z-1a2b3c"}},
		Text: "count  sid      signature  src -> dst\n" +
			"    7  2010935  ET SCAN Suspicious inbound to MSSQL port 1433  203.0.113.9 -> 10.0.0.5\n" +
			".\n" + // a lone dot must survive SMTP
			"Grüße\n",
		HTML: "<html><body><table><tr><td>7</td><td>2010935</td></tr></table></body></html>\n",
		Date: testDate,
		Host: "sensor1.example.org",
	}
}

func TestBuildGolden(t *testing.T) {
	png := tinyPNG(t)
	tests := []struct {
		name string
		msg  func() *Message
	}{
		{"text_only", func() *Message {
			m := digestMessage()
			m.HTML = ""
			return m
		}},
		{"html_only", func() *Message {
			m := digestMessage()
			m.Text = ""
			return m
		}},
		{"digest_alternative", digestMessage},
		{"report_inline_charts", func() *Message {
			m := digestMessage()
			m.Subject = "[suricron] weekly report 2026-W47 – sensor1 ✓"
			m.HTML = `<p>Alerts per day</p><img src="cid:alerts-per-day@suricron"><img src="cid:drops@suricron">`
			m.Inline = []Part{
				{ContentID: "alerts-per-day@suricron", Filename: "alerts-per-day.png", ContentType: "image/png", Data: png},
				{ContentID: "drops@suricron", Filename: "drop-ratio.png", ContentType: "image/png", Data: png},
			}
			return m
		}},
		{"report_with_attachment", func() *Message {
			m := digestMessage()
			m.HTML = `<img src="cid:c1">`
			m.Inline = []Part{{ContentID: "c1", Filename: "c1.png", ContentType: "image/png", Data: png}}
			m.Attachments = []Part{{Filename: "rapport-é.json", ContentType: "application/json", Data: []byte(`{"alerts":{"total":12}}`)}}
			return m
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Build(tc.msg())
			if err != nil {
				t.Fatal(err)
			}
			again, err := Build(tc.msg())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, again) {
				t.Fatalf("Build is not deterministic:\n%s\n---\n%s", got, again)
			}
			checkWireFormat(t, got)
			golden := filepath.Join("testdata", tc.name+".eml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("message differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// checkWireFormat asserts the SMTP-level rules every built message keeps.
func checkWireFormat(t testing.TB, raw []byte) {
	t.Helper()
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		t.Error("message does not end with CRLF")
	}
	for i, c := range raw {
		if c >= 0x80 || (c < ' ' && c != '\r' && c != '\n' && c != '\t') {
			t.Errorf("byte %d is %#x: the message must be 7-bit text", i, c)
			break
		}
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("bare LF in message")
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Error("bare CR in message")
	}
	hdr, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for _, line := range strings.Split(string(hdr), "\r\n") {
		if len(line) > 78 && foldable(line) {
			t.Errorf("header line longer than 78 could have been folded: %q", line)
		}
	}
}

// foldable reports whether a header line holds more than one token after
// its field name, i.e. whether a fold was possible.
func foldable(line string) bool {
	f := strings.Fields(line)
	if len(f) > 0 && strings.HasSuffix(f[0], ":") {
		f = f[1:]
	}
	return len(f) > 1
}

func TestBuildRoundTrip(t *testing.T) {
	pngData := tinyPNG(t)
	m := digestMessage()
	m.Subject = "[suricron] sensor1: 3 alerts – 1 signature (1 high) — a subject long enough to need folding twice over, with ünïcödé"
	m.HTML = `<img src="cid:alerts-per-day@suricron">`
	m.Inline = []Part{{ContentID: "alerts-per-day@suricron", Filename: "alerts.png", ContentType: "image/png", Data: pngData}}
	raw, err := Build(m)
	if err != nil {
		t.Fatal(err)
	}
	p, err := mailtest.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != m.Subject {
		t.Errorf("subject: got %q, want %q", p.Subject, m.Subject)
	}
	if got := p.Header.Get("X-Suricron-Batch"); got != "20261123T060000Z-1a2b3c" {
		t.Errorf("X-Suricron-Batch = %q", got)
	}
	wantText := strings.ReplaceAll(m.Text, "\n", "\r\n")
	if p.Text != wantText {
		t.Errorf("text: got %q, want %q", p.Text, wantText)
	}
	if p.HTML != m.HTML {
		t.Errorf("html: got %q, want %q", p.HTML, m.HTML)
	}
	wantStruct := []string{"multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"}
	if diff := cmp.Diff(wantStruct, p.Structure); diff != "" {
		t.Errorf("MIME structure (-want +got):\n%s", diff)
	}
	if len(p.Inline) != 1 || p.Inline[0].ContentID != "alerts-per-day@suricron" || !bytes.Equal(p.Inline[0].Data, pngData) {
		t.Errorf("inline parts: %+v", p.Inline)
	}
	if _, err := png.Decode(bytes.NewReader(p.Inline[0].Data)); err != nil {
		t.Errorf("inline PNG does not decode: %v", err)
	}
	addrs, err := p.Header.AddressList("To")
	if err != nil || len(addrs) != 2 || addrs[1].Name != "Jörg Müller" || addrs[1].Address != "joerg@example.org" {
		t.Errorf("To: %v, %v", addrs, err)
	}
	if got := p.Header.Get("Message-Id"); !strings.HasSuffix(got, "@sensor1.example.org>") || !strings.HasPrefix(got, "<20261123060000.") {
		t.Errorf("Message-ID = %q", got)
	}
	if got := p.Header.Get("Date"); got != "Mon, 23 Nov 2026 06:00:00 +0000" {
		t.Errorf("Date = %q", got)
	}
}

func TestBuildDistinctMessageIDs(t *testing.T) {
	a := digestMessage()
	b := digestMessage()
	b.Headers[1].Value = "another-batch"
	c := digestMessage()
	c.Date = testDate.Add(time.Second)
	ids := map[string]bool{}
	for _, m := range []*Message{a, b, c} {
		raw, err := Build(m)
		if err != nil {
			t.Fatal(err)
		}
		p, err := mailtest.ParseMessage(raw)
		if err != nil {
			t.Fatal(err)
		}
		ids[p.Header.Get("Message-Id")] = true
	}
	if len(ids) != 3 {
		t.Errorf("want 3 distinct Message-IDs, got %v", ids)
	}
}

func TestBuildRejects(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Message)
		want   string
	}{
		{"CRLF in subject", func(m *Message) { m.Subject = "hi\r\nBcc: victim@example.com" }, "header injection"},
		{"LF in subject", func(m *Message) { m.Subject = "hi\nBcc: victim@example.com" }, "header injection"},
		{"CR in subject", func(m *Message) { m.Subject = "hi\rX: y" }, "header injection"},
		{"NUL in subject", func(m *Message) { m.Subject = "a\x00b" }, "header injection"},
		{"CRLF in header value", func(m *Message) { m.Headers[0].Value = "1\r\nBcc: v@example.com" }, "header injection"},
		{"CRLF in header name", func(m *Message) { m.Headers[0].Name = "X-A\r\nBcc" }, "header injection"},
		{"colon in header name", func(m *Message) { m.Headers[0].Name = "X-A: b" }, "header injection"},
		{"empty header name", func(m *Message) { m.Headers[0].Name = "" }, "empty"},
		{"reserved header", func(m *Message) { m.Headers[0].Name = "bcc" }, "set by the message builder"},
		{"reserved content-type", func(m *Message) { m.Headers[0].Name = "Content-Type" }, "set by the message builder"},
		{"CRLF in From", func(m *Message) { m.From = "a@sensor.test\r\nBcc: v@example.com" }, "header injection"},
		{"CRLF in To display name", func(m *Message) { m.To[0] = "\"Eve\r\nBcc: v@example.com\" <e@example.com>" }, "header injection"},
		{"folding in To", func(m *Message) { m.To[0] = "soc@example.org\r\n (comment)" }, "header injection"},
		{"two addresses in one To", func(m *Message) { m.To[0] = "a@example.org, b@example.org" }, "To address"},
		{"no To", func(m *Message) { m.To = nil }, "no To"},
		{"bad From", func(m *Message) { m.From = "not an address" }, "From address"},
		{"non-ASCII address", func(m *Message) { m.To[0] = "jörg@example.org" }, "non-ASCII"},
		{"no body", func(m *Message) { m.Text, m.HTML = "", "" }, "no text or HTML"},
		{"inline without HTML", func(m *Message) {
			m.HTML = ""
			m.Inline = []Part{{ContentID: "c", Filename: "c.png", Data: []byte("x")}}
		}, "need an HTML body"},
		{"CRLF in content-id", func(m *Message) {
			m.Inline = []Part{{ContentID: "c\r\nX: y", Filename: "c.png", Data: []byte("x")}}
		}, "Content-ID"},
		{"duplicate content-id", func(m *Message) {
			m.Inline = []Part{{ContentID: "c", Filename: "a.png"}, {ContentID: "c", Filename: "b.png"}}
		}, "duplicate"},
		{"CRLF in filename", func(m *Message) {
			m.Attachments = []Part{{Filename: "a\r\nX: y.txt", Data: []byte("x")}}
		}, "header injection"},
		{"path in filename", func(m *Message) { m.Attachments = []Part{{Filename: "../etc/passwd"}} }, "bad file name"},
		{"CRLF in content type", func(m *Message) {
			m.Attachments = []Part{{Filename: "a.txt", ContentType: "text/plain\r\nX: y"}}
		}, "header injection"},
		{"bad content type", func(m *Message) { m.Attachments = []Part{{Filename: "a", ContentType: "text/"}} }, "content type"},
		{"multipart attachment", func(m *Message) { m.Attachments = []Part{{Filename: "a", ContentType: "multipart/mixed"}} }, "multipart"},
		{"bad host", func(m *Message) { m.Host = "sensor1>\r\nX: y" }, "not a host name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := digestMessage()
			tc.modify(m)
			raw, err := Build(m)
			if err == nil {
				t.Fatalf("Build accepted it:\n%s", raw)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// Alerts carry file hashes: long hex runs in a body must not be taken for
// MIME boundaries.
func TestBuildHexInBody(t *testing.T) {
	sha := strings.Repeat("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 2)
	m := digestMessage()
	m.Text = "fileinfo sha256 " + sha + "\n"
	m.HTML = "<td>" + sha + "</td>"
	raw, err := Build(m)
	if err != nil {
		t.Fatal(err)
	}
	p, err := mailtest.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Text, sha) || !strings.Contains(p.HTML, sha) {
		t.Errorf("hash lost: text %q html %q", p.Text, p.HTML)
	}
}

func TestBuildEncodedWordLookalike(t *testing.T) {
	m := digestMessage()
	m.Subject = "literal =?utf-8?q?not_encoded?= text"
	raw, err := Build(m)
	if err != nil {
		t.Fatal(err)
	}
	p, err := mailtest.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != m.Subject {
		t.Errorf("subject decoded to %q, want %q", p.Subject, m.Subject)
	}
}

func TestWriteFieldFolding(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"short", "hello"},
		{"long ascii", strings.Repeat("word ", 40)},
		{"double spaces", strings.Repeat("ab  ", 40)},
		{"one long token", strings.Repeat("x", 200)},
		{"empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			writeField(&b, "Subject", tc.value)
			out := b.String()
			if !strings.HasSuffix(out, "\r\n") {
				t.Fatalf("no CRLF: %q", out)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
			for i, l := range lines {
				if i > 0 && strings.TrimSpace(l) == "" {
					t.Errorf("whitespace-only continuation line %d", i)
				}
				if i > 0 && l[0] != ' ' {
					t.Errorf("continuation line %d does not start with a space: %q", i, l)
				}
				if len(l) > 78 && foldable(l) {
					t.Errorf("line %d is %d long but could have been folded", i, len(l))
				}
			}
			unfolded := strings.ReplaceAll(strings.TrimSuffix(out, "\r\n"), "\r\n", "")
			if want := "Subject: " + tc.value; unfolded != want {
				t.Errorf("unfolded %q, want %q", unfolded, want)
			}
		})
	}
}

func TestEnvelope(t *testing.T) {
	from, to, err := digestMessage().Envelope()
	if err != nil {
		t.Fatal(err)
	}
	if from != "alerts@sensor.test" {
		t.Errorf("from = %q", from)
	}
	if diff := cmp.Diff([]string{"soc@example.org", "joerg@example.org"}, to); diff != "" {
		t.Errorf("to (-want +got):\n%s", diff)
	}
}

// FuzzBuild feeds arbitrary subjects, header values, addresses and bodies:
// Build either refuses them or produces a message that parses back to the
// same subject, header and text, with no extra header lines.
func FuzzBuild(f *testing.F) {
	f.Add("[suricron] sensor1: 1 alert", "b-1", "soc@example.org", "body\n")
	f.Add("a\r\nBcc: x@example.com", "v\nX-Evil: 1", "x@example.org\r\nBcc: y@example.org", ".\r\n.\n")
	f.Add("Grüße – ✓ =?utf-8?q?x?=", strings.Repeat("long ", 300), "\"Ünï\" <u@example.org>", "")
	f.Fuzz(func(t *testing.T, subject, value, to, text string) {
		m := &Message{
			From: "alerts@sensor.test", To: []string{to}, Subject: subject,
			Headers: []Header{{"X-Suricron-Batch", value}},
			Text:    text + "x", Date: testDate, Host: "sensor1",
		}
		raw, err := Build(m)
		if err != nil {
			return
		}
		checkWireFormat(t, raw)
		p, err := mailtest.ParseMessage(raw)
		if err != nil {
			t.Fatalf("built message does not parse: %v\n%q", err, raw)
		}
		// Readers unfold by collapsing the whitespace around a fold, so
		// compare with runs of whitespace collapsed.
		norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
		if norm(p.Subject) != norm(subject) {
			t.Errorf("subject %q came back as %q", subject, p.Subject)
		}
		dec := new(mime.WordDecoder)
		if got, err := dec.DecodeHeader(p.Header.Get("X-Suricron-Batch")); err != nil || norm(got) != norm(value) {
			t.Errorf("header value %q came back as %q (%v)", value, got, err)
		}
		want := 10
		if subject == "" {
			want--
		}
		if len(p.Header) != want {
			t.Errorf("want %d header fields, got %d: %v", want, len(p.Header), p.Header)
		}
		// A single-part body gains the final CRLF that SMTP needs anyway.
		if want := strings.ReplaceAll(text+"x", "\n", "\r\n"); strings.TrimSuffix(p.Text, "\r\n") != want && !strings.Contains(text, "\r") {
			t.Errorf("text %q came back as %q", want, p.Text)
		}
	})
}
