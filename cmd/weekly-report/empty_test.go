package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/suricron/suricron/internal/sharedtest"
)

// TestEmptyPeriodScript runs testdata/empty against the binary with the
// real eve samples of ../shared/testdata/eve in $EVE (issue 20: a period
// without data says which times the files do cover).
func TestEmptyPeriodScript(t *testing.T) {
	eve := sharedtest.Path(t, "eve")
	testscript.Run(t, testscript.Params{Dir: "testdata/empty", Setup: func(e *testscript.Env) error {
		e.Setenv("EVE", eve)
		return nil
	}})
}
