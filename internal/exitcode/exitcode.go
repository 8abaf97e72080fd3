// Package exitcode holds the documented exit codes and the error wrapper
// that asks for one (WithCode, Usage, Data, TempFail). It is a leaf, importing
// nothing of this module, so that any floor may mark an error without pulling
// in the command-line layer (kong, gocron, go-toml), which is where the one
// table that turns errors into codes lives: cli.ExitCode. That table also
// classifies the domains' own sentinel errors (lock busy, corrupt state,
// unusable secret file...); a domain marks an error here only for a
// condition its caller has no sentinel to recognise.
//
// The constants keep the Exit prefix they had in internal/cli so that
// moving a call site is a pure package rename (tools/refactor/exitcode.sh);
// exitcode.Usage is the function that marks an error, exitcode.ExitUsage its
// code.
package exitcode

import "fmt"

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

// ExitCode reports the code this error asks for; cli.ExitCode reads it
// through this method, as it reads any error that has one.
func (e *codedError) ExitCode() int { return e.code }

// WithCode wraps err so that cli.ExitCode(err) returns code. A nil err
// stays nil.
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
