package suricron

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/suricron/suricron/"

// mayImportCLI are the packages allowed to import internal/cli: the
// commands' mains, the domains that hold their command's kong model
// (rules, telemetry, ship: Run(ctx, *cli.Env)), and the developer trees.
func mayImportCLI(pkg string) bool {
	switch {
	case strings.HasPrefix(pkg, "cmd/"), strings.HasPrefix(pkg, "bench/"), strings.HasPrefix(pkg, "tools/"), strings.HasPrefix(pkg, "test/"):
		return true
	case pkg == "internal/rules", pkg == "internal/telemetry", pkg == "internal/ship":
		return true
	}
	return false
}

// cmdDomains: what each cmd/ main may import besides internal/cli.
var cmdDomains = map[string][]string{
	"cmd/alert-digest":   {"internal/digest", "internal/mail"},
	"cmd/weekly-report":  {"internal/report", "internal/mail", "internal/fleet", "internal/ship"}, // fleet: --source clickhouse, ship: its server flags
	"cmd/rules-update":   {"internal/rules"},
	"cmd/telemetry-send": {"internal/telemetry"},
	"cmd/dump-data":      {"internal/telemetry"},
	"cmd/eve-ship":       {"internal/ship"},
}

// leaves import no package of this module.
var leaves = []string{"internal/redact", "internal/printable"}

// knownCLIImports are today's floor violations (issue 15: internal/cli is
// also used as a leaf for its exit-code error type and ReadSecret). They
// go when the leaf parts move out of internal/cli; the test fails on any
// new violation and on an entry here that no longer happens, so the list
// stays exact.
var knownCLIImports = map[string]bool{
	"internal/checkpoint": true,
	"internal/mail":       true,
	"internal/digest":     true,
	"internal/report":     true,
}

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
			case imp == "internal/cli" && !mayImportCLI(pkg) && !knownCLIImports[pkg]:
				v = append(v, pkg+" imports internal/cli: only cmd/ and the command models (rules, telemetry, ship) may")
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
	for pkg := range knownCLIImports {
		imports := false
		for _, imp := range graph[pkg] {
			imports = imports || imp == "internal/cli"
		}
		if _, present := graph[pkg]; present && !imports {
			v = append(v, pkg+" no longer imports internal/cli: remove it from knownCLIImports")
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
		"internal/mail":       nil,
	}
	got := strings.Join(layeringViolations(graph), "\n")
	for _, want := range []string{
		"cmd/alert-digest imports internal/checkpoint: a cmd/ main imports only",
		"internal/eve imports internal/cli",
		"internal/redact imports internal/printable: a leaf",
		"internal/report imports tools/evegen",
		"internal/mail no longer imports internal/cli",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	for _, not := range []string{"internal/rules imports", "internal/checkpoint imports", "cmd/alert-digest imports internal/digest", "internal/digest no longer"} {
		if strings.Contains(got, not) {
			t.Errorf("wrongly reported %q in\n%s", not, got)
		}
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
