package deploy

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the --help transcripts in testdata/help")

// helpPages are the --help screens an operator can ask for: each command,
// and telemetry-send's subcommands.
var helpPages = [][]string{
	{"rules-update"}, {"alert-digest"}, {"dump-data"}, {"weekly-report"},
	{"telemetry-send"}, {"telemetry-send", "send"}, {"telemetry-send", "heartbeat"}, {"telemetry-send", "status"},
	{"eve-ship"}, {"eve-ship", "ship"}, {"eve-ship", "schema"},
}

// flagLine matches a flag's first line in kong's help: the flag column,
// then its help text after two or more spaces (empty when undocumented).
var flagLine = regexp.MustCompile(`^\s{2,6}(-\w, )?(--[a-z0-9-]+)(=\S+)?(\s{2,}(.*))?$`)

// TestHelpTranscripts keeps every --help page as a golden transcript
// (reviewed in diffs when a flag changes; make update-golden rewrites
// them) and checks what a reviewer would: exit 0, nothing on stderr, every
// flag documented, environment variables named SURICRON_*, 80 columns.
func TestHelpTranscripts(t *testing.T) {
	for _, page := range helpPages {
		name := strings.Join(page, "-")
		t.Run(name, func(t *testing.T) {
			args := append(append([]string{}, page[1:]...), "--help")
			r := runCmd(t, []string{"COLUMNS=80"}, filepath.Join(binDir(t), page[0]), args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("--help: %s", r)
			}
			lines := strings.Split(r.stdout, "\n")
			for i, l := range lines {
				if n := utf8.RuneCountInString(l); n > 80 {
					t.Errorf("line %d is %d columns wide: %q", i+1, n, l)
				}
				// A long flag column pushes the help text to the next,
				// deeper indented line.
				if m := flagLine.FindStringSubmatch(l); m != nil && strings.TrimSpace(m[5]) == "" &&
					(i+1 == len(lines) || flagLine.MatchString(lines[i+1]) || !strings.HasPrefix(lines[i+1], "          ")) {
					t.Errorf("flag %s has no help text", m[2])
				}
				for _, env := range regexp.MustCompile(`\(\$([A-Z0-9_]+)\)`).FindAllStringSubmatch(l, -1) {
					if !strings.HasPrefix(env[1], "SURICRON_") {
						t.Errorf("environment variable %s is not SURICRON_*", env[1])
					}
				}
			}
			golden := filepath.Join("testdata", "help", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run make update-golden)", err)
			}
			if string(want) != r.stdout {
				t.Errorf("%s --help differs from %s (make update-golden, then review the diff):\n%s", name, golden, lineDiff(string(want), r.stdout))
			}
		})
	}
}

// lineDiff lists the lines only in want (-) or only in got (+), in order.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	inW, inG := map[string]bool{}, map[string]bool{}
	for _, l := range w {
		inW[l] = true
	}
	for _, l := range g {
		inG[l] = true
	}
	var b strings.Builder
	for _, l := range w {
		if !inG[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !inW[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// TestHelpContent checks what issue 20 asked of every --help page: the
// command's own flags first and the shared ones after them, no flag a
// command never reads, the defaults an operator needs to see, exit codes
// and an example section.
func TestHelpContent(t *testing.T) {
	defaults := map[string][]string{
		"rules-update":   {"--output=FILE", "default /var/lib/suricata/rules/suricata.rules", "--min-rules=N", "default 1000", "--state-dir=DIR", "default /var/lib/suricron"},
		"alert-digest":   {"--max-groups=N", "default 100", "--eve=PATH", "default /var/log/suricata/eve.json"},
		"telemetry-send": {"--endpoint=URL", "default https://opnsense.emergingthreats.net"},
		"weekly-report":  {"--eve=PATH", "default /var/log/suricata/eve.json"},
		"dump-data":      {"--state-dir=DIR", "default /var/lib/suricron"},
	}
	for _, c := range commands() {
		t.Run(c, func(t *testing.T) {
			r := runCmd(t, []string{"COLUMNS=200"}, filepath.Join(binDir(t), c), "--help")
			out := r.stdout
			shared := strings.Index(out, "\nShared flags (every command):\n")
			own := strings.Index(out, "\nFlags:\n")
			if shared < 0 || own < 0 || shared < own {
				t.Fatalf("own flags (at %d) must come before the shared flags (at %d):\n%s", own, shared, out)
			}
			ownPart, sharedPart := out[own:shared], out[shared:]
			for _, f := range []string{"--config", "--state-dir", "--log-level", "--log-format", "--version", "--check-config"} {
				if strings.Contains(ownPart, f+"=") || strings.Contains(ownPart, f+" ") || !strings.Contains(sharedPart, f) {
					t.Errorf("%s is not in the shared group", f)
				}
			}
			if c == "rules-update" && (strings.Contains(out, "--eve=") || strings.Contains(out, "--eve-rotated")) {
				t.Error("rules-update lists --eve, which it never reads")
			}
			for _, want := range append(defaults[c], "Exit codes: 0 ", "\nExamples:\n  "+c) {
				if !strings.Contains(out, want) {
					t.Errorf("--help lacks %q", want)
				}
			}
		})
	}
}

// TestVersionLine: --version names the command, the version, the commit
// and the Go toolchain (issue 20: it printed only a hash).
func TestVersionLine(t *testing.T) {
	re := regexp.MustCompile(`^([a-z-]+) ` + regexp.QuoteMeta(testVersion) + ` \(commit ([0-9a-f]{7,12}|unknown), go1\.[0-9.]+\)\n$`)
	for _, c := range commands() {
		r := runCmd(t, nil, filepath.Join(binDir(t), c), "--version")
		m := re.FindStringSubmatch(r.stdout)
		if r.code != 0 || m == nil || m[1] != c {
			t.Errorf("%s --version: %s", c, r)
		}
	}
}
