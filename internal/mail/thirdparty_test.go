package mail

import (
	"bytes"
	"strings"
	"testing"

	"github.com/jordan-wright/email"
)

// TestIndependentParserReadsBack checks the builder against a MIME parser
// that is not ours: jordan-wright/email (the library the design named for
// MIME) must read the digest's text, HTML and attachment back exactly,
// also when hostile content imitates a boundary. The builder itself uses
// the standard library, since that library cannot fix its boundaries.
func TestIndependentParserReadsBack(t *testing.T) {
	for _, tc := range []struct{ name, text, html string }{
		{"plain", "12 alerts\n  2100498  GPL ATTACK_RESPONSE id check returned root\n", "<p>12 alerts</p>"},
		{"hostile", "ET TEST boundary=\"=_suricron_1_0\"\n--=_suricron_1_0000000000000000--\n", "<b>boundary=x</b>\n--=_suricron_2_0--"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &Message{
				From: "alerts@sensor.test", To: []string{"soc@example.org"}, Subject: "[suricron] sensor1: 12 alerts",
				Headers: []Header{{"X-Suricron-Batch", "b1"}},
				Text:    tc.text, HTML: tc.html, Date: testDate, Host: "sensor1",
				Attachments: []Part{{Filename: "digest.json", ContentType: "application/json", Data: []byte(`{"alerts":12}`)}},
			}
			raw, err := Build(m)
			if err != nil {
				t.Fatal(err)
			}
			e, err := email.NewEmailFromReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("jordan-wright/email cannot parse the message: %v", err)
			}
			crlf := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n") }
			if got := crlf(string(e.Text)); got != crlf(tc.text) {
				t.Errorf("text part = %q, want %q", got, crlf(tc.text))
			}
			if got := crlf(string(e.HTML)); got != crlf(tc.html) {
				t.Errorf("html part = %q, want %q", got, crlf(tc.html))
			}
			if e.Subject != m.Subject || e.Headers.Get("X-Suricron-Batch") != "b1" {
				t.Errorf("headers: subject %q batch %q", e.Subject, e.Headers.Get("X-Suricron-Batch"))
			}
			if len(e.Attachments) != 1 || string(e.Attachments[0].Content) != `{"alerts":12}` {
				t.Errorf("attachments = %+v", e.Attachments)
			}
		})
	}
}
