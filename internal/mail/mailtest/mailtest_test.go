package mailtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A multipart message as a typical MUA writes it, with LF line endings as
// postfix stores them in a Maildir.
const mixedLF = `Return-Path: <alerts@sensor.test>
X-Original-To: soc@example.org
Subject: =?utf-8?q?weekly_report_=E2=80=93_sensor1?=
From: alerts@sensor.test
To: soc@example.org
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe, 3 alerts
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<img src="cid:chart@suricron">
--rel
Content-Type: image/png
Content-ID: <chart@suricron>
Content-Disposition: inline; filename="chart.png"
Content-Transfer-Encoding: base64

iVBORw0K
GgoAAAA=
--rel--
--alt--
--outer
Content-Type: application/json; name="r.json"
Content-Disposition: attachment; filename*=utf-8''rapport-%C3%A9.json
Content-Transfer-Encoding: base64

eyJhIjoxfQ==
--outer--
`

func TestParseMessage(t *testing.T) {
	png, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAA=")
	tests := []struct {
		name string
		raw  string
		want Parsed
	}{
		{"mixed LF", mixedLF, Parsed{
			Subject:     "weekly report – sensor1",
			Text:        "Grüße, 3 alerts",
			HTML:        `<img src="cid:chart@suricron">`,
			Inline:      []Part{{ContentID: "chart@suricron", ContentType: "image/png", Filename: "chart.png", Data: png}},
			Attachments: []Part{{ContentType: "application/json", Filename: "rapport-é.json", Data: []byte(`{"a":1}`)}},
			Structure: []string{"multipart/mixed", "multipart/alternative", "text/plain", "multipart/related",
				"text/html", "image/png", "application/json"},
		}},
		{"single part CRLF, no content type", "Subject: plain\r\n\r\nline 1\r\nline 2\r\n", Parsed{
			Subject: "plain", Text: "line 1\r\nline 2\r\n", Structure: []string{"text/plain"},
		}},
		{"html only", "Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<b>a=3Db</b>", Parsed{
			HTML: "<b>a=b</b>", Structure: []string{"text/html"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMessage([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			got.Header = nil
			if diff := cmp.Diff(&tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMessageErrors(t *testing.T) {
	// maxDepth+2 properly closed levels of multipart/mixed.
	deep := "x\r\n"
	for i := maxDepth + 1; i >= 0; i-- {
		b := fmt.Sprintf("b%d", i)
		deep = "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n" + deep + "\r\n--" + b + "--\r\n"
	}
	tests := []struct{ name, raw, mention string }{
		{"malformed header", "no colon here\r\n\r\nx", "parse message"},
		{"bad content type", "Content-Type: text/\r\n\r\nx", "content type"},
		{"bad transfer encoding", "Content-Transfer-Encoding: x-uuencode\r\n\r\nx", "transfer encoding"},
		{"bad base64", "Content-Transfer-Encoding: base64\r\n\r\n!!!!", "illegal base64"},
		{"too deep", deep, "too deep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMessage([]byte(tc.raw))
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.mention)
			}
		})
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(mixedLF))
	f.Add([]byte("Subject: x\r\n\r\nbody"))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=a\n\n--a\n\n--a--\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := ParseMessage(raw)
		if err != nil {
			return
		}
		if len(p.Structure) == 0 {
			t.Errorf("parsed without any part: %q", raw)
		}
	})
}

func writeMaildirFile(t *testing.T, dir, sub, name, content string, mod time.Time) {
	t.Helper()
	p := filepath.Join(dir, sub, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mod, mod); err != nil {
		t.Fatal(err)
	}
}

func newMaildir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"new", "cur", "tmp"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadMaildir(t *testing.T) {
	dir := newMaildir(t)
	base := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	writeMaildirFile(t, dir, "new", "2.b.host", "Subject: second\n\nb\n", base.Add(time.Second))
	writeMaildirFile(t, dir, "cur", "1.a.host:2,S", "Subject: first\n\na\n", base)
	writeMaildirFile(t, dir, "tmp", "0.partial", "Subject: still being written\n", base)
	writeMaildirFile(t, dir, "new", ".hidden", "Subject: ignored\n\nx\n", base)
	msgs, err := ReadMaildir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, m := range msgs {
		subjects = append(subjects, m.Subject)
	}
	if diff := cmp.Diff([]string{"first", "second"}, subjects); diff != "" {
		t.Errorf("subjects (-want +got):\n%s", diff)
	}
	if _, err := ReadMaildir(filepath.Join(dir, "missing")); err == nil {
		t.Error("ReadMaildir of a missing dir succeeded")
	}
}

func TestWaitMaildir(t *testing.T) {
	dir := newMaildir(t)
	match := func(m *MaildirMessage) bool { return m.Header.Get("X-Suricron-Batch") == "b-7" }
	time.AfterFunc(100*time.Millisecond, func() {
		// Written to tmp and renamed, as an MTA delivers.
		tmp := filepath.Join(dir, "tmp", "9.x.host")
		_ = os.WriteFile(tmp, []byte("X-Suricron-Batch: b-7\n\nhi\n"), 0o600)
		_ = os.Rename(tmp, filepath.Join(dir, "new", "9.x.host"))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := WaitMaildir(ctx, dir, match)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "hi\n" || !strings.HasSuffix(m.Path, "9.x.host") {
		t.Errorf("got %q from %s", m.Text, m.Path)
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel2()
	_, err = WaitMaildir(ctx2, dir, func(*MaildirMessage) bool { return false })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("want deadline error, got %v", err)
	}
}

// The server is exercised end to end by internal/mail's tests; these cover
// the options that a client library's tests would not reach.
func TestServerOptions(t *testing.T) {
	t.Run("reply codes must be 4xx or 5xx", func(t *testing.T) {
		if _, err := start(Options{RcptReply: 250}, t.TempDir()); err == nil {
			t.Error("accepted reply code 250")
		}
	})
	t.Run("records envelope and data", func(t *testing.T) {
		s := Start(t, Options{})
		msg := "Subject: hi\r\n\r\n.leading dot\r\nbody\r\n"
		if err := smtp.SendMail(s.Addr, nil, "a@sensor.test", []string{"b@example.org", "c@example.org"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		got := s.Messages()
		want := []Message{{From: "a@sensor.test", To: []string{"b@example.org", "c@example.org"}, Data: []byte(msg)}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		got[0].Data[0] = 'X'
		if s.Messages()[0].Data[0] != 'S' {
			t.Error("Messages returned shared data")
		}
	})
	t.Run("reject one recipient", func(t *testing.T) {
		s := Start(t, Options{RcptReply: 550, RejectRcpt: "c@example.org"})
		err := smtp.SendMail(s.Addr, nil, "a@sensor.test", []string{"b@example.org", "c@example.org"}, []byte("Subject: x\r\n\r\nx\r\n"))
		if err == nil || !strings.Contains(err.Error(), "550") {
			t.Errorf("want 550, got %v", err)
		}
	})
	t.Run("implicit TLS verifies with CertPool and CAFile", func(t *testing.T) {
		s := Start(t, Options{ImplicitTLS: true})
		pem, err := os.ReadFile(s.CAFile)
		if err != nil || !bytes.Contains(pem, []byte("BEGIN CERTIFICATE")) {
			t.Fatalf("CA file: %v", err)
		}
		conn, err := tls.Dial("tcp", s.Addr, &tls.Config{RootCAs: s.CertPool, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 3)
		if _, err := conn.Read(buf); err != nil || string(buf) != "220" {
			t.Errorf("greeting %q, %v", buf, err)
		}
	})
	t.Run("hang sends nothing", func(t *testing.T) {
		s := Start(t, Options{Hang: true})
		conn, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := conn.Read(make([]byte, 1))
		var ne net.Error
		if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("read %d bytes, err %v; want a timeout", n, err)
		}
		s.Close() // must not block on the open connection
	})
}
