package mail

import (
	"os"
	"strings"
)

// MailnamePath is where Debian MTAs keep the host's mail domain.
const MailnamePath = "/etc/mailname"

// DefaultFrom is the sender when --from is not given, for every command
// that mails (alert-digest, weekly-report): suricron@ the mail name in
// mailnamePath when that file holds one (as Debian's MTAs use it for
// unqualified senders, so replies and bounces reach a real domain),
// otherwise suricron@host.
func DefaultFrom(mailnamePath, host string) string {
	if b, err := os.ReadFile(mailnamePath); err == nil {
		name, _, _ := strings.Cut(string(b), "\n")
		name = strings.TrimSpace(name)
		if validMailname(name) {
			return "suricron@" + name
		}
	}
	return "suricron@" + host
}

// validMailname accepts a DNS name: letters, digits, hyphens and dots, at
// most 253 characters; anything else in the file is ignored.
func validMailname(s string) bool {
	if s == "" || len(s) > 253 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
