package digest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefaultFromMailname: without --from the digest's sender takes the
// mail domain from /etc/mailname, as Debian's MTAs and weekly-report do
// (issue 20: it was suricron@<short host name>), and the host name when
// the file is absent.
func TestDefaultFromMailname(t *testing.T) {
	for _, tc := range []struct{ mailname, want string }{
		{"mail.example.org\n", "From: <suricron@mail.example.org>"},
		{"", "From: <suricron@" + testHost + ">"}, // no file
	} {
		e := newEnv(t)
		appendAlerts(t, e.eve, alert{sid: 1, sev: 2, src: "10.0.0.1", dst: "10.0.0.2"})
		cfg := e.config()
		cfg.Mail.From = ""
		cfg.DryRun = true
		deps := e.deps()
		deps.Mailname = filepath.Join(e.dir, "mailname")
		if tc.mailname != "" {
			if err := os.WriteFile(deps.Mailname, []byte(tc.mailname), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := run(context.Background(), cfg, deps); err != nil {
			t.Fatal(err)
		}
		head, _, _ := strings.Cut(strings.ReplaceAll(e.stdout.String(), "\r\n", "\n"), "\n\n")
		if !strings.Contains(head+"\n", tc.want+"\n") {
			t.Errorf("mailname %q: headers lack %q:\n%s", tc.mailname, tc.want, head)
		}
	}
}
