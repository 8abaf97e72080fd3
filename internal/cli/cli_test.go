package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/secretfile"
)

type testCmd struct {
	Common
	Service
	MinSeverity int      `help:"min" default:"3"`
	To          []string `help:"to" config:"mail.to"`
	Flag        bool     `help:"a bool"`

	ran *testResult
}

type testResult struct {
	env *Env
	cmd *testCmd
	err error
}

func (c *testCmd) Run(ctx context.Context, env *Env) error {
	c.ran.env = env
	c.ran.cmd = c
	if ctx == nil {
		return errors.New("no context bound")
	}
	return c.ran.err
}

func run(t *testing.T, args []string, runErr error) (int, *testCmd, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := &testCmd{ran: &testResult{err: runErr}}
	code := Main(Options{Name: "t", Section: "digest", Version: "v9", Args: args, Stdout: &out, Stderr: &errb}, cmd)
	return code, cmd, out.String(), errb.String()
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "suricron.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedence(t *testing.T) {
	cfg := writeConfig(t, "state_dir = \"/from/file\"\n[eve]\npath = \"/file/eve.json\"\n[digest]\nmin_severity = 2\n[mail]\nto = [\"a@x\", \"b@x\"]\n[rules]\nwhatever = 1\n")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantSev int
		wantEve string
		wantTo  string
	}{
		{"default", []string{"-c", "/dev/null"}, nil, 3, "/var/log/suricata/eve.json", ""},
		{"file", []string{"-c", cfg}, nil, 2, "/file/eve.json", "a@x,b@x"},
		{"env beats file", []string{"-c", cfg}, map[string]string{"SURICRON_MIN_SEVERITY": "1", "SURICRON_EVE": "/env/eve.json"}, 1, "/env/eve.json", "a@x,b@x"},
		{"flag beats env", []string{"--config=" + cfg, "--min-severity", "4"}, map[string]string{"SURICRON_MIN_SEVERITY": "1"}, 4, "/file/eve.json", "a@x,b@x"},
		{"config from env", nil, map[string]string{"SURICRON_CONFIG": cfg}, 2, "/file/eve.json", "a@x,b@x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, cmd, _, stderr := run(t, tc.args, nil)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if cmd.MinSeverity != tc.wantSev || cmd.Eve != tc.wantEve || strings.Join(cmd.To, ",") != tc.wantTo {
				t.Errorf("got sev=%d eve=%s to=%v; want %d %s %s", cmd.MinSeverity, cmd.Eve, cmd.To, tc.wantSev, tc.wantEve, tc.wantTo)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       string
	}{
		{"unknown key in own table", "[digest]\nmin_sevrity = 2\n", "unknown key [digest] min_sevrity"},
		{"unknown table", "[digets]\nx=1\n", "unknown key [digets]"},
		{"unknown shared key", "[mail]\ntoo = [\"a\"]\n", "unknown key [mail] too"},
		{"unknown top-level", "statedir = \"/x\"\n", "unknown key statedir"},
		{"syntax", "[digest\n", "line 1"},
		{"type", "[digest]\nmin_severity = \"high\"\n", "min-severity"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, _, stderr := run(t, []string{"-c", writeConfig(t, tc.body)}, nil)
			if code != exitcode.ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d stderr %q; want 2 containing %q", code, stderr, tc.want)
			}
		})
	}
	t.Run("named file missing", func(t *testing.T) {
		code, _, _, stderr := run(t, []string{"-c", "/nonexistent/s.toml"}, nil)
		if code != exitcode.ExitUsage || !strings.Contains(stderr, "/nonexistent/s.toml") {
			t.Errorf("exit %d %q", code, stderr)
		}
	})
	t.Run("other command's table ignored", func(t *testing.T) {
		code, _, _, stderr := run(t, []string{"-c", writeConfig(t, "[rules]\nmin_rules = 5\n[telemetry]\nfoo=1\n")}, nil)
		if code != 0 {
			t.Errorf("exit %d %q", code, stderr)
		}
	})
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  error
		want int
	}{
		{"ok", []string{"-c", "/dev/null"}, nil, exitcode.ExitOK},
		{"plain error", []string{"-c", "/dev/null"}, errors.New("boom"), exitcode.ExitFailure},
		{"data", []string{"-c", "/dev/null"}, exitcode.Data(errors.New("corrupt")), exitcode.ExitData},
		{"tempfail wrapped", []string{"-c", "/dev/null"}, fmt.Errorf("send: %w", exitcode.TempFail(errors.New("down"))), exitcode.ExitTempFail},
		{"canceled", []string{"-c", "/dev/null"}, fmt.Errorf("read: %w", context.Canceled), exitcode.ExitInterrupted},
		{"unknown flag is 2 not 80", []string{"--nope"}, nil, exitcode.ExitUsage},
		{"bad enum", []string{"--log-level", "loud"}, nil, exitcode.ExitUsage},
		{"help", []string{"--help"}, nil, exitcode.ExitOK},
		{"version", []string{"--version"}, nil, exitcode.ExitOK},
		{"bad schedule", []string{"-c", "/dev/null", "--every", "every tuesday"}, nil, exitcode.ExitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, _, stderr := run(t, tc.args, tc.err)
			if code != tc.want {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.want, stderr)
			}
		})
	}
	if got := ExitCode(&kong.ParseError{}); got != exitcode.ExitUsage {
		t.Errorf("kong.ParseError -> %d", got)
	}
}

func TestVersionAndHelp(t *testing.T) {
	_, _, out, _ := run(t, []string{"--version"}, nil)
	if !regexp.MustCompile(`^t v9 \(commit (?:[0-9a-f]+|unknown), go1\.[0-9.]+\)$`).MatchString(strings.TrimSpace(out)) {
		t.Errorf("version %q", out)
	}
	_, _, out, _ = run(t, []string{"--help"}, nil)
	for _, want := range []string{"--eve", "--state-dir", "--config", "--every", "SURICRON_MIN_SEVERITY"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %s:\n%s", want, out)
		}
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("s3cret\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte(" \n"), 0o600)
	if s, err := secretfile.Read(good); err != nil || s != "s3cret" {
		t.Errorf("good: %q %v", s, err)
	}
	for _, p := range []string{empty, filepath.Join(dir, "missing"), ""} {
		s, err := secretfile.Read(p)
		if err == nil || ExitCode(err) != exitcode.ExitUsage || s != "" {
			t.Errorf("%s: %q %v", p, s, err)
		}
	}
}
