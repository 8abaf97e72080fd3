package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/exitcode"
)

// fuzzCmd has one flag of each kind a config key can set.
type fuzzCmd struct {
	Common
	MinSeverity int           `help:"min" default:"3"`
	To          []string      `help:"to" config:"mail.to"`
	Flag        bool          `help:"a bool"`
	Timeout     time.Duration `help:"a duration" default:"5s"`
	Mode        string        `help:"an enum" default:"a" enum:"a,b"`
	ran         bool
}

func (c *fuzzCmd) Run(*Env) error { c.ran = true; return nil }

// FuzzConfigFile feeds arbitrary bytes to the TOML config loader through
// Main, as an operator's file would reach it: it must never panic, and the
// run either happens (0) or stops as a usage/config error (2) with a
// message, never with another code, never echoing more than the file's name
// and position.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{
		"",
		"[digest]\nmin_severity = 2\nflag = true\ntimeout = \"30s\"\nmode = \"b\"\n",
		"[mail]\nto = [\"a@b\", \"c@d\"]\n[eve]\npath = \"/var/log/suricata/eve.json\"\n",
		"state_dir = \"/tmp/x\"\nlog_level = \"debug\"\n[report]\nweeks = 2\n",
		"[digest]\nmin_severity = \"high\"\n",
		"[digest]\nnope = 1\n",
		"[digest]\nmin_severity = 99999999999999999999\n",
		"[digest.sub]\nx = 1\n",
		"[[digest]]\nx = 1\n",
		"[digest]\nto = { a = 1 }\n",
		"[mail]\nto = [[1, 2], {}]\n",
		"x = 1979-05-27T07:32:00Z\n",
		"[digest\n",
		"\"\\u0000\" = \"\\uD800\"\n",
		"a = '''\n" + strings.Repeat("x", 100) + "\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		cmd := &fuzzCmd{}
		code := Main(Options{Name: "fz", Section: "digest", Version: "v", Args: []string{"-c", path},
			Stdout: &out, Stderr: &errb}, cmd)
		switch code {
		case exitcode.ExitOK:
			if !cmd.ran {
				t.Fatal("exit 0 without running")
			}
		case exitcode.ExitUsage:
			if errb.Len() == 0 {
				t.Fatal("exit 2 without a message")
			}
		default:
			t.Fatalf("exit %d for config %q: %s", code, data, errb.String())
		}
	})
}
