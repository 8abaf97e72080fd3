package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/exitcode"
)

type profCmd struct {
	Common
	Profile     string   `help:"profile" config:"-" placeholder:"NAME"`
	MinSeverity int      `help:"min" default:"3"`
	To          []string `help:"to" config:"mail.to"`
	Match       string   `help:"re"`

	got *profCmd
}

func (c *profCmd) Run(context.Context, *Env) error { *c.got = *c; return nil }

func runProf(t *testing.T, args ...string) (int, profCmd, string) {
	t.Helper()
	var got profCmd
	var out, errb bytes.Buffer
	code := Main(Options{Name: "t", Section: "digest", Args: args, Stdout: &out, Stderr: &errb}, &profCmd{got: &got})
	return code, got, errb.String()
}

func TestProfileTables(t *testing.T) {
	cfg := writeConfig(t, `
[mail]
to = ["all@x"]
[digest]
min_severity = 2
match = "ET"
[digest.profile.urgent]
min_severity = 1
to = ["pager@x"]
[digest.profile.quiet]
`)
	tests := []struct {
		name    string
		args    []string
		env     string
		sev     int
		to      string
		match   string
		profile string
	}{
		{"no profile", []string{"-c", cfg}, "", 2, "all@x", "ET", ""},
		{"urgent overrides and inherits", []string{"-c", cfg, "--profile", "urgent"}, "", 1, "pager@x", "ET", "urgent"},
		{"urgent with =", []string{"-c", cfg, "--profile=urgent"}, "", 1, "pager@x", "ET", "urgent"},
		{"empty profile inherits all", []string{"-c", cfg, "--profile", "quiet"}, "", 2, "all@x", "ET", "quiet"},
		{"flag beats profile", []string{"-c", cfg, "--profile", "urgent", "--min-severity", "3"}, "", 3, "pager@x", "ET", "urgent"},
		{"profile from env", []string{"-c", cfg}, "urgent", 1, "pager@x", "ET", "urgent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SURICRON_PROFILE", tc.env)
			if tc.env == "" {
				t.Setenv("SURICRON_PROFILE", "")
			}
			code, got, stderr := runProf(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got.MinSeverity != tc.sev || strings.Join(got.To, ",") != tc.to || got.Match != tc.match || got.Profile != tc.profile {
				t.Fatalf("got sev %d to %v match %q profile %q", got.MinSeverity, got.To, got.Match, got.Profile)
			}
		})
	}
}

func TestProfileErrors(t *testing.T) {
	t.Setenv("SURICRON_PROFILE", "")
	for _, tc := range []struct{ name, cfg, profile, want string }{
		{"unknown key in a profile", "[digest.profile.urgent]\nmin_severty = 1\n", "", "[digest.profile.urgent] min_severty"},
		{"profile not a table", "[digest.profile]\nurgent = 1\n", "", "[digest.profile] urgent (want a table)"},
		{"missing profile", "[digest.profile.urgent]\n", "urgnet", "--profile urgnet: no [digest.profile.urgnet] table"},
		{"profile cannot set config", "[digest.profile.urgent]\nconfig = \"/x\"\n", "", "[digest.profile.urgent] config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"-c", writeConfig(t, tc.cfg)}
			if tc.profile != "" {
				args = append(args, "--profile", tc.profile)
			}
			code, _, stderr := runProf(t, args...)
			if code != exitcode.ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
	// A command without --profile keeps refusing [<section>.profile].
	var out, errb bytes.Buffer
	code := Main(Options{Name: "t", Section: "digest", Args: []string{"-c", writeConfig(t, "[digest.profile.urgent]\n")}, Stdout: &out, Stderr: &errb}, &testCmd{ran: &testResult{}})
	if code != exitcode.ExitUsage || !strings.Contains(errb.String(), "[digest] profile") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}
