package mail

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/mail/mailtest"
)

// The real-MTA tests' environment is documented at mailtest.Postfix.

var tlsProtoRe = regexp.MustCompile(`with [A-Z0-9]*SMTPSA? `)

// TestPostfixDelivery sends through a real postfix on 127.0.0.1:25 (plain,
// STARTTLS verified against the test CA, and its sendmail binary) and
// reads each message back from the Maildir.
func TestPostfixDelivery(t *testing.T) {
	mta := mailtest.RequirePostfix(t)
	maildir := mta.Maildir
	pngData := tinyPNG(t)

	tests := []struct {
		name    string
		cfg     Config
		wantTLS bool
	}{
		{name: "smtp loopback", cfg: Config{SMTP: "smtp://127.0.0.1:25"}},
		{name: "smtp starttls required", cfg: Config{
			SMTP: mta.URL, CAFile: mta.CAFile,
		}, wantTLS: true},
		{name: "sendmail", cfg: Config{Sendmail: mta.Sendmail}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Timeout = 20 * time.Second
			s, err := NewSender(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			batch := fmt.Sprintf("it-%s-%d", strings.ReplaceAll(tc.name, " ", "-"), time.Now().UnixNano())
			m := digestMessage()
			m.Date = time.Now().Truncate(time.Second)
			m.Subject = "[suricron] weekly report – " + tc.name
			m.Headers = []Header{{"X-Suricron-Alerts", "12"}, {"X-Suricron-Batch", batch}}
			m.HTML = `<p>alerts</p><img src="cid:alerts-per-day@suricron">`
			m.Inline = []Part{{ContentID: "alerts-per-day@suricron", Filename: "alerts-per-day.png", ContentType: "image/png", Data: pngData}}
			raw, err := Build(m)
			if err != nil {
				t.Fatal(err)
			}
			from, to, err := m.Envelope()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), from, to, raw); err != nil {
				t.Fatalf("Send: %v", err)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, err := mailtest.WaitMaildir(ctx, maildir, func(mm *mailtest.MaildirMessage) bool {
				return mm.Header.Get("X-Suricron-Batch") == batch
			})
			if err != nil {
				t.Fatal(err)
			}
			sent, err := mailtest.ParseMessage(raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{"Date", "From", "To", "Subject", "Message-Id", "X-Suricron-Alerts", "Auto-Submitted", "Content-Type"} {
				if g, w := got.Header.Get(h), sent.Header.Get(h); g != w {
					t.Errorf("%s: delivered %q, sent %q", h, g, w)
				}
			}
			if got.Subject != m.Subject {
				t.Errorf("subject %q, want %q", got.Subject, m.Subject)
			}
			// postfix stores LF line endings.
			if want := strings.ReplaceAll(sent.Text, "\r\n", "\n"); got.Text != want {
				t.Errorf("text:\n%q\nwant\n%q", got.Text, want)
			}
			if got.HTML != m.HTML {
				t.Errorf("html %q, want %q", got.HTML, m.HTML)
			}
			if len(got.Inline) != 1 || got.Inline[0].ContentID != "alerts-per-day@suricron" || !bytes.Equal(got.Inline[0].Data, pngData) {
				t.Errorf("inline parts: %+v", got.Inline)
			}
			// One delivery per envelope recipient; both land in the catch-all.
			if orig := got.Header.Get("X-Original-To"); orig != "soc@example.org" && orig != "joerg@example.org" {
				t.Errorf("X-Original-To %q", orig)
			}
			// postfix names the protocol ESMTPS/UTF8SMTPS (…SA with AUTH)
			// when the session was encrypted.
			received := strings.Join(got.Header["Received"], "\n")
			if usedTLS := tlsProtoRe.MatchString(received); tc.cfg.SMTP != "" && usedTLS != tc.wantTLS {
				t.Errorf("TLS used = %v, want %v; Received:\n%s", usedTLS, tc.wantTLS, received)
			}
		})
	}
}
