// Command testsum reads `go test -json` on stdin and prints what `go test`
// would (package results, the output of failed tests), then one line per
// skipped test with its reason, so `make test` says which integration
// tests did not run and how to enable them. It exits 1 when a test or a
// package failed.
//
//	go test -json ./... | go run ./tools/testsum
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	os.Exit(run(os.Stdin, os.Stdout))
}

func run(in io.Reader, out io.Writer) int {
	outputs := map[string][]string{} // package/test -> output lines
	var skips []string
	failed := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(out, sc.Text()) // build errors come as plain text
			continue
		}
		key := e.Package + "/" + e.Test
		switch {
		case e.Action == "output" && e.Test == "":
			// Package lines: ok, FAIL, coverage, build output.
			if !strings.HasPrefix(e.Output, "=== ") && !strings.HasPrefix(e.Output, "PASS\n") {
				fmt.Fprint(out, e.Output)
			}
		case e.Action == "output":
			outputs[key] = append(outputs[key], e.Output)
		case e.Action == "fail" && e.Test != "":
			failed = true
			fmt.Fprint(out, strings.Join(outputs[key], ""))
		case e.Action == "fail":
			failed = true
		case e.Action == "skip" && e.Test != "" && !strings.Contains(e.Test, "/"):
			skips = append(skips, fmt.Sprintf("%s %s: %s", shortPkg(e.Package), e.Test, reason(outputs[key])))
		}
		if e.Action == "pass" || e.Action == "skip" {
			delete(outputs, key)
		}
	}
	if len(skips) > 0 {
		sort.Strings(skips)
		fmt.Fprintf(out, "\n%d tests skipped (sudo bash .ci/run runs the full suite with every tool and the real data):\n", len(skips))
		for _, s := range skips {
			fmt.Fprintf(out, "  SKIP %s\n", s)
		}
	}
	if failed {
		return 1
	}
	return 0
}

func shortPkg(p string) string { return strings.TrimPrefix(p, "github.com/suricron/suricron/") }

// reason is the skip message: the last "file.go:N: text" line of the
// test's output.
func reason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if _, msg, ok := strings.Cut(l, ".go:"); ok {
			if _, text, ok := strings.Cut(msg, ": "); ok {
				return text
			}
		}
	}
	return "(no reason given)"
}
