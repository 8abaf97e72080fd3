package report

import (
	"fmt"

	"github.com/alecthomas/kong"
)

// timeArg is the value of --since and --until. kong reads "--since -3d" as
// --since followed by a short flag -3 (issue 20: "-3d is rejected", though
// report.ParseTimeArg reads it as three days back). Its mapper takes the
// next argument as the value when it is one, or when it is a hyphen and a
// digit: no flag of weekly-report is a digit, so "-3d", "-2w" or "-36h"
// can only be a time back from now. Any other flag-like argument ("--since
// --format json") is still an error, so a forgotten value never swallows
// the next flag.
type timeArg string

func (a *timeArg) Decode(ctx *kong.DecodeContext) error {
	t := ctx.Scan.Pop()
	if t.IsEOL() {
		return fmt.Errorf("expected a time value")
	}
	s := t.String()
	if !t.IsValue() && !(len(s) > 1 && s[0] == '-' && '0' <= s[1] && s[1] <= '9') {
		return fmt.Errorf("expected a time value but got %q (a flag)", s)
	}
	*a = timeArg(s)
	return nil
}
