package mail

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/suricron/suricron/internal/mail/mailtest"
)

const testPassword = "s3cret-Pa55word"

// newTestSMTP builds an SMTP sender for a mailtest server, with short
// timeouts so failures cannot stall the suite.
func newTestSMTP(t *testing.T, cfg Config) *smtpSender {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 2 * time.Second
	}
	cfg.HELO = "sensor1.test"
	s, err := NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*smtpSender)
}

func builtDigest(t *testing.T) (from string, to []string, raw []byte) {
	t.Helper()
	m := digestMessage()
	raw, err := Build(m)
	if err != nil {
		t.Fatal(err)
	}
	from, to, err = m.Envelope()
	if err != nil {
		t.Fatal(err)
	}
	return from, to, raw
}

func TestSMTPDelivery(t *testing.T) {
	tests := []struct {
		name     string
		opts     mailtest.Options
		url      func(*mailtest.Server) string
		withCA   bool
		auth     bool
		upgrade  bool // clear the loopback exception, as for a remote server
		wantTLS  bool
		wantUser string
	}{
		{name: "plain", url: (*mailtest.Server).URL},
		{name: "starttls offered, auto, loopback stays plain",
			opts: mailtest.Options{STARTTLS: true}, url: (*mailtest.Server).URL, withCA: true},
		{name: "starttls offered, auto, non-loopback upgrades",
			opts: mailtest.Options{STARTTLS: true}, url: (*mailtest.Server).URL, withCA: true, upgrade: true, wantTLS: true},
		{name: "starttls required",
			opts: mailtest.Options{STARTTLS: true},
			url:  func(s *mailtest.Server) string { return s.URL() + "?starttls=required" }, withCA: true, wantTLS: true},
		{name: "starttls required, localhost name",
			opts: mailtest.Options{STARTTLS: true},
			url: func(s *mailtest.Server) string {
				_, port, _ := net.SplitHostPort(s.Addr)
				return "smtp://localhost:" + port + "?starttls=required"
			}, withCA: true, wantTLS: true},
		{name: "implicit tls", opts: mailtest.Options{ImplicitTLS: true}, url: (*mailtest.Server).URL, withCA: true, wantTLS: true},
		{name: "auth plain over starttls",
			opts: mailtest.Options{STARTTLS: true, AuthUser: "sensor", AuthPass: testPassword},
			url:  func(s *mailtest.Server) string { return s.URL() + "?starttls=required" }, withCA: true, auth: true,
			wantTLS: true, wantUser: "sensor"},
		{name: "auth login over implicit tls",
			opts: mailtest.Options{ImplicitTLS: true, AuthUser: "sensor", AuthPass: testPassword, AuthMechanisms: []string{"LOGIN"}},
			url:  (*mailtest.Server).URL, withCA: true, auth: true, wantTLS: true, wantUser: "sensor"},
		{name: "auth plain without tls on loopback",
			opts: mailtest.Options{AuthUser: "sensor", AuthPass: testPassword, AllowInsecureAuth: true},
			url:  (*mailtest.Server).URL, auth: true, wantUser: "sensor"},
		{name: "username in URL",
			opts:   mailtest.Options{ImplicitTLS: true, AuthUser: "sensor@example.org", AuthPass: testPassword},
			url:    func(s *mailtest.Server) string { return "smtps://sensor%40example.org@" + s.Addr },
			withCA: true, wantTLS: true, wantUser: "sensor@example.org"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, tc.opts)
			cfg := Config{SMTP: tc.url(srv)}
			if tc.withCA {
				cfg.CAFile = srv.CAFile
			}
			if tc.auth {
				cfg.Username = "sensor"
			}
			if tc.auth || tc.wantUser != "" {
				cfg.Password = testPassword
			}
			s := newTestSMTP(t, cfg)
			if tc.upgrade {
				s.loopbackPlain = false
			}
			from, to, raw := builtDigest(t)
			if err := s.Send(context.Background(), from, to, raw); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.Messages()
			if len(got) != 1 {
				t.Fatalf("server has %d messages, want 1", len(got))
			}
			want := mailtest.Message{From: from, To: to, Data: raw, TLS: tc.wantTLS, User: tc.wantUser}
			if diff := cmp.Diff(want, got[0]); diff != "" {
				t.Errorf("received message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSMTPFailures(t *testing.T) {
	tests := []struct {
		name      string
		opts      mailtest.Options
		query     string
		noCA      bool
		password  string
		stage     string
		code      int
		temporary bool
		mention   string
	}{
		{name: "4xx on RCPT", opts: mailtest.Options{RcptReply: 450}, stage: "rcpt", code: 450, temporary: true, mention: "soc@example.org"},
		{name: "5xx on RCPT (refused recipient retries)", opts: mailtest.Options{RcptReply: 550, RejectRcpt: "joerg@example.org"},
			stage: "rcpt", code: 550, temporary: true, mention: "joerg@example.org"},
		{name: "4xx on MAIL", opts: mailtest.Options{MailReply: 421}, stage: "mail", code: 421, temporary: true},
		{name: "4xx on DATA", opts: mailtest.Options{DataReply: 451}, stage: "data", code: 451, temporary: true},
		{name: "5xx on DATA (refused message retries)", opts: mailtest.Options{DataReply: 554}, stage: "data", code: 554, temporary: true},
		{name: "starttls required but not offered", query: "?starttls=required", stage: "starttls", mention: "does not offer STARTTLS"},
		{name: "unknown CA on starttls", opts: mailtest.Options{STARTTLS: true}, query: "?starttls=required", noCA: true,
			stage: "starttls", mention: "certificate"},
		{name: "unknown CA on implicit tls", opts: mailtest.Options{ImplicitTLS: true}, noCA: true, stage: "tls", mention: "certificate"},
		{name: "wrong password", opts: mailtest.Options{ImplicitTLS: true, AuthUser: "sensor", AuthPass: "other"},
			password: testPassword, stage: "auth", code: 535},
		{name: "server wants auth, none configured", opts: mailtest.Options{ImplicitTLS: true, AuthUser: "sensor", AuthPass: "x"},
			stage: "mail", code: 530},
		{name: "server offers no auth", opts: mailtest.Options{ImplicitTLS: true}, password: testPassword,
			stage: "auth", mention: "does not offer AUTH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, tc.opts)
			cfg := Config{SMTP: srv.URL() + tc.query}
			if !tc.noCA {
				cfg.CAFile = srv.CAFile
			}
			if tc.password != "" {
				cfg.Username, cfg.Password = "sensor", tc.password
			}
			s := newTestSMTP(t, cfg)
			from, to, raw := builtDigest(t)
			err := s.Send(context.Background(), from, to, raw)
			var de *DeliveryError
			if !errors.As(err, &de) {
				t.Fatalf("want *DeliveryError, got %T %v", err, err)
			}
			if de.Stage != tc.stage || de.Code != tc.code || de.Temporary != tc.temporary {
				t.Errorf("got stage %q code %d temporary %v, want %q %d %v (%v)",
					de.Stage, de.Code, de.Temporary, tc.stage, tc.code, tc.temporary, err)
			}
			if IsTemporary(err) != tc.temporary {
				t.Errorf("IsTemporary = %v", IsTemporary(err))
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error leaks the password: %v", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server accepted %d messages", n)
			}
		})
	}
}

// TestSMTPHangingServer: a server that accepts and never answers must fail
// by the session deadline, as a temporary error.
func TestSMTPHangingServer(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		name := "smtp"
		if implicit {
			name = "smtps"
		}
		t.Run(name, func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.Options{Hang: true})
			s := newTestSMTP(t, Config{SMTP: name + "://" + srv.Addr, Timeout: 300 * time.Millisecond, DialTimeout: 250 * time.Millisecond})
			from, to, raw := builtDigest(t)
			// The hang guard is far below any default timeout, so a
			// session deadline that is not applied fails here; the timeout
			// error below proves which deadline ended it.
			err := returnsWithin(t, 30*time.Second, "Send to a hanging server (session deadline 300ms)", func() error {
				return s.Send(context.Background(), from, to, raw)
			})
			if !IsTemporary(err) {
				t.Fatalf("want temporary error, got %v", err)
			}
			if srv.Connections() != 1 {
				t.Errorf("server saw %d connections", srv.Connections())
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("want a timeout error, got %v", err)
			}
		})
	}
}

func TestSMTPContext(t *testing.T) {
	t.Run("cancel aborts a hanging session", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{Hang: true})
		s := newTestSMTP(t, Config{SMTP: srv.URL(), Timeout: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		from, to, raw := builtDigest(t)
		// Guard below the 1-minute session timeout: only the cancel can
		// end the send in time.
		err := returnsWithin(t, 30*time.Second, "Send after its context was cancelled", func() error {
			return s.Send(ctx, from, to, raw)
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled in chain, got %v", err)
		}
		if IsTemporary(err) {
			t.Error("a cancelled send is reported as temporary")
		}
	})
	t.Run("ctx deadline shorter than timeout wins", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{Hang: true})
		s := newTestSMTP(t, Config{SMTP: srv.URL(), Timeout: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		from, to, raw := builtDigest(t)
		err := returnsWithin(t, 30*time.Second, "Send past its context's 200ms deadline (session timeout 1m)", func() error {
			return s.Send(ctx, from, to, raw)
		})
		if !IsTemporary(err) {
			t.Fatalf("want temporary error, got %v", err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("want the context's deadline in the chain, got %v", err)
		}
	})
}

func TestSMTPDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	s := newTestSMTP(t, Config{SMTP: "smtp://" + addr})
	from, to, raw := builtDigest(t)
	err = s.Send(context.Background(), from, to, raw)
	var de *DeliveryError
	if !errors.As(err, &de) || de.Stage != "dial" || !de.Temporary {
		t.Fatalf("want temporary dial error, got %#v", err)
	}
}

func TestSMTPEnvelopeChecks(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := newTestSMTP(t, Config{SMTP: srv.URL()})
	_, _, raw := builtDigest(t)
	tests := []struct {
		name string
		from string
		to   []string
		msg  []byte
	}{
		{"CRLF in from", "a@b.test\r\nRCPT TO:<x@y.test>", []string{"soc@example.org"}, raw},
		{"CRLF in to", "a@b.test", []string{"soc@example.org\r\nDATA"}, raw},
		{"angle bracket", "a@b.test", []string{"<soc@example.org>"}, raw},
		{"no recipients", "a@b.test", nil, raw},
		{"empty message", "a@b.test", []string{"soc@example.org"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Send(context.Background(), tc.from, tc.to, tc.msg)
			if err == nil || IsTemporary(err) {
				t.Fatalf("want a permanent error, got %v", err)
			}
		})
	}
	if n := srv.Connections(); n != 0 {
		t.Errorf("invalid envelopes opened %d connections", n)
	}
}

func TestScrub(t *testing.T) {
	// base64("\x00sensor\x00s3cret-Pa55word") as AUTH PLAIN sends it.
	plain := "AHNlbnNvcgBzM2NyZXQtUGE1NXdvcmQ="
	tests := []struct{ in, want string }{
		{"535 bad password s3cret-Pa55word", "535 bad password [redacted]"},
		{"echo " + plain, "echo [redacted]"},
		{"echo " + strings.TrimRight(plain, "="), "echo [redacted]"},
		// Generic forms the old scrub() copy missed: a relay echoing a
		// URL with another password, or an Authorization header.
		{"relay smtp://sensor:0ther-pw@mx.example failed", "relay smtp://sensor:[redacted]@mx.example failed"},
		{"proxy said Authorization: Basic c2Vuc29yOnh5eg==", "proxy said Authorization: Basic [redacted]"},
		{"nothing secret", "nothing secret"},
	}
	for _, tc := range tests {
		got := secrets("sensor", testPassword).Error(errors.New(tc.in)).Error()
		if got != tc.want {
			t.Errorf("scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if secrets("u", "p").Error(nil) != nil {
		t.Error("scrub(nil) != nil")
	}
}

// returnsWithin runs fn and fails the test if it has not returned after
// guard. It is a hang guard only, never a speed check: a loaded 2-core CI
// may be slow, so the guard is generous and the tests assert behaviour
// (the error, its cause) instead of elapsed time.
func returnsWithin[T any](t *testing.T, guard time.Duration, what string, fn func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- fn() }()
	select {
	case v := <-done:
		return v
	case <-time.After(guard):
		t.Fatalf("%s did not return within %v", what, guard)
		panic("unreachable")
	}
}
