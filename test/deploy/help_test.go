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
