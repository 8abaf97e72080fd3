package cli

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/exitcode"
)

// listCmd has the two kinds of list flags the commands declare: the
// default comma-separated ones (--to, --sid) and sep:"none" ones whose
// values may contain commas (--url, --ignore, --files).
type listCmd struct {
	Common
	Quiet  bool     `short:"q" help:"quiet"`
	Pretty bool     `short:"p" help:"pretty"`
	URL    []string `name:"url" sep:"none" help:"url"`
	Ignore []string `sep:"none" help:"ignore" default:"*deleted.rules"`
	Conf   []string `sep:"none" help:"conf" type:"path"`
	SID    []int64  `name:"sid" help:"sid"`
	To     []string `help:"to" config:"mail.to"`
	ran    bool
}

func (c *listCmd) Run(context.Context, *Env) error { c.ran = true; return nil }

func runList(t *testing.T, args ...string) (*listCmd, int, string) {
	t.Helper()
	var out, errb strings.Builder
	cmd := &listCmd{}
	code := Main(Options{Name: "t", Section: "rules", Version: "v", Args: args, Stdout: &out, Stderr: &errb}, cmd)
	return cmd, code, errb.String()
}

// TestConfigListsAreRepeatedFlags: a TOML list must mean what the flag
// given once per element means, for every kind of list flag (issue 14: a
// sep:"none" list was joined into one string).
func TestConfigListsAreRepeatedFlags(t *testing.T) {
	cfg := writeConfig(t, `[rules]
url = ["file:///a,1.tar.gz", "https://b.example/r.tar.gz"]
ignore = ["*deleted.rules", "x.rules"]
conf = ["/etc/a.conf", "/etc/b.conf"]
sid = [1, 2, 3]
[mail]
to = ["a@x", "b@x"]
`)
	fromFile, code, stderr := runList(t, "-c", cfg)
	if code != 0 {
		t.Fatalf("file: exit %d %s", code, stderr)
	}
	fromFlags, code, stderr := runList(t, "-c", "/dev/null",
		"--url", "file:///a,1.tar.gz", "--url", "https://b.example/r.tar.gz",
		"--ignore", "*deleted.rules", "--ignore", "x.rules",
		"--conf", "/etc/a.conf", "--conf", "/etc/b.conf",
		"--sid", "1", "--sid", "2", "--sid", "3", "--to", "a@x", "--to", "b@x")
	if code != 0 {
		t.Fatalf("flags: exit %d %s", code, stderr)
	}
	got := []any{fromFile.URL, fromFile.Ignore, fromFile.Conf, fromFile.SID, fromFile.To}
	want := []any{fromFlags.URL, fromFlags.Ignore, fromFlags.Conf, fromFlags.SID, fromFlags.To}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config lists %q\nrepeated flags %q", got, want)
	}
	if len(fromFile.URL) != 2 || len(fromFile.Ignore) != 2 {
		t.Errorf("lists not split into elements: url %q ignore %q", fromFile.URL, fromFile.Ignore)
	}

	t.Run("single string is one element", func(t *testing.T) {
		c, code, stderr := runList(t, "-c", writeConfig(t, "[rules]\nignore = \"a,b\"\n"))
		if code != 0 || !reflect.DeepEqual(c.Ignore, []string{"a,b"}) {
			t.Errorf("exit %d %s ignore %q", code, stderr, c.Ignore)
		}
	})
	t.Run("empty list clears the default", func(t *testing.T) {
		c, code, stderr := runList(t, "-c", writeConfig(t, "[rules]\nignore = []\n"))
		if code != 0 || len(c.Ignore) != 0 {
			t.Errorf("exit %d %s ignore %q", code, stderr, c.Ignore)
		}
	})
	t.Run("bad element names file and key", func(t *testing.T) {
		p := writeConfig(t, "[rules]\nsid = [1, \"two\"]\n")
		_, code, stderr := runList(t, "-c", p)
		if code != exitcode.ExitUsage || !strings.Contains(stderr, p) || !strings.Contains(stderr, "[rules] sid") {
			t.Errorf("exit %d %q", code, stderr)
		}
	})
}

// TestConfigPathFromKong: the config file is the one kong parsed, in every
// spelling kong accepts, including short flags clustered before -c
// (issue 14: "-qc FILE" skipped the file silently).
func TestConfigPathFromKong(t *testing.T) {
	cfg := writeConfig(t, "[rules]\nurl = [\"file:///from-config\"]\n")
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-c", cfg}, {"-c" + cfg}, {"--config", cfg}, {"--config=" + cfg},
		{"-qc", cfg}, {"-pqc", cfg}, {"-qc" + cfg}, {"-q", "-p", "-c", cfg},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			c, code, stderr := runList(t, args...)
			if code != 0 || !reflect.DeepEqual(c.URL, []string{"file:///from-config"}) {
				t.Errorf("exit %d %s url %q: config file not read", code, stderr, c.URL)
			}
		})
	}
	t.Run("clustered named missing file is an error", func(t *testing.T) {
		missing := filepath.Join(dir, "missing.toml")
		_, code, stderr := runList(t, "-qc", missing)
		if code != exitcode.ExitUsage || !strings.Contains(stderr, missing) {
			t.Errorf("exit %d %q", code, stderr)
		}
	})
	t.Run("SURICRON_CONFIG", func(t *testing.T) {
		t.Setenv("SURICRON_CONFIG", cfg)
		c, code, stderr := runList(t)
		if code != 0 || !reflect.DeepEqual(c.URL, []string{"file:///from-config"}) {
			t.Errorf("exit %d %s url %q", code, stderr, c.URL)
		}
	})
}
