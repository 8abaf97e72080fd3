package reliability

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/mail/mailtest"
	"github.com/suricron/suricron/tools/soak/soak"
)

// TestSoakShort is the short crash and rotation soak inside make test (the
// long one is `make soak`): for each logrotate mode, a live writer, real
// logrotate every 0.5–1.5 s and the three consuming commands in loops with
// 40 % of their runs SIGKILLed (digests to the real postfix in CI). Every
// alert complete in some file reaches each receiver; duplicates only as whole batches resent after a kill (or,
// for weekly-report's totals, within one batch per kill).
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	if _, err := soak.LogrotateBin(); err != nil {
		if os.Getenv("SURICRON_REQUIRE_TOOLS") == "1" {
			t.Fatal("logrotate not installed (SURICRON_REQUIRE_TOOLS=1)")
		}
		t.Skip("logrotate not installed")
	}
	// Digests go through the real postfix where it runs (CI), else through
	// the sendmail stand-in.
	var smtp *soak.SMTP
	if mta, ok := mailtest.PostfixFromEnv(); ok {
		smtp = &soak.SMTP{URL: mta.URL, CAFile: mta.CAFile, Maildir: mta.Maildir}
	}
	for _, mode := range []string{soak.ModeCreate, soak.ModeCopytruncate} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			rs, err := soak.Run(ctx, soak.Config{
				Bin: binDir, Dir: filepath.Join(t.TempDir(), "soak"), Duration: 8 * time.Second, Mode: mode,
				Rate: 150, RotateMin: 500 * time.Millisecond, RotateMax: 1500 * time.Millisecond,
				KillProb: 0.4, Seed: uint64(time.Now().UnixNano()), SMTP: smtp, Logf: t.Logf,
			})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			soak.Format(&b, rs)
			t.Logf("\n%s", b.String())
			for _, r := range rs {
				for _, p := range r.Problems {
					t.Errorf("%s/%s broke a guarantee: %s (trace.log in the soak dir shows each run's checkpoint decisions)", mode, r.Command, p)
				}
				if r.Written < 500 || r.Kills == 0 || r.Rotations == 0 {
					t.Errorf("%s/%s: %d written, %d kills, %d rotations: the soak did not exercise anything", mode, r.Command, r.Written, r.Kills, r.Rotations)
				}
				if r.Lost != 0 {
					t.Errorf("%s/%s lost %d", mode, r.Command, r.Lost)
				}
			}
		})
	}
}
