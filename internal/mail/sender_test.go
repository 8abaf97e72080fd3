package mail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewSenderSMTPConfig(t *testing.T) {
	type want struct {
		Addr        string
		Host        string
		ImplicitTLS bool
		Required    bool
		Username    string
	}
	tests := []struct {
		name string
		cfg  Config
		want want
	}{
		{"default", Config{}, want{Addr: "localhost:25", Host: "localhost"}},
		{"smtp default port", Config{SMTP: "smtp://mail.example.org"}, want{Addr: "mail.example.org:25", Host: "mail.example.org"}},
		{"smtps default port", Config{SMTP: "smtps://mail.example.org"}, want{Addr: "mail.example.org:465", Host: "mail.example.org", ImplicitTLS: true}},
		{"scheme case", Config{SMTP: "SMTPS://mail.example.org:2465/"}, want{Addr: "mail.example.org:2465", Host: "mail.example.org", ImplicitTLS: true}},
		{"submission required", Config{SMTP: "smtp://mail.example.org:587?starttls=required"},
			want{Addr: "mail.example.org:587", Host: "mail.example.org", Required: true}},
		{"starttls auto", Config{SMTP: "smtp://mail.example.org?starttls=auto"}, want{Addr: "mail.example.org:25", Host: "mail.example.org"}},
		{"ipv6", Config{SMTP: "smtp://[::1]:2525"}, want{Addr: "[::1]:2525", Host: "::1"}},
		{"user in url", Config{SMTP: "smtp://alerts%40example.org@mail.example.org", Password: "pw"},
			want{Addr: "mail.example.org:25", Host: "mail.example.org", Username: "alerts@example.org"}},
		{"user option", Config{SMTP: "smtp://mail.example.org", Username: "alerts", Password: "pw"},
			want{Addr: "mail.example.org:25", Host: "mail.example.org", Username: "alerts"}},
		{"same user twice", Config{SMTP: "smtp://alerts@mail.example.org", Username: "alerts", Password: "pw"},
			want{Addr: "mail.example.org:25", Host: "mail.example.org", Username: "alerts"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSender(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			ss, ok := s.(*smtpSender)
			if !ok {
				t.Fatalf("got %T", s)
			}
			got := want{ss.addr, ss.host, ss.implicitTLS, ss.starttls == starttlsRequired, ss.username}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if ss.tls.InsecureSkipVerify || ss.tls.ServerName != tc.want.Host {
				t.Errorf("TLS config: skip=%v servername=%q", ss.tls.InsecureSkipVerify, ss.tls.ServerName)
			}
			if ss.dialTimeout != DefaultDialTimeout || ss.timeout != DefaultTimeout {
				t.Errorf("timeouts %s/%s", ss.dialTimeout, ss.timeout)
			}
		})
	}
}

func TestNewSenderConfigErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notExec := filepath.Join(dir, "sendmail")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     Config
		mention string
	}{
		{"bad scheme names the value", Config{SMTP: "http://mail.example.org"}, `"http"`},
		{"mailto", Config{SMTP: "mailto:soc@example.org"}, "unsupported scheme"},
		{"no scheme", Config{SMTP: "mail.example.org:25"}, "mail.example.org:25"},
		{"no host", Config{SMTP: "smtp://:25"}, "no host"},
		{"bad port", Config{SMTP: "smtp://mail.example.org:99999"}, "bad port"},
		{"path", Config{SMTP: "smtp://mail.example.org/inbox"}, "path"},
		{"unknown option", Config{SMTP: "smtp://mail.example.org?tls=skip-verify"}, `unknown option "tls"`},
		{"bad starttls", Config{SMTP: "smtp://mail.example.org?starttls=never"}, "starttls"},
		{"starttls with smtps", Config{SMTP: "smtps://mail.example.org?starttls=required"}, "does not apply"},
		{"password in url", Config{SMTP: "smtp://u:hunter2@mail.example.org"}, "password in the URL"},
		{"unparsable url with password", Config{SMTP: "smtp://u:hunter2@mail.example.org:%zz"}, "not a valid URL"},
		{"user twice", Config{SMTP: "smtp://a@mail.example.org", Username: "b", Password: "pw"}, "username given twice"},
		{"user without password", Config{Username: "alerts"}, "without a password"},
		{"password without user", Config{Password: "hunter2"}, "without a username"},
		{"CR in username", Config{Username: "a\r\nb", Password: "pw"}, "control character"},
		{"missing CA file", Config{CAFile: filepath.Join(dir, "nope.pem")}, "nope.pem"},
		{"CA file not PEM", Config{CAFile: notPEM}, "no PEM certificates"},
		{"bad HELO", Config{HELO: "sensor one"}, "HELO"},
		{"negative timeout", Config{Timeout: -time.Second}, "negative"},
		{"both transports", Config{SMTP: "smtp://localhost", Sendmail: "/usr/sbin/sendmail"}, "choose one"},
		{"sendmail missing", Config{Sendmail: filepath.Join(dir, "missing")}, "missing"},
		{"sendmail not executable", Config{Sendmail: notExec}, "not an executable"},
		{"sendmail not in PATH", Config{Sendmail: "no-such-sendmail-binary"}, "no-such-sendmail-binary"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSender(tc.cfg)
			if err == nil {
				t.Fatalf("accepted: %v", s)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error does not wrap ErrConfig: %v", err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

// FuzzNewSenderURL: whatever the URL, NewSender must not panic, must wrap
// ErrConfig on failure, and must never echo a password put in the URL.
func FuzzNewSenderURL(f *testing.F) {
	for _, s := range []string{"smtp://mail.example.org", "smtps://u@h:465", "smtp://h?starttls=required",
		"smtp://u:@h", "http://x", "smtp://[::1", "smtp://u:%zz@h", "smtp:///?", ":"} {
		f.Add(s)
	}
	const secret = "Zq9-secret-Zq9"
	f.Fuzz(func(t *testing.T, rest string) {
		for _, raw := range []string{rest, "smtp://user:" + secret + "@" + rest, "smtps://user:" + secret + "@mail.example.org:" + rest} {
			_, err := NewSender(Config{SMTP: raw, Password: "pw"})
			if err == nil {
				continue
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("NewSender(%q): error does not wrap ErrConfig: %v", raw, err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("NewSender(%q) leaks the password: %v", raw, err)
			}
		}
	})
}

// writeScript writes an executable shell script standing in for sendmail:
// a real process, so pipes, exit codes and timeouts are real.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sendmail")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSendmail(t *testing.T) {
	from, to, raw := builtDigest(t)

	t.Run("pipes the message to -t -i", func(t *testing.T) {
		out := t.TempDir()
		script := writeScript(t, `printf '%s\n' "$@" > "`+out+`/args"; cat > "`+out+`/msg"`)
		s, err := NewSender(Config{Sendmail: script})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(context.Background(), from, to, raw); err != nil {
			t.Fatal(err)
		}
		args, _ := os.ReadFile(filepath.Join(out, "args"))
		if string(args) != "-t\n-i\n" {
			t.Errorf("args %q, want -t -i", args)
		}
		msg, _ := os.ReadFile(filepath.Join(out, "msg"))
		if string(msg) != string(raw) {
			t.Errorf("sendmail got a different message:\n%s", msg)
		}
	})

	tests := []struct {
		name      string
		script    string
		timeout   time.Duration
		temporary bool
		code      int
		mention   string
	}{
		{"non-zero exit", `cat >/dev/null; echo "postdrop: warning: unable to look up public/pickup" >&2; exit 75`,
			0, true, 75, "unable to look up public/pickup"},
		{"exit without output", `exit 1`, 0, true, 1, "no output"},
		{"exit without reading stdin", `echo refused >&2; exit 69`, 0, true, 69, "refused"},
		{"long stderr is cut", `cat >/dev/null; head -c 100000 /dev/zero | tr '\0' x >&2; exit 1`, 0, true, 1, "[truncated]"},
		{"hangs past the timeout", `exec sleep 30`, 300 * time.Millisecond, true, 0, "no exit within"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSender(Config{Sendmail: writeScript(t, tc.script), Timeout: tc.timeout})
			if err != nil {
				t.Fatal(err)
			}
			// "no exit within" below proves the timeout ended the
			// 30-second hang; the guard only stops a hang.
			err = returnsWithin(t, 60*time.Second, "sendmail "+tc.name, func() error {
				return s.Send(context.Background(), from, to, raw)
			})
			var de *DeliveryError
			if !errors.As(err, &de) {
				t.Fatalf("want *DeliveryError, got %v", err)
			}
			if de.Temporary != tc.temporary || de.Code != tc.code || de.Transport != "sendmail" {
				t.Errorf("got %+v", de)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
			if len(err.Error()) > maxStderr+500 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}

	t.Run("cancel stops it, not temporary", func(t *testing.T) {
		s, err := NewSender(Config{Sendmail: writeScript(t, `exec sleep 30`)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		err = s.Send(ctx, from, to, raw)
		if !errors.Is(err, context.Canceled) || IsTemporary(err) {
			t.Fatalf("want non-temporary context.Canceled, got %v", err)
		}
	})
}

func TestIsTemporary(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error", errors.New("x"), false},
		{"temporary", &DeliveryError{Temporary: true, Err: errors.New("x")}, true},
		{"wrapped temporary", errors.Join(errors.New("a"), &DeliveryError{Temporary: true, Err: errors.New("x")}), true},
		{"permanent", &DeliveryError{Err: errors.New("x")}, false},
	}
	for _, tc := range tests {
		if got := IsTemporary(tc.err); got != tc.want {
			t.Errorf("%s: IsTemporary = %v", tc.name, got)
		}
	}
}
