package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// snippet is one fenced code block of README.md.
type snippet struct {
	lang string
	line int // of the opening fence
	body string
}

func readmeSnippets(t *testing.T) []snippet {
	t.Helper()
	b, err := os.ReadFile(rootPath("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []snippet
	var cur *snippet
	for i, l := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(l, "```"):
			cur = &snippet{lang: strings.TrimSpace(strings.TrimPrefix(l, "```")), line: i + 1}
		case cur != nil && strings.HasPrefix(l, "```"):
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.body += l + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("README.md line %d: unclosed code block", cur.line)
	}
	return out
}

// TestReadmeSnippets keeps the README's examples working (issue 20: its
// example config had two unknown keys): every TOML block loads with the
// real config loader in every command (each validates the tables it owns),
// and every --flag that a shell block passes to a suricron command is one
// that command (or one of its subcommands) has.
func TestReadmeSnippets(t *testing.T) {
	bin := binDir(t)
	snippets := readmeSnippets(t)
	var nTOML, nShell int
	for _, s := range snippets {
		switch s.lang {
		case "toml":
			nTOML++
			cfg := filepath.Join(t.TempDir(), "readme.toml")
			if err := os.WriteFile(cfg, []byte(s.body), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, c := range commands() {
				// --check-config reports the files the snippet names as
				// missing here (exit 2); a config that does not load stops
				// before the report, on stderr.
				r := runCmd(t, nil, filepath.Join(bin, c), "-c", cfg, "--check-config")
				if !strings.Contains(r.stdout, "effective settings") || strings.Contains(r.stderr, "config file") {
					t.Errorf("README.md line %d: TOML block does not load in %s: %s", s.line, c, r)
				}
			}
		case "sh", "bash", "shell":
			nShell++
			for _, use := range commandUses(s.body) {
				flags := helpFlags(t, bin, use.cmd)
				for _, f := range use.flags {
					if !flags[f] {
						t.Errorf("README.md line %d: %s has no flag %s", s.line, use.cmd, f)
					}
				}
			}
		}
	}
	if nTOML < 2 || nShell < 5 {
		t.Errorf("found %d TOML and %d shell blocks; the extraction is broken", nTOML, nShell)
	}
}

type commandUse struct {
	cmd   string
	flags []string
}

var longFlag = regexp.MustCompile(`^--[a-z0-9][a-z0-9-]*`)

// commandUses finds each suricron command in a shell block (also after
// sudo, |, && or ;) and the long flags given to it, joining continued lines
// and dropping comments.
func commandUses(body string) []commandUse {
	body = strings.ReplaceAll(body, "\\\n", " ")
	known := map[string]bool{}
	for _, c := range commands() {
		known[c] = true
	}
	var uses []commandUse
	for _, line := range strings.Split(body, "\n") {
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		var cur *commandUse
		quoted := false
		for _, tok := range strings.Fields(line) {
			// Flags inside a quoted argument (--exec 'hook --queue x')
			// belong to another program.
			wasQuoted := quoted
			if strings.Count(tok, "'")%2 == 1 {
				quoted = !quoted
			}
			if wasQuoted || (quoted && strings.Contains(tok, "'")) {
				continue
			}
			switch {
			case tok == "|" || tok == "&&" || tok == ";" || tok == "||":
				cur = nil
			case known[filepath.Base(tok)] && cur == nil:
				uses = append(uses, commandUse{cmd: filepath.Base(tok)})
				cur = &uses[len(uses)-1]
			case cur != nil && longFlag.MatchString(tok):
				cur.flags = append(cur.flags, longFlag.FindString(tok))
			}
		}
	}
	return uses
}

// helpFlags are the long flags of a command and its subcommands, from the
// built binary's --help.
func helpFlags(t *testing.T, bin, cmd string) map[string]bool {
	t.Helper()
	flags := map[string]bool{}
	pages := [][]string{{"--help"}}
	switch cmd {
	case "telemetry-send":
		pages = append(pages, []string{"send", "--help"}, []string{"heartbeat", "--help"}, []string{"status", "--help"})
	case "eve-ship":
		pages = append(pages, []string{"schema", "--help"})
	}
	for _, args := range pages {
		r := runCmd(t, []string{"COLUMNS=200"}, filepath.Join(bin, cmd), args...)
		for _, m := range regexp.MustCompile(`(?m)^\s+(?:-\w, )?(--[a-z0-9-]+)`).FindAllStringSubmatch(r.stdout, -1) {
			flags[m[1]] = true
		}
	}
	return flags
}

func TestCommandUses(t *testing.T) {
	got := commandUses("sudo -u suricron alert-digest -c /x --dry-run # not --this\n" +
		"dump-data -p | head --lines 3\nrules-update --url a \\\n  --force\nmake test --keep\n")
	want := []commandUse{{"alert-digest", []string{"--dry-run"}}, {"dump-data", nil}, {"rules-update", []string{"--url", "--force"}}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i].cmd != want[i].cmd || strings.Join(got[i].flags, " ") != strings.Join(want[i].flags, " ") {
			t.Errorf("%d: %v want %v", i, got[i], want[i])
		}
	}
}
