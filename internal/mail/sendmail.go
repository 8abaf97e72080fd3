package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"time"
)

// maxStderr bounds how much of sendmail's stderr goes into an error.
const maxStderr = 2048

// sendmailSender pipes the message to a sendmail-compatible binary.
type sendmailSender struct {
	path    string
	timeout time.Duration
	log     *slog.Logger
}

func (s *sendmailSender) String() string { return "sendmail " + s.path }

// Send runs "path -t -i" with msg on stdin. With -t the recipients are read
// from the message's header (Build writes them from Message.To); from and to
// are only checked. -i keeps a line holding a single dot from ending the
// message early.
func (s *sendmailSender) Send(ctx context.Context, from string, to []string, msg []byte) error {
	if err := checkEnvelope(from, to, msg); err != nil {
		return s.fail(0, false, err)
	}
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, s.path, "-t", "-i")
	cmd.Stdin = bytes.NewReader(msg)
	var stderr limitedBuffer
	stderr.max = maxStderr
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	// A child that keeps stderr open must not keep us waiting past the kill.
	cmd.WaitDelay = 2 * time.Second

	start := time.Now()
	err := cmd.Run()
	s.log.Debug("sendmail finished", "path", s.path, "duration", time.Since(start), "err", err)
	if err == nil {
		return nil
	}
	detail := strings.TrimSpace(stderr.String())
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return s.fail(0, false, fmt.Errorf("%w (sendmail stopped)", ctx.Err()))
	case rctx.Err() != nil:
		return s.fail(0, true, fmt.Errorf("no exit within %s: %w", s.timeout, rctx.Err()))
	case errors.As(err, &ee):
		if detail == "" {
			detail = "no output"
		}
		return s.fail(ee.ExitCode(), true, fmt.Errorf("%w: %s", err, detail))
	default:
		// Could not start it at all: a setup problem, not a passing one.
		return s.fail(0, false, err)
	}
}

func (s *sendmailSender) fail(code int, temporary bool, err error) error {
	return &DeliveryError{
		Transport: "sendmail",
		Server:    s.path,
		Stage:     "exec",
		Code:      code,
		Temporary: temporary,
		Err:       err,
	}
}

// limitedBuffer keeps the first max bytes written and discards the rest,
// so a chatty failing binary cannot grow our memory.
type limitedBuffer struct {
	buf       bytes.Buffer
	max       int
	truncated bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
			b.truncated = true
		} else {
			b.buf.Write(p)
		}
	} else if len(p) > 0 {
		b.truncated = true
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	if b.truncated {
		return b.buf.String() + " [truncated]"
	}
	return b.buf.String()
}
