package mailtest

import (
	"os"
	"testing"
)

// Postfix is the loopback MTA that tools/mta/postfix-start.sh runs: a real
// postfix on 127.0.0.1:25 offering STARTTLS with a certificate from a test
// CA, delivering every recipient into one catch-all Maildir. CI runs the
// script and sets SURICRON_POSTFIX=1; the other variables override the
// script's defaults.
//
//	SURICRON_POSTFIX_MAILDIR   the Maildir (default /home/suricron-mail/Maildir)
//	SURICRON_POSTFIX_CA        the test CA (default /etc/postfix/suricron/ca.pem)
//	SURICRON_POSTFIX_SENDMAIL  postfix's sendmail (default /usr/sbin/sendmail)
type Postfix struct {
	URL      string // smtp://127.0.0.1:25?starttls=required
	Maildir  string
	CAFile   string
	Sendmail string
}

// PostfixFromEnv returns the test postfix, and false unless
// SURICRON_POSTFIX=1 says it runs.
func PostfixFromEnv() (Postfix, bool) {
	p := Postfix{
		URL:      "smtp://127.0.0.1:25?starttls=required",
		Maildir:  envOr("SURICRON_POSTFIX_MAILDIR", "/home/suricron-mail/Maildir"),
		CAFile:   envOr("SURICRON_POSTFIX_CA", "/etc/postfix/suricron/ca.pem"),
		Sendmail: envOr("SURICRON_POSTFIX_SENDMAIL", "/usr/sbin/sendmail"),
	}
	return p, os.Getenv("SURICRON_POSTFIX") == "1"
}

// RequirePostfix returns the test postfix, or skips t when it does not run.
func RequirePostfix(t testing.TB) Postfix {
	t.Helper()
	p, ok := PostfixFromEnv()
	if !ok {
		t.Skip("set SURICRON_POSTFIX=1 after running tools/mta/postfix-start.sh to test against the real postfix")
	}
	return p
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
