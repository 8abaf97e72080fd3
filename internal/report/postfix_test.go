package report

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/mail"
	"github.com/suricron/suricron/internal/mail/mailtest"
)

// TestPostfixReportMail sends the HTML report through a real postfix on
// 127.0.0.1:25 (STARTTLS verified against the test CA) and decodes the
// delivered PNG parts. CI sets SURICRON_POSTFIX=1 after running
// tools/mta/postfix-start.sh; SURICRON_POSTFIX_MAILDIR and
// SURICRON_POSTFIX_CA override the script's defaults.
func TestPostfixReportMail(t *testing.T) {
	mta := mailtest.RequirePostfix(t)
	maildir := mta.Maildir
	sender, err := mail.NewSender(mail.Config{SMTP: mta.URL, CAFile: mta.CAFile, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// A unique recipient tells this run's message from earlier ones.
	to := "weekly-" + time.Now().Format("150405.000000000") + "@example.org"
	p := writeFixture(t, fixtureWeek())
	err = Run(context.Background(), Config{Files: []string{p}, Week: "2026-W46", Mail: true, To: []string{to},
		From: "suricron@sensor.test", Location: time.UTC},
		Deps{Now: func() time.Time { return fixedNow }, Hostname: "sensor1", Stdout: &bytes.Buffer{}, Sender: sender})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := mailtest.WaitMaildir(ctx, maildir, func(m *mailtest.MaildirMessage) bool {
		return strings.Contains(m.Header.Get("To"), to)
	})
	if err != nil {
		t.Fatalf("waiting for the report in %s: %v", maildir, err)
	}
	checkReportMail(t, m.Raw)
}
