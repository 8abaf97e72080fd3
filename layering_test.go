package suricron

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/suricron/suricron/"

// commandModels are the domains that hold their command's kong model in
// command.go (flags, Run(ctx, *cli.Env), the mapping onto Config and Deps):
// the command floor, above internal/cli.
var commandModels = []string{"internal/rules", "internal/telemetry", "internal/ship", "internal/digest", "internal/report"}

// mayImportCLI are the packages allowed to import internal/cli: the
// commands' mains, the command models and the developer trees.
func mayImportCLI(pkg string) bool {
	switch {
	case strings.HasPrefix(pkg, "cmd/"), strings.HasPrefix(pkg, "bench/"), strings.HasPrefix(pkg, "tools/"), strings.HasPrefix(pkg, "test/"):
		return true
	}
	return slices.Contains(commandModels, pkg)
}

// commandFloor: the command models and what builds on them (fleet: the
// --source clickhouse source, on report and ship).
func commandFloor(pkg string) bool {
	return slices.Contains(commandModels, pkg) || pkg == "internal/fleet"
}

// belowCLI: the shared machinery and the leaves, every internal package
// that is neither internal/cli nor on the command floor. internal/cli's
// table classifies their errors, so it imports them; they never import it
// or anything above it.
func belowCLI(pkg string) bool {
	return strings.HasPrefix(pkg, "internal/") && pkg != "internal/cli" && !commandFloor(pkg)
}

// cmdDomains: what each cmd/ main may import besides internal/cli.
var cmdDomains = map[string][]string{
	"cmd/alert-digest":   {"internal/digest"},
	"cmd/weekly-report":  {"internal/report", "internal/fleet"}, // fleet: the --source clickhouse source
	"cmd/rules-update":   {"internal/rules"},
	"cmd/telemetry-send": {"internal/telemetry"},
	"cmd/dump-data":      {"internal/telemetry"},
	"cmd/eve-ship":       {"internal/ship"},
}

// leaves import no package of this module. exitcode, secretfile and sleep
// are what internal/cli used to be for the lower floors (issue 15): the
// exit-code error type, the secret file reader and the interruptible wait.
var leaves = []string{"internal/redact", "internal/printable", "internal/exitcode", "internal/secretfile", "internal/sleep", "internal/lock", "internal/atomicfile"}

// notBelowCLI are the modules that are the command-line layer's own:
// a package below internal/cli must not pull them in, even indirectly.
var notBelowCLI = []string{"github.com/alecthomas/kong", "github.com/go-co-op/gocron", "github.com/robfig/cron", "github.com/pelletier/go-toml"}

// moduleImports lists, per package of the module (non-test files), the
// packages of the module it imports, both without the module prefix.
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], module)
		m[pkg] = nil
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, module) {
				m[pkg] = append(m[pkg], strings.TrimPrefix(imp, module))
			}
		}
	}
	return m
}

// layeringViolations applies the floors of README "Layout" to an import
// graph and returns each violation as one line.
func layeringViolations(graph map[string][]string) []string {
	var v []string
	isLeaf := map[string]bool{}
	for _, l := range leaves {
		isLeaf[l] = true
	}
	for pkg, imps := range graph {
		for _, imp := range imps {
			switch {
			case imp == "internal/cli" && !mayImportCLI(pkg):
				v = append(v, pkg+" imports internal/cli: only cmd/ and the command models ("+strings.Join(commandModels, ", ")+") may")
			case belowCLI(pkg) && commandFloor(imp), pkg == "internal/cli" && commandFloor(imp):
				v = append(v, pkg+" imports "+imp+": the command floor builds on internal/cli and the machinery below it, never the other way")
			case strings.HasPrefix(pkg, "internal/") && (strings.HasPrefix(imp, "cmd/") || strings.HasPrefix(imp, "tools/") || strings.HasPrefix(imp, "test/") || strings.HasPrefix(imp, "bench/")):
				v = append(v, pkg+" imports "+imp+": internal/ never imports the outer trees")
			case isLeaf[pkg]:
				v = append(v, pkg+" imports "+imp+": a leaf imports nothing of the module")
			}
			if allowed, ok := cmdDomains[pkg]; ok && imp != "internal/cli" {
				found := false
				for _, a := range allowed {
					if imp == a || strings.HasPrefix(imp, a+"/") {
						found = true
					}
				}
				if !found {
					v = append(v, pkg+" imports "+imp+": a cmd/ main imports only internal/cli and its domain ("+strings.Join(allowed, ", ")+")")
				}
			}
		}
	}
	sort.Strings(v)
	return v
}

// TestLayering enforces "who may import what" (issue 15).
func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not on PATH")
	}
	for _, v := range layeringViolations(moduleImports(t)) {
		t.Error(v)
	}
	// The floors hold for the whole dependency closure, not only direct
	// imports: checkpoint once pulled in kong, gocron, robfig/cron and
	// go-toml through internal/cli.
	out, err := exec.Command("go", "list", "-deps", "./internal/checkpoint").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	if bad := cliModulesIn(string(out)); len(bad) > 0 {
		t.Errorf("go list -deps ./internal/checkpoint lists %v: a package below internal/cli pulls in the command-line layer", bad)
	}
}

// cliModulesIn returns the packages of `go list -deps` output that belong
// to a module of notBelowCLI.
func cliModulesIn(deps string) []string {
	var bad []string
	for _, p := range strings.Fields(deps) {
		for _, m := range notBelowCLI {
			if p == m || strings.HasPrefix(p, m+"/") {
				bad = append(bad, p)
			}
		}
	}
	return bad
}

// TestLayeringRules: the check reports what it should on a made-up graph.
func TestLayeringRules(t *testing.T) {
	graph := map[string][]string{
		"cmd/alert-digest":    {"internal/cli", "internal/digest", "internal/checkpoint"},
		"internal/eve":        {"internal/cli"},
		"internal/redact":     {"internal/printable"},
		"internal/report":     {"tools/evegen", "internal/cli"},
		"internal/rules":      {"internal/cli"},
		"internal/checkpoint": {"internal/cli"},
		"internal/mail":       {"internal/cli"},
		"internal/exitcode":   {"internal/redact"},
		"internal/notify":     {"internal/report"},
		"internal/cli":        {"internal/digest", "internal/checkpoint"},
		"internal/fleet":      {"internal/report", "internal/ship"},
	}
	got := strings.Join(layeringViolations(graph), "\n")
	for _, want := range []string{
		"cmd/alert-digest imports internal/checkpoint: a cmd/ main imports only",
		"internal/eve imports internal/cli",
		"internal/redact imports internal/printable: a leaf",
		"internal/report imports tools/evegen",
		"internal/mail imports internal/cli",
		"internal/checkpoint imports internal/cli",
		"internal/exitcode imports internal/redact: a leaf",
		"internal/notify imports internal/report: the command floor",
		"internal/cli imports internal/digest: the command floor",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	for _, not := range []string{"internal/rules imports", "cmd/alert-digest imports internal/digest", "internal/fleet imports", "internal/cli imports internal/checkpoint"} {
		if strings.Contains(got, not) {
			t.Errorf("wrongly reported %q in\n%s", not, got)
		}
	}
	deps := "context\ngithub.com/alecthomas/kong\ngithub.com/go-co-op/gocron/v2\ngithub.com/robfig/cron/v3\ngithub.com/pelletier/go-toml/v2/unstable\ngithub.com/alecthomas/kongfoo\n"
	if got := cliModulesIn(deps); strings.Join(got, " ") != "github.com/alecthomas/kong github.com/go-co-op/gocron/v2 github.com/robfig/cron/v3 github.com/pelletier/go-toml/v2/unstable" {
		t.Errorf("cliModulesIn = %q", got)
	}
}

// trackedFileProblems: no compiled binary and nothing over 1 MB is tracked
// outside testdata/ (issue 15: a 10.9 MB soak binary was committed).
func trackedFileProblems(root string, files []string) []string {
	var p []string
	for _, f := range files {
		if f == "" || strings.Contains("/"+f, "/testdata/") {
			continue
		}
		path := filepath.Join(root, f)
		fi, err := os.Lstat(path)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if fi.Size() > 1<<20 {
			p = append(p, f+" is larger than 1 MB; large data belongs in testdata/ or outside git")
		}
		if b, err := os.ReadFile(path); err == nil && bytes.HasPrefix(b, []byte(elf.ELFMAG)) {
			p = append(p, f+" is an ELF binary; build it, don't commit it")
		}
	}
	return p
}

func TestTrackedFiles(t *testing.T) {
	out, err := exec.Command("git", "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	for _, p := range trackedFileProblems(".", strings.Split(string(out), "\x00")) {
		t.Error(p)
	}
	// The check itself, on files made for it.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "testdata"), 0o755)
	os.WriteFile(filepath.Join(dir, "soak"), append([]byte(elf.ELFMAG), 2, 1, 1), 0o755)
	os.WriteFile(filepath.Join(dir, "big.json"), make([]byte, 1<<20+1), 0o644)
	os.WriteFile(filepath.Join(dir, "testdata", "big.json"), make([]byte, 1<<20+1), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"), 0o644)
	got := trackedFileProblems(dir, []string{"soak", "big.json", "testdata/big.json", "main.go"})
	if len(got) != 2 || !strings.HasPrefix(got[0], "soak is an ELF") && !strings.HasPrefix(got[1], "soak is an ELF") {
		t.Errorf("got %q", got)
	}
}

func TestStaticcheckFindings(t *testing.T) {
	got := staticcheckFindings("go: downloading x\ninternal/a/b.go:3:2: field size is unused (U1000)\nsummary (x)\ninternal/c.go:1:1: should replace loop with f(g(x)...) (S1011)\n")
	if len(got) != 2 || got[0].key() != "internal/a/b.go U1000" || got[1].key() != "internal/c.go S1011" {
		t.Errorf("%+v", got)
	}
}
