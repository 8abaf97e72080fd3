package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"syscall"

	"github.com/suricron/suricron/internal/redact"
)

// ErrConfig marks errors in the transport configuration (bad URL, unknown
// option, unreadable CA file). Callers map it to the usage/config exit code.
var ErrConfig = errors.New("mail configuration")

// DeliveryError reports a failed delivery. Temporary is set when a later
// attempt may succeed without anyone changing the configuration: the server
// is unreachable or timed out, or it refused the sender, a recipient or the
// message (the design treats every refusal as "retry on the next run"), or
// sendmail exited non-zero. TLS verification failures, refused credentials
// and missing server features are not temporary: retrying cannot fix them.
type DeliveryError struct {
	Transport string // "smtp" or "sendmail"
	Server    string // host:port, or the sendmail path
	Stage     string // dial, tls, greeting, hello, starttls, auth, mail, rcpt, data, exec
	Code      int    // SMTP reply code, or sendmail's exit status; 0 if none
	Temporary bool
	Err       error
}

func (e *DeliveryError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("%s delivery via %s failed at %s (%s): %v", e.Transport, e.Server, e.Stage, kind, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// IsTemporary reports whether err is, or wraps, a temporary DeliveryError:
// nothing was delivered and the same mail should be sent by the next run
// (exit code 75).
func IsTemporary(err error) bool {
	var de *DeliveryError
	return errors.As(err, &de) && de.Temporary
}

// classify decides whether an error at the given SMTP stage is temporary.
func classify(ctx context.Context, stage string, err error) (code int, temporary bool) {
	if errors.Is(err, context.Canceled) || (ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled)) {
		// Interrupted by the caller (SIGINT/SIGTERM): the caller reports that.
		return 0, false
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		switch {
		case te.Code == 530 || te.Code == 535 || te.Code == 538:
			// Authentication required / refused: fix the credentials.
			return te.Code, false
		case te.Code >= 400 && te.Code < 500:
			return te.Code, true
		case te.Code >= 500 && te.Code < 600:
			switch stage {
			case "greeting", "mail", "rcpt", "data":
				return te.Code, true
			}
		}
		return te.Code, false
	}
	if isCertError(err) {
		return 0, false
	}
	var recHdr tls.RecordHeaderError
	if errors.As(err, &recHdr) {
		// Plain text where TLS was expected: a wrong port or scheme.
		return 0, false
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, context.DeadlineExceeded) {
		return 0, true
	}
	return 0, false
}

func isCertError(err error) bool {
	var (
		cve *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
	)
	return errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// secrets is the password in every form it can take on the wire: clear,
// base64 (AUTH LOGIN) and the AUTH PLAIN blob "\x00user\x00password", whose
// base64 does not contain the password's own. Scrubbing itself is
// internal/redact's, the one scrubber of the project; it also removes URL
// passwords and Authorization values a server might echo.
func secrets(user, password string) *redact.Secrets {
	s := redact.New(password)
	if password != "" {
		s.Add("\x00"+user+"\x00"+password, "[redacted]")
	}
	return s
}
