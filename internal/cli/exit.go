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

	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/secretfile"
)

// ExitCode maps any error to the documented exit code. The outermost coded
// error wins, so a caller can reclassify what a lower layer said.
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
	switch {
	case errors.Is(err, secretfile.ErrUnusable):
		return exitcode.ExitUsage
	case errors.Is(err, context.Canceled):
		return exitcode.ExitInterrupted
	}
	return exitcode.ExitFailure
}
