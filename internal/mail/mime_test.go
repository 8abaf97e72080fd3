package mail

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/suricron/suricron/internal/mail/mailtest"
)

// normLines is how a text part reads back: quoted-printable turns every
// line break (LF, CR or CRLF) into CRLF.
func normLines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// checkParts builds m and asserts that it parses back (net/mail +
// mime/multipart) to exactly the parts given.
func checkParts(t testing.TB, m *Message) {
	t.Helper()
	raw, err := Build(m)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	checkWireFormat(t, raw)
	p, err := mailtest.ParseMessage(raw)
	if err != nil {
		t.Fatalf("built message does not parse: %v\n%s", err, raw)
	}
	var want []string
	html := []string{"text/html"}
	if len(m.Inline) > 0 {
		html = []string{"multipart/related", "text/html"}
		for _, in := range m.Inline {
			html = append(html, in.ContentType)
		}
	}
	switch {
	case m.Text != "" && m.HTML != "":
		want = append([]string{"multipart/alternative", "text/plain"}, html...)
	case m.HTML != "":
		want = html
	default:
		want = []string{"text/plain"}
	}
	if len(m.Attachments) > 0 {
		want = append([]string{"multipart/mixed"}, want...)
		for _, a := range m.Attachments {
			want = append(want, a.ContentType)
		}
	}
	if diff := cmp.Diff(want, p.Structure); diff != "" {
		t.Fatalf("MIME structure (-want +got):\n%s\n%s", diff, raw)
	}
	if got, w := strings.TrimSuffix(p.Text, "\r\n"), strings.TrimSuffix(normLines(m.Text), "\r\n"); got != w {
		t.Errorf("text part: got %q, want %q", got, w)
	}
	if got, w := strings.TrimSuffix(p.HTML, "\r\n"), strings.TrimSuffix(normLines(m.HTML), "\r\n"); got != w {
		t.Errorf("html part: got %q, want %q", got, w)
	}
	if len(p.Inline) != len(m.Inline) || len(p.Attachments) != len(m.Attachments) {
		t.Fatalf("parts: %d inline, %d attachments; want %d, %d", len(p.Inline), len(p.Attachments), len(m.Inline), len(m.Attachments))
	}
	for i, a := range m.Attachments {
		if g := p.Attachments[i]; g.Filename != a.Filename || !bytes.Equal(g.Data, a.Data) {
			t.Errorf("attachment %d: got %q (%d bytes), want %q (%d bytes)", i, g.Filename, len(g.Data), a.Filename, len(a.Data))
		}
	}
	for i, a := range m.Inline {
		if g := p.Inline[i]; g.ContentID != a.ContentID || !bytes.Equal(g.Data, a.Data) {
			t.Errorf("inline %d: got %q, want %q", i, g.ContentID, a.ContentID)
		}
	}
}

// Issue 14: a signature containing "boundary=" made every digest fail
// with "unexpected MIME boundaries", because the boundaries were found by
// a regular expression over the built message.
func TestBuildContentCannotChangeStructure(t *testing.T) {
	tag := "d9771126324deb83" // the tag digestMessage's boundaries get
	hostile := []string{
		`ET POLICY Content-Type: multipart/mixed; boundary=evil`,
		`boundary="` + strings.Repeat("ab", 30) + `"`,
		"--=_suricron_1_" + tag + "\r\nContent-Type: text/html\r\n\r\n<b>forged</b>\r\n--=_suricron_1_" + tag + "--",
		"\n--=_suricron_2_" + tag + "--\n",
		"boundary=" + strings.Repeat("0123456789abcdef", 4),
	}
	for i, h := range hostile {
		for _, where := range []string{"text", "html", "filename"} {
			m := digestMessage()
			switch where {
			case "text":
				m.Text += h + "\n"
			case "html":
				m.HTML = "<p>" + h + "</p>"
			case "filename":
				m.Attachments = []Part{{Filename: strings.NewReplacer("\r", "", "\n", "", "/", "").Replace(h) + ".txt", ContentType: "text/plain", Data: []byte(h)}}
			}
			t.Run(where+"/"+string(rune('a'+i)), func(t *testing.T) { checkParts(t, m) })
		}
	}
}

func FuzzBuildParts(f *testing.F) {
	f.Add("boundary=x", "<p>--=_suricron_1_0000000000000000</p>", "a.png", []byte("\x89PNG"), true, true)
	f.Add("line\r\n--x--\r\n.\r\n", "", "boundary=\"q\".bin", []byte("--=_suricron_1_"), false, true)
	f.Add("", "<html>=3D=\r\n</html>", "", []byte{}, true, false)
	f.Fuzz(func(t *testing.T, text, html, filename string, data []byte, inline, attach bool) {
		m := &Message{
			From: "alerts@sensor.test", To: []string{"soc@example.org"}, Subject: "s",
			Headers: []Header{{"X-Suricron-Batch", "b"}},
			Text:    text, HTML: html, Date: testDate, Host: "sensor1",
		}
		if inline && html != "" {
			m.Inline = []Part{{ContentID: "c1@suricron", Filename: "c1.png", ContentType: "image/png", Data: data}}
		}
		if attach {
			m.Attachments = []Part{{Filename: filename, ContentType: "application/octet-stream", Data: data}}
		}
		if _, err := Build(m); err != nil {
			// Refusals are fine (no body, bad file name); they are not
			// what this target looks for.
			return
		}
		checkParts(t, m)
	})
}
