// Package mailtest runs a real SMTP server (emersion/go-smtp) inside the
// test binary on 127.0.0.1, for tests of anything that sends mail, and reads
// back what a real MTA delivered into a Maildir.
//
// The server can offer STARTTLS or speak implicit TLS with a certificate it
// generates (the PEM is written for the client's CA option), require AUTH
// PLAIN/LOGIN, reject MAIL, RCPT or DATA with a chosen reply code, or accept
// connections and never answer, to test timeouts. Every accepted message is
// recorded with its envelope.
package mailtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// Options configure Start. The zero value is a plain SMTP server that
// accepts everything.
type Options struct {
	STARTTLS    bool // offer STARTTLS
	ImplicitTLS bool // TLS from the first byte (smtps)

	// AuthUser and AuthPass, when set, make AUTH mandatory before MAIL.
	AuthUser, AuthPass string
	// AuthMechanisms offered; default PLAIN and LOGIN.
	AuthMechanisms []string
	// AllowInsecureAuth permits AUTH on a connection without TLS.
	AllowInsecureAuth bool

	// MailReply, RcptReply and DataReply, when non-zero, reject that
	// command with this code (4xx or 5xx). RejectRcpt limits RcptReply to
	// one address; empty means every recipient.
	MailReply, RcptReply, DataReply int
	RejectRcpt                      string

	// Hang accepts TCP connections and never sends a byte.
	Hang bool

	// MaxMessageBytes; default 10 MiB like postfix.
	MaxMessageBytes int64
}

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte // as received, after dot-unstuffing
	TLS  bool   // the session was encrypted
	User string // the authenticated user, if any
}

// Parse parses the recorded data; see ParseMessage.
func (m Message) Parse() (*Parsed, error) { return ParseMessage(m.Data) }

// Server is a running test server.
type Server struct {
	Addr string // 127.0.0.1:port
	// CAFile is a PEM file with the certificate that signs the server's
	// (for TLS options; empty otherwise), for mail.Config.CAFile.
	CAFile string
	// CertPool holds the same certificate, for tls.Config.RootCAs.
	CertPool *x509.CertPool

	opts  Options
	srv   *gosmtp.Server
	ln    net.Listener
	mu    sync.Mutex
	msgs  []Message
	conns []net.Conn // hang mode
	wg    sync.WaitGroup
	nconn int
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := start(opts, t.TempDir())
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func start(opts Options, dir string) (*Server, error) {
	for _, c := range []int{opts.MailReply, opts.RcptReply, opts.DataReply} {
		if c != 0 && (c < 400 || c > 599) {
			return nil, fmt.Errorf("reply code %d is not 4xx or 5xx", c)
		}
	}
	s := &Server{opts: opts}
	var tlsCfg *tls.Config
	if opts.STARTTLS || opts.ImplicitTLS {
		cert, pemBytes, err := selfSigned()
		if err != nil {
			return nil, err
		}
		s.CAFile = filepath.Join(dir, "mailtest-ca.pem")
		if err := os.WriteFile(s.CAFile, pemBytes, 0o644); err != nil {
			return nil, fmt.Errorf("write CA file: %w", err)
		}
		s.CertPool = x509.NewCertPool()
		s.CertPool.AppendCertsFromPEM(pemBytes)
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.ln = ln
	s.Addr = ln.Addr().String()

	if opts.Hang {
		s.wg.Add(1)
		go s.hang()
		return s, nil
	}

	srv := gosmtp.NewServer(gosmtp.BackendFunc(s.newSession))
	srv.Domain = "mailtest.localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = opts.MaxMessageBytes
	if srv.MaxMessageBytes == 0 {
		srv.MaxMessageBytes = 10 << 20
	}
	srv.AllowInsecureAuth = opts.AllowInsecureAuth
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if opts.STARTTLS {
		srv.TLSConfig = tlsCfg
	}
	if opts.ImplicitTLS {
		// Allows AUTH on the implicit-TLS connection, which go-smtp only
		// recognises through TLSConfig.
		srv.TLSConfig = tlsCfg
		ln = tls.NewListener(ln, tlsCfg)
	}
	s.srv = srv
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = srv.Serve(ln)
	}()
	return s, nil
}

// URL is the address as mail.Config.SMTP wants it.
func (s *Server) URL() string {
	if s.opts.ImplicitTLS {
		return "smtps://" + s.Addr
	}
	return "smtp://" + s.Addr
}

// Messages returns a copy of the accepted messages, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		m.To = slices.Clone(m.To)
		m.Data = slices.Clone(m.Data)
		out[i] = m
	}
	return out
}

// Connections counts the TCP connections accepted so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nconn
}

// Close stops the server and drops open connections. It is registered
// with t.Cleanup by Start; calling it again is harmless.
func (s *Server) Close() {
	if s.srv != nil {
		_ = s.srv.Close()
	}
	// Also close the raw listener: go-smtp's Close only knows listeners
	// that Serve has registered, and Serve may not have started yet.
	_ = s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) hang() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.nconn++
		s.conns = append(s.conns, c)
		s.mu.Unlock()
	}
}

func (s *Server) newSession(c *gosmtp.Conn) (gosmtp.Session, error) {
	s.mu.Lock()
	s.nconn++
	s.mu.Unlock()
	return &session{srv: s, conn: c}, nil
}

type session struct {
	srv  *Server
	conn *gosmtp.Conn
	user string
	cur  Message
}

func reply(code int, what string) error {
	return &gosmtp.SMTPError{
		Code:         code,
		EnhancedCode: gosmtp.EnhancedCode{code / 100, 0, 0},
		Message:      "mailtest: " + what + " rejected by test option",
	}
}

func (ss *session) AuthMechanisms() []string {
	if ss.srv.opts.AuthUser == "" {
		return nil
	}
	if m := ss.srv.opts.AuthMechanisms; len(m) > 0 {
		return m
	}
	return []string{sasl.Plain, sasl.Login}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != ss.srv.opts.AuthUser || pass != ss.srv.opts.AuthPass {
			return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		ss.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "identity mismatch"}
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

func (ss *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if ss.srv.opts.AuthUser != "" && ss.user == "" {
		return &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if c := ss.srv.opts.MailReply; c != 0 {
		return reply(c, "sender")
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.cur = Message{From: from, TLS: isTLS, User: ss.user}
	return nil
}

func (ss *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if c := ss.srv.opts.RcptReply; c != 0 && (ss.srv.opts.RejectRcpt == "" || strings.EqualFold(ss.srv.opts.RejectRcpt, to)) {
		return reply(c, "recipient "+to)
	}
	ss.cur.To = append(ss.cur.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if c := ss.srv.opts.DataReply; c != 0 {
		return reply(c, "message")
	}
	ss.cur.Data = b
	ss.srv.mu.Lock()
	ss.srv.msgs = append(ss.srv.msgs, ss.cur)
	ss.srv.mu.Unlock()
	ss.cur = Message{}
	return nil
}

func (ss *session) Reset()        { ss.cur = Message{} }
func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl no longer
// provides.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if response != nil {
			// Initial response carries the user name.
			l.user = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(response)
		l.step++
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.user, string(response))
	}
	return nil, false, errors.New("unexpected AUTH LOGIN step")
}
