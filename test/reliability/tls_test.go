package reliability

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/mail/mailtest"
)

// TestTLSAlwaysVerified: a server whose certificate the host does not
// trust is refused by every TLS client (HTTPS upload, HTTPS download,
// STARTTLS and smtps), nothing is delivered, and the fix is a CA file
// (SSL_CERT_FILE or --smtp-ca-file), never a switch that skips
// verification: no command offers one and no code sets InsecureSkipVerify.
func TestTLSAlwaysVerified(t *testing.T) {
	dir := t.TempDir()
	conf := emptyConfig(t, dir)
	eve := filepath.Join(dir, "eve.json")
	writeFile(t, eve, alerts(1, 5), 0o644)
	writeFile(t, filepath.Join(dir, "token"), "tok\n", 0o600)
	col := newCollector(t)
	untrusted := cleanEnv(t)
	trusted := cleanEnv(t, "SSL_CERT_FILE="+col.caFile)
	tel := []string{"-c", conf, "--eve", eve, "--state-dir", filepath.Join(dir, "st"), "--start", "beginning", "--all-alerts",
		"--no-interfaces", "--protocol", "ndjson", "--endpoint", col.srv.URL, "--token-file", filepath.Join(dir, "token"), "--retries", "1"}
	r := run(t, untrusted, "telemetry-send", tel...)
	if r.code == 0 || !strings.Contains(r.stderr, "certificate") || len(col.got()) != 0 {
		t.Errorf("telemetry-send to an untrusted server: exit %d, %d batches accepted: %s", r.code, len(col.got()), r.stderr)
	}
	run(t, trusted, "telemetry-send", tel...).want(t, 0, "telemetry-send with the CA in SSL_CERT_FILE")

	rulesArgs := []string{"-c", conf, "--state-dir", filepath.Join(dir, "sr"), "--url", col.srv.URL + "/rules.tar.gz",
		"--output", filepath.Join(dir, "out", "suricata.rules"), "--min-rules", "1"}
	if r := run(t, untrusted, "rules-update", rulesArgs...); r.code == 0 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("rules-update from an untrusted server: exit %d: %s", r.code, r.stderr)
	}

	for _, o := range []mailtest.Options{{STARTTLS: true}, {ImplicitTLS: true}} {
		s := mailtest.Start(t, o)
		url := s.URL()
		if o.STARTTLS {
			url += "?starttls=required"
		}
		args := []string{"-c", conf, "--eve", eve, "--state-dir", filepath.Join(dir, "sd-"+url[:5]), "--start", "beginning",
			"--smtp", url, "--to", "a@sensor.test", "--mail-timeout", "5s"}
		if r := run(t, untrusted, "alert-digest", args...); r.code == 0 || !strings.Contains(r.stderr, "certificate") || len(s.Messages()) != 0 {
			t.Errorf("alert-digest to %s with an untrusted certificate: exit %d, %d mails: %s", url, r.code, len(s.Messages()), r.stderr)
		}
		run(t, untrusted, "alert-digest", append(args, "--smtp-ca-file", s.CAFile)...).want(t, 0, "alert-digest with --smtp-ca-file")
		if len(s.Messages()) != 1 {
			t.Errorf("%d mails after trusting the CA, want 1", len(s.Messages()))
		}
	}

	skip := regexp.MustCompile(`(?i)insecure|skip[-_]?verif|no[-_]verify|tls[-_]?verify`)
	for _, c := range commands {
		if m := skip.FindString(run(t, untrusted, c, "--help").stdout); m != "" {
			t.Errorf("%s --help offers %q", c, m)
		}
	}
	root, _ := filepath.Abs("../..")
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			b, _ := os.ReadFile(p)
			if regexp.MustCompile(`InsecureSkipVerify:\s*true|InsecureSkipVerify\s*=\s*true`).Match(b) {
				t.Errorf("%s turns off certificate verification", p)
			}
		}
		return nil
	})
}
