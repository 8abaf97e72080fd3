package exitcode

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestWithCode(t *testing.T) {
	base := fmt.Errorf("open state: %w", fs.ErrNotExist)
	for _, tt := range []struct {
		name string
		err  error
		code int
	}{
		{"usage", Usage(base), ExitUsage},
		{"usagef", Usagef("state: %w", base), ExitUsage},
		{"data", Data(base), ExitData},
		{"tempfail", TempFail(base), ExitTempFail},
		{"other", WithCode(ExitInterrupted, base), ExitInterrupted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var ce interface{ ExitCode() int }
			if !errors.As(tt.err, &ce) || ce.ExitCode() != tt.code {
				t.Fatalf("%v: no code %d", tt.err, tt.code)
			}
			// The mark changes neither the message nor the chain.
			if !errors.Is(tt.err, fs.ErrNotExist) || !errors.Is(tt.err, base) && tt.name != "usagef" {
				t.Errorf("%v lost its chain", tt.err)
			}
			if tt.name != "usagef" && tt.err.Error() != base.Error() {
				t.Errorf("message %q, want %q", tt.err, base)
			}
		})
	}
	if WithCode(ExitData, nil) != nil || Usage(nil) != nil || TempFail(nil) != nil || Data(nil) != nil {
		t.Error("a nil error must stay nil")
	}
}
