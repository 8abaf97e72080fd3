// Package cli holds what every suricron command shares on its command line:
// the kong flag groups, the TOML config file and SURICRON_* environment
// resolution (flag > env > file > default), logging set-up, the signal
// context, service mode (--every) and the one table that maps errors to exit
// codes.
package cli

import (
	"context"
	"errors"

	"github.com/alecthomas/kong"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/lock"
	"github.com/suricron/suricron/internal/mail"
	"github.com/suricron/suricron/internal/notify"
	"github.com/suricron/suricron/internal/rules/fetch"
	"github.com/suricron/suricron/internal/secretfile"
)

// ExitCode is the one table that maps an error to the documented exit code
// (README "Exit codes"). An error that asks for a code (exitcode.WithCode and
// its shorthands, kong's parse errors) gets it, the outermost one winning so
// that a caller can reclassify what a lower layer said. Otherwise the table
// reads what happened from the domains' own errors, as restic's main does:
// a domain says "the lock is held" or "the state is corrupt", and only this
// function knows that cron should hear 75 or 65 for it.
func ExitCode(err error) int {
	if err == nil {
		return exitcode.ExitOK
	}
	var ce interface{ ExitCode() int }
	if errors.As(err, &ce) {
		if _, isKong := ce.(*kong.ParseError); isKong {
			return exitcode.ExitUsage // kong's own code is 80; we document 2
		}
		return ce.ExitCode()
	}
	// A failed notification says itself whether a retry can help; it is
	// read before the context so that a delivery cut short by SIGTERM keeps
	// its outcome, as when it carried its own code.
	var ne *notify.Error
	if errors.As(err, &ne) {
		if ne.Outcome == notify.Temporary {
			return exitcode.ExitTempFail
		}
		return exitcode.ExitFailure
	}
	switch {
	case errors.Is(err, context.Canceled):
		return exitcode.ExitInterrupted
	// Bad data before "unavailable": a download that arrived broken is not
	// retried blindly.
	case errors.Is(err, checkpoint.ErrCorrupt), errors.Is(err, fetch.ErrBadData):
		return exitcode.ExitData
	case errors.Is(err, lock.ErrLocked), errors.Is(err, checkpoint.ErrRotating),
		errors.Is(err, fetch.ErrUnavailable), mail.IsTemporary(err):
		return exitcode.ExitTempFail
	case errors.Is(err, secretfile.ErrUnusable), errors.Is(err, atomicfile.ErrUnsafeDir), errors.Is(err, mail.ErrConfig):
		return exitcode.ExitUsage
	}
	return exitcode.ExitFailure
}
