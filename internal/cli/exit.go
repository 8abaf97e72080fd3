// Package cli holds what every suricron command shares on its command line:
// the kong flag groups, the TOML config file and SURICRON_* environment
// resolution (flag > env > file > default), logging set-up, the signal
// context, service mode (--every) and the one table that maps errors to exit
// codes.
package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/alecthomas/kong"
)

// Exit codes, documented in README.md. Cron and systemd act on them: 75 means
// "try again later, nothing was committed"; anything unknown means failure.
const (
	ExitOK          = 0   // success, including "nothing new"
	ExitFailure     = 1   // the run failed; state not advanced
	ExitUsage       = 2   // bad flags, config file or missing secrets
	ExitData        = 65  // bad data stops the run (corrupt state, rejected tarball)
	ExitTempFail    = 75  // lock busy or server unreachable; the next run retries
	ExitInterrupted = 130 // SIGINT/SIGTERM; nothing half-done was committed
)

// codedError attaches an exit code to an error without changing its message.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// ExitCode reports the code this error asks for.
func (e *codedError) ExitCode() int { return e.code }

// WithCode wraps err so that ExitCode(err) returns code. A nil err stays nil.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codedError{code: code, err: err}
}

// Usage marks err as a usage or configuration error (exit 2).
func Usage(err error) error { return WithCode(ExitUsage, err) }

// Data marks err as bad input data that stops the run (exit 65).
func Data(err error) error { return WithCode(ExitData, err) }

// TempFail marks err as temporary: nothing was committed, retry later (exit 75).
func TempFail(err error) error { return WithCode(ExitTempFail, err) }

// Usagef is Usage(fmt.Errorf(...)).
func Usagef(format string, a ...any) error { return Usage(fmt.Errorf(format, a...)) }

// ExitCode maps any error to the documented exit code. The outermost coded
// error wins, so a caller can reclassify what a lower layer said.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ce interface{ ExitCode() int }
	if errors.As(err, &ce) {
		if _, isKong := ce.(*kong.ParseError); isKong {
			return ExitUsage // kong's own code is 80; we document 2
		}
		return ce.ExitCode()
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	return ExitFailure
}
