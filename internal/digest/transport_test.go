package digest

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/mail"
	"github.com/suricron/suricron/internal/mail/mailtest"
)

func TestSTARTTLSAndAuth(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{STARTTLS: true, AuthUser: "sensor", AuthPass: "s3cret pass"})
	e := newEnv(t)
	appendAlerts(t, e.eve, alert{sid: 7, sev: 1, src: "10.0.0.1", dst: "10.0.0.2"})
	pw := filepath.Join(e.dir, "pw")
	if err := os.WriteFile(pw, []byte("s3cret pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	// The server is on loopback, where "auto" skips STARTTLS; insist.
	cfg.Mail.SMTP = srv.URL() + "?starttls=required"
	cfg.Mail.Username, cfg.Mail.PasswordFile, cfg.Mail.CAFile = "sensor", pw, srv.CAFile
	res, err := e.run(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "sensor" {
		t.Fatalf("messages %d, tls %v, user %q", len(msgs), len(msgs) > 0 && msgs[0].TLS, func() string {
			if len(msgs) > 0 {
				return msgs[0].User
			}
			return ""
		}())
	}
	if msgs[0].From != "suricron@sensor1.example" || strings.Join(msgs[0].To, ",") != "soc@example.org" {
		t.Errorf("envelope %s -> %v", msgs[0].From, msgs[0].To)
	}
	p, err := msgs[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.Header.Get("X-Suricron-Batch") != res.BatchID || res.BatchID == "" {
		t.Errorf("batch header %q, result %q", p.Header.Get("X-Suricron-Batch"), res.BatchID)
	}
	if strings.Contains(e.logs.String(), "s3cret") {
		t.Errorf("password in the log")
	}
}

// TestTemporaryFailuresKeepState: every failure the next run may fix exits
// 75 and leaves the checkpoint where it was; the next run against a working
// server delivers the same batch, with every alert in it.
func TestTemporaryFailuresKeepState(t *testing.T) {
	failing := map[string]func(t *testing.T, dir string) mail.Options{
		"4xx on RCPT": func(t *testing.T, _ string) mail.Options {
			return mail.Options{SMTP: mailtest.Start(t, mailtest.Options{RcptReply: 450}).URL()}
		},
		"5xx on DATA": func(t *testing.T, _ string) mail.Options {
			return mail.Options{SMTP: mailtest.Start(t, mailtest.Options{DataReply: 554}).URL()}
		},
		"4xx on MAIL": func(t *testing.T, _ string) mail.Options {
			return mail.Options{SMTP: mailtest.Start(t, mailtest.Options{MailReply: 421}).URL()}
		},
		"hanging server": func(t *testing.T, _ string) mail.Options {
			return mail.Options{SMTP: mailtest.Start(t, mailtest.Options{Hang: true}).URL(), Timeout: time.Second}
		},
		"nothing listening": func(t *testing.T, _ string) mail.Options {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			return mail.Options{SMTP: "smtp://" + addr}
		},
		"sendmail exits 75": func(t *testing.T, dir string) mail.Options {
			p := filepath.Join(dir, "sendmail-fail")
			if err := os.WriteFile(p, []byte("#!/bin/sh\ncat >/dev/null\necho 'queue full' >&2\nexit 75\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			return mail.Options{Sendmail: p}
		},
	}
	for name, mk := range failing {
		t.Run(name, func(t *testing.T) {
			good := mailtest.Start(t, mailtest.Options{})
			e := newEnv(t)
			cfg := e.config()
			cfg.Mail.SMTP = good.URL()
			appendAlerts(t, e.eve, alert{sid: 1, sev: 2, src: "10.0.0.1", dst: "10.0.0.2"})
			if _, err := e.run(t, cfg); err != nil {
				t.Fatal(err)
			}
			committed, _ := e.statePos(t)

			// New alerts; the transport fails.
			for i := 0; i < 3; i++ {
				appendAlerts(t, e.eve, alert{sid: 2, sev: 1, src: "10.0.0.3", dst: "10.0.0.4"})
			}
			appendAlerts(t, e.eve, alert{sid: 3, sev: 3, src: "10.0.0.5", dst: "10.0.0.4"})
			bad := cfg
			bad.Mail = mk(t, e.dir)
			bad.Mail.To, bad.Mail.From = cfg.Mail.To, cfg.Mail.From
			if bad.Mail.Timeout == 0 {
				bad.Mail.Timeout = 5 * time.Second
			}
			// A hang guard only (a loaded CI may be slow): the transport's
			// timeout must end the hanging server's session at all.
			done := make(chan error, 1)
			go func() { _, err := e.run(t, bad); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				t.Fatalf("%s: the run did not end within 60 s: transport timeout not applied", name)
			}
			if code := cli.ExitCode(err); code != exitcode.ExitTempFail {
				t.Fatalf("exit %d (%v), want 75", code, err)
			}
			pos, pend := e.statePos(t)
			if pos != committed {
				t.Fatalf("checkpoint moved: %+v -> %+v", committed, pos)
			}
			if pend == nil {
				t.Fatal("no pending batch recorded before sending")
			}

			// Next run: delivered, same batch id, all four alerts.
			res, err := e.run(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			msgs := good.Messages()
			if len(msgs) != 2 {
				t.Fatalf("%d messages on the good server, want 2", len(msgs))
			}
			p, err := msgs[1].Parse()
			if err != nil {
				t.Fatal(err)
			}
			if id := p.Header.Get("X-Suricron-Batch"); id != pend.BatchID || id != res.BatchID {
				t.Errorf("retry batch %q, pending %q, result %q", id, pend.BatchID, res.BatchID)
			}
			if p.Header.Get("X-Suricron-Alerts") != "4" {
				t.Errorf("retry carries %s alerts, want 4", p.Header.Get("X-Suricron-Alerts"))
			}
			g := parsedGroups(t, p.Text)
			if g["2 10.0.0.3 10.0.0.4"] != 3 || g["3 10.0.0.5 10.0.0.4"] != 1 || len(g) != 2 {
				t.Errorf("retry groups %v", g)
			}
			// And then nothing is left.
			res, err = e.run(t, cfg)
			if err != nil || res.Sent || len(good.Messages()) != 2 {
				t.Errorf("third run: %v sent=%v messages=%d", err, res != nil && res.Sent, len(good.Messages()))
			}
		})
	}
}

func TestPermanentFailureExits1(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{STARTTLS: true, AuthUser: "sensor", AuthPass: "right"})
	e := newEnv(t)
	appendAlerts(t, e.eve, alert{sid: 7, sev: 1, src: "10.0.0.1", dst: "10.0.0.2"})
	pw := filepath.Join(e.dir, "pw")
	if err := os.WriteFile(pw, []byte("wrong"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	cfg.Mail.SMTP = srv.URL() + "?starttls=required"
	cfg.Mail.Username, cfg.Mail.PasswordFile, cfg.Mail.CAFile = "sensor", pw, srv.CAFile
	_, err := e.run(t, cfg)
	if code := cli.ExitCode(err); code != exitcode.ExitFailure {
		t.Fatalf("exit %d (%v), want 1", code, err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error shows the password: %v", err)
	}
	if pos, _ := e.statePos(t); pos.Offset != 0 {
		t.Errorf("checkpoint moved to %d", pos.Offset)
	}
}

func TestSendmailDelivers(t *testing.T) {
	e := newEnv(t)
	out := filepath.Join(e.dir, "sent.eml")
	args := filepath.Join(e.dir, "args")
	p := filepath.Join(e.dir, "sendmail")
	script := "#!/bin/sh\necho \"$@\" >" + args + "\ncat >" + out + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	appendAlerts(t, e.eve, alert{sid: 9, sev: 2, src: "10.0.0.1", dst: "10.0.0.2"})
	cfg := e.config()
	cfg.Mail.Sendmail = p
	res, err := e.run(t, cfg)
	if err != nil || !res.Sent {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(out)
	a, _ := os.ReadFile(args)
	if strings.TrimSpace(string(a)) != "-t -i" {
		t.Errorf("sendmail args %q", a)
	}
	m, err := mailtest.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("X-Suricron-Batch") != res.BatchID {
		t.Errorf("batch header %q", m.Header.Get("X-Suricron-Batch"))
	}
}
