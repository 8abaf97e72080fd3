package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/exitcode"
)

type checkCmd struct {
	Common
	Service
	MinSeverity  int    `help:"min" default:"3"`
	MaxGroups    int    `help:"max" default:"100"`
	SMTP         string `name:"smtp" help:"smtp" config:"mail.smtp"`
	PasswordFile string `name:"smtp-password-file" help:"pw" config:"mail.password_file" placeholder:"FILE"`
	SuppressFile string `help:"suppress" placeholder:"FILE"`
	Output       string `help:"out" placeholder:"FILE"`
	ran          bool
}

func (c *checkCmd) Run(context.Context, *Env) error { c.ran = true; return nil }

func runCheck(t *testing.T, env map[string]string, args ...string) (int, string, *checkCmd) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb strings.Builder
	cmd := &checkCmd{}
	code := Main(Options{Name: "alert-digest", Section: "digest", Version: "v", Args: args, Stdout: &out, Stderr: &errb}, cmd)
	return code, out.String() + errb.String(), cmd
}

// TestCheckConfig: --check-config prints every effective setting with the
// source that won, checks the files they name (secret files' mode, eve.json
// readable), never prints a secret, never runs the job, exits 0 or 2.
func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	os.WriteFile(eve, []byte("{}\n"), 0o644)
	pw := filepath.Join(dir, "smtp-password")
	os.WriteFile(pw, []byte("hunter2-secret\n"), 0o600)
	state := filepath.Join(dir, "state")
	os.Mkdir(state, 0o700)
	cfg := writeConfig(t, `state_dir = "`+state+`"
[eve]
path = "`+eve+`"
[mail]
smtp = "smtp://sensor:hunter2-secret@mail.example.org:587"
password_file = "`+pw+`"
[digest]
min_severity = 2
max_groups = 50
`)

	t.Run("ok", func(t *testing.T) {
		code, out, cmd := runCheck(t, map[string]string{"SURICRON_MAX_GROUPS": "7"}, "-c", cfg, "--check-config", "--output", filepath.Join(dir, "out.txt"))
		if code != exitcode.ExitOK || cmd.ran {
			t.Fatalf("exit %d ran=%v\n%s", code, cmd.ran, out)
		}
		for _, want := range []string{
			"config file " + cfg + " (loaded)",
			"--min-severity       2  (file)",
			"--max-groups         7  (env SURICRON_MAX_GROUPS)",
			"--log-level          warn  (default)",
			"--output             " + filepath.Join(dir, "out.txt") + "  (flag)",
			"ok      --smtp-password-file " + pw + ": secret readable, mode 0600",
			"ok      --eve " + eve + ": readable",
			"ok      --state-dir " + state + ": writable directory",
			"configuration ok",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %q in\n%s", want, out)
			}
		}
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret printed:\n%s", out)
		}
	})
	t.Run("problems exit 2", func(t *testing.T) {
		loose := filepath.Join(dir, "loose")
		os.WriteFile(loose, []byte("pw\n"), 0o644)
		code, out, cmd := runCheck(t, nil, "-c", cfg, "--check-config", "--smtp-password-file", loose,
			"--eve", filepath.Join(dir, "missing.json"), "--suppress-file", filepath.Join(dir, "nope"),
			"--output", filepath.Join(dir, "no", "such", "dir", "x"))
		if code != exitcode.ExitUsage || cmd.ran {
			t.Fatalf("exit %d ran=%v\n%s", code, cmd.ran, out)
		}
		for _, want := range []string{
			"PROBLEM --smtp-password-file " + loose + ": mode 0644",
			"PROBLEM --eve " + filepath.Join(dir, "missing.json") + ": not readable by this user",
			"PROBLEM --suppress-file " + filepath.Join(dir, "nope"),
			"PROBLEM --output",
			"4 problem(s)",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %q in\n%s", want, out)
			}
		}
	})
	t.Run("check-config is not a config key", func(t *testing.T) {
		code, out, _ := runCheck(t, nil, "-c", writeConfig(t, "check_config = true\n"))
		if code != exitcode.ExitUsage || !strings.Contains(out, "unknown key check_config") {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
}
