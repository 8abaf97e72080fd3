package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Sender delivers one message, built by Build, to the given envelope
// addresses. It returns nil only when the server (or sendmail) accepted the
// message; failures are *DeliveryError.
type Sender interface {
	Send(ctx context.Context, from string, to []string, msg []byte) error
}

// DefaultSMTP is used when neither Config.SMTP nor Config.Sendmail is set.
const DefaultSMTP = "smtp://localhost:25"

// Default timeouts.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultTimeout     = 60 * time.Second
)

// Config selects and configures the transport. Set at most one of SMTP and
// Sendmail; leave SMTP empty rather than defaulting it in the caller, so a
// given Sendmail path is not in conflict with a default URL.
type Config struct {
	// SMTP is smtp://host[:port] (default port 25; STARTTLS when offered,
	// with ?starttls=required failing when it is not) or smtps://host[:port]
	// (implicit TLS, default port 465). A username may be given as
	// smtp://user@host; a password in the URL is refused.
	SMTP string
	// Sendmail is the path of a sendmail-compatible binary, run as
	// "PATH -t -i": recipients come from the message's To header.
	Sendmail string

	Username string // SMTP AUTH user (or in the URL)
	Password string // SMTP AUTH password, read from a file by the caller
	CAFile   string // PEM file of CAs trusted for the server's certificate instead of the system's

	DialTimeout time.Duration // connecting (and the TLS handshake for smtps); default 10s
	Timeout     time.Duration // the whole delivery, or sendmail's run time; default 60s
	HELO        string        // EHLO name; default the host name

	Logger *slog.Logger // debug progress; nil logs nothing
}

// NewSender checks cfg and returns the transport it describes. Errors wrap
// ErrConfig and never contain the password.
func NewSender(cfg Config) (Sender, error) {
	if cfg.DialTimeout < 0 || cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative timeout", ErrConfig)
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Sendmail != "" {
		if cfg.SMTP != "" {
			return nil, fmt.Errorf("%w: both an SMTP URL and a sendmail path are set; choose one", ErrConfig)
		}
		path, err := sendmailPath(cfg.Sendmail)
		if err != nil {
			return nil, err
		}
		return &sendmailSender{path: path, timeout: cfg.Timeout, log: log}, nil
	}
	if cfg.SMTP == "" {
		cfg.SMTP = DefaultSMTP
	}
	return newSMTPSender(cfg, log)
}

func sendmailPath(p string) (string, error) {
	if strings.ContainsAny(p, "\r\n\x00") {
		return "", fmt.Errorf("%w: sendmail path %q: control character", ErrConfig, p)
	}
	if !filepath.IsAbs(p) {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%w: sendmail %q: %w", ErrConfig, p, err)
		}
		p = found
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("%w: sendmail: %w", ErrConfig, err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%w: sendmail %s is not an executable file", ErrConfig, p)
	}
	return p, nil
}

type starttlsMode int

const (
	starttlsAuto     starttlsMode = iota // upgrade when offered (not on loopback)
	starttlsRequired                     // fail unless upgraded
)

var heloRe = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$`)

func newSMTPSender(cfg Config, log *slog.Logger) (*smtpSender, error) {
	shown := redactURL(cfg.SMTP)
	u, err := url.Parse(cfg.SMTP)
	if err != nil {
		// url's own message repeats the raw value, which may hold a password.
		return nil, fmt.Errorf("%w: SMTP URL %q is not a valid URL", ErrConfig, shown)
	}
	s := &smtpSender{
		loopbackPlain: true,
		dialTimeout:   cfg.DialTimeout,
		timeout:       cfg.Timeout,
		log:           log,
	}
	var defPort string
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		defPort = "25"
	case "smtps":
		defPort = "465"
		s.implicitTLS = true
	default:
		return nil, fmt.Errorf("%w: SMTP URL %q: unsupported scheme %q (want smtp or smtps)", ErrConfig, shown, u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: SMTP URL %q: no host (want %s://host:port)", ErrConfig, shown, u.Scheme)
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, fmt.Errorf("%w: SMTP URL %q: unexpected path or fragment", ErrConfig, shown)
	}
	port := u.Port()
	if port == "" {
		port = defPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("%w: SMTP URL %q: bad port %q", ErrConfig, shown, port)
	}
	s.host = u.Hostname()
	s.addr = net.JoinHostPort(s.host, port)

	for key, vals := range u.Query() {
		switch key {
		case "starttls":
			if s.implicitTLS {
				return nil, fmt.Errorf("%w: SMTP URL %q: starttls does not apply to smtps", ErrConfig, shown)
			}
			switch v := vals[len(vals)-1]; v {
			case "auto", "":
				s.starttls = starttlsAuto
			case "required":
				s.starttls = starttlsRequired
			default:
				return nil, fmt.Errorf("%w: SMTP URL %q: starttls=%q (want auto or required)", ErrConfig, shown, v)
			}
		default:
			return nil, fmt.Errorf("%w: SMTP URL %q: unknown option %q", ErrConfig, shown, key)
		}
	}

	if u.User != nil {
		if _, has := u.User.Password(); has {
			return nil, fmt.Errorf("%w: SMTP URL %q: a password in the URL is not allowed; use a password file", ErrConfig, shown)
		}
		s.username = u.User.Username()
	}
	if cfg.Username != "" {
		if s.username != "" && s.username != cfg.Username {
			return nil, fmt.Errorf("%w: SMTP username given twice (URL %q and option %q)", ErrConfig, s.username, cfg.Username)
		}
		s.username = cfg.Username
	}
	s.password = cfg.Password
	if s.username != "" && s.password == "" {
		return nil, fmt.Errorf("%w: SMTP username %q given without a password", ErrConfig, s.username)
	}
	if s.username == "" && s.password != "" {
		return nil, fmt.Errorf("%w: SMTP password given without a username", ErrConfig)
	}
	if err := checkHeaderValue("SMTP username", s.username); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}

	// Verification is always on: there is deliberately no way to skip it.
	s.tls = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: CA file: %w", ErrConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: CA file %s: no PEM certificates", ErrConfig, cfg.CAFile)
		}
		s.tls.RootCAs = pool
	}

	s.helo = cfg.HELO
	if s.helo == "" {
		if h, err := os.Hostname(); err == nil && heloRe.MatchString(h) {
			s.helo = h
		} else {
			s.helo = "localhost"
		}
	} else if !heloRe.MatchString(s.helo) {
		return nil, fmt.Errorf("%w: HELO name %q is not a host name or address literal", ErrConfig, s.helo)
	}
	return s, nil
}

// redactURL hides the userinfo's password of a URL that may not even
// parse, so config errors can name the value safely.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		if strings.Contains(raw, "@") {
			return "[unparsable URL with credentials]"
		}
		return raw
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
			return scheme + "://" + user + ":xxxxx@" + rest[at+1:]
		}
	}
	return raw
}
