package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"slices"
	"strings"
	"time"
)

// smtpSender is the SMTP transport. net/smtp does the protocol; this type
// adds what it lacks: a deadline on the connection for the whole session,
// verified TLS with our CA, implicit TLS, STARTTLS policy, AUTH LOGIN, and
// classified errors.
type smtpSender struct {
	addr        string // host:port
	host        string
	implicitTLS bool
	starttls    starttlsMode
	username    string
	password    string
	tls         *tls.Config
	dialTimeout time.Duration
	timeout     time.Duration
	helo        string
	log         *slog.Logger
	// loopbackPlain skips STARTTLS in auto mode on loopback hosts. Always
	// true outside tests; tests clear it to exercise the upgrade against
	// servers that can only listen on 127.0.0.1.
	loopbackPlain bool
}

// String describes the transport for logs, without credentials.
func (s *smtpSender) String() string {
	scheme := "smtp"
	if s.implicitTLS {
		scheme = "smtps"
	}
	return scheme + "://" + s.addr
}

// Send delivers msg in one SMTP session. The session, including dialling,
// ends by Config.Timeout or ctx's deadline, whichever comes first; a
// cancelled ctx aborts it at once.
func (s *smtpSender) Send(ctx context.Context, from string, to []string, msg []byte) error {
	if err := checkEnvelope(from, to, msg); err != nil {
		return s.fail(ctx, "mail", err)
	}
	deadline := time.Now().Add(s.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	conn, err := s.dial(dctx)
	if err != nil {
		stage := "dial"
		if isCertError(err) {
			stage = "tls"
		}
		return s.fail(ctx, stage, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return s.fail(ctx, "dial", err)
	}
	// A deadline in the past makes every pending read and write fail now.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return s.fail(ctx, "greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.helo); err != nil {
		return s.fail(ctx, "hello", err)
	}

	secure := s.implicitTLS
	if !s.implicitTLS {
		offered, _ := c.Extension("STARTTLS")
		switch {
		case s.starttls == starttlsRequired && !offered:
			return s.fail(ctx, "starttls", errors.New("server does not offer STARTTLS and starttls=required"))
		case offered && (s.starttls == starttlsRequired || !s.loopbackPlain || !isLoopback(s.host)):
			// Loopback is left alone in auto mode: the bytes never leave
			// the host, and local MTAs commonly offer a snakeoil
			// certificate that does not name "localhost".
			if err := c.StartTLS(s.tls.Clone()); err != nil {
				return s.fail(ctx, "starttls", err)
			}
			secure = true
		}
	}
	s.log.Debug("smtp session", "server", s.addr, "tls", secure)

	if s.username != "" {
		if err := s.auth(c, secure); err != nil {
			return s.fail(ctx, "auth", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return s.fail(ctx, "mail", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return s.fail(ctx, "rcpt", fmt.Errorf("recipient %s: %w", r, err))
		}
	}
	w, err := c.Data()
	if err != nil {
		return s.fail(ctx, "data", err)
	}
	if _, err := w.Write(msg); err != nil {
		_ = w.Close()
		return s.fail(ctx, "data", err)
	}
	// Close sends the final dot and reads the server's verdict.
	if err := w.Close(); err != nil {
		return s.fail(ctx, "data", err)
	}
	// The message is accepted now. A failing QUIT must not turn that into an
	// error, or the next run would send the same mail again.
	if err := c.Quit(); err != nil {
		s.log.Debug("smtp quit after accepted message", "server", s.addr, "err", err)
	}
	return nil
}

func (s *smtpSender) dial(ctx context.Context) (net.Conn, error) {
	nd := &net.Dialer{Timeout: s.dialTimeout}
	if !s.implicitTLS {
		return nd.DialContext(ctx, "tcp", s.addr)
	}
	// The handshake is part of dialling: bound it by the dial timeout too.
	hctx, cancel := context.WithTimeout(ctx, s.dialTimeout)
	defer cancel()
	td := &tls.Dialer{NetDialer: nd, Config: s.tls.Clone()}
	return td.DialContext(hctx, "tcp", s.addr)
}

func (s *smtpSender) auth(c *smtp.Client, secure bool) error {
	if !secure && !isLoopback(s.host) {
		return errors.New("refusing to send the password over an unencrypted connection (server did not offer STARTTLS; use smtps:// or a server with TLS)")
	}
	ok, params := c.Extension("AUTH")
	if !ok {
		return errors.New("server does not offer AUTH")
	}
	mechs := strings.Fields(strings.ToUpper(params))
	var a smtp.Auth
	switch {
	case slices.Contains(mechs, "PLAIN"):
		a = &plainAuth{user: s.username, pass: s.password}
	case slices.Contains(mechs, "LOGIN"):
		a = &loginAuth{user: s.username, pass: s.password}
	default:
		return fmt.Errorf("server offers AUTH %s; supported: PLAIN, LOGIN", params)
	}
	return c.Auth(a)
}

func (s *smtpSender) fail(ctx context.Context, stage string, err error) error {
	code, temp := classify(ctx, stage, err)
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
		// The session's deadline is ctx's when that is sooner: the read
		// times out at the same instant, and may return before ctx's own
		// timer has marked it done.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		// Keep the cause visible to errors.Is(err, context.Canceled).
		err = fmt.Errorf("%w: %w", cerr, err)
	}
	return &DeliveryError{
		Transport: "smtp",
		Server:    s.String(),
		Stage:     stage,
		Code:      code,
		Temporary: temp,
		Err:       secrets(s.username, s.password).Error(err),
	}
}

// checkEnvelope refuses addresses that would break the SMTP command line.
func checkEnvelope(from string, to []string, msg []byte) error {
	if len(to) == 0 {
		return errors.New("no recipients")
	}
	if len(msg) == 0 {
		return errors.New("empty message")
	}
	for _, a := range append([]string{from}, to...) {
		if strings.ContainsAny(a, "\r\n<>\x00") || strings.TrimSpace(a) != a {
			return fmt.Errorf("envelope address %q: invalid characters", a)
		}
	}
	for _, a := range to {
		if a == "" {
			return errors.New("empty recipient address")
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// plainAuth is AUTH PLAIN (RFC 4616). net/smtp's PlainAuth is not used
// because it insists that its host argument equal the dialled name and
// refuses non-TLS connections itself; this package applies its own policy
// (see smtpSender.auth) before any mechanism runs.
type plainAuth struct{ user, pass string }

func (a *plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge during AUTH PLAIN")
	}
	return nil, nil
}

// loginAuth is the obsolete but common AUTH LOGIN: the server prompts for
// "Username:" and "Password:", each answered in base64 (net/smtp does the
// encoding).
type loginAuth struct {
	user, pass string
	step       int
}

func (a *loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	prompt := strings.ToLower(string(fromServer))
	switch {
	case strings.Contains(prompt, "user"):
		return []byte(a.user), nil
	case strings.Contains(prompt, "pass"):
		return []byte(a.pass), nil
	case a.step == 1: // servers with non-standard prompts: order is fixed
		return []byte(a.user), nil
	case a.step == 2:
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected AUTH LOGIN prompt %q", fromServer)
}
