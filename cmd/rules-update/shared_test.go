package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/suricron/suricron/internal/sharedtest"
)

// TestSharedScripts runs the scripts that need the real data of
// ../shared/testdata (ET Open tarballs, Suricata 7.0.17's suricata.yaml),
// found as $SHARED; they skip without it (fail under
// SURICRON_REQUIRE_SHARED=1).
func TestSharedScripts(t *testing.T) {
	shared := sharedtest.Dir(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/shared",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("SHARED", shared)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mktar": mktar,
			"exits": exits,
		},
	})
}
