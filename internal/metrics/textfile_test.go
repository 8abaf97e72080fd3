package metrics

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// collectTextfiles reads a directory the way node_exporter's textfile
// collector does (every *.prom file, merged into one scrape) and fails the
// test on anything that would make it reject a file or the scrape: a
// malformed line, a sample without its # TYPE, a family split inside a
// file, HELP or TYPE that differ between files, or one series in two
// files. It returns the samples, canonical and sorted.
func collectTextfiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	help := map[string]string{}
	typ := map[string]string{}
	from := map[string]string{} // series → file
	var out []string
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".prom") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		samples, err := parseTextfile(string(b), help, typ)
		if err != nil {
			t.Fatalf("%s: node_exporter would reject it: %v\n%s", e.Name(), err, b)
		}
		for _, s := range samples {
			key, _, _ := strings.Cut(s, "} ")
			if f, dup := from[key]; dup {
				t.Fatalf("series %s} in both %s and %s: the scrape fails", key, f, e.Name())
			}
			from[key] = e.Name()
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// parseTextfile is a strict reader of the text exposition format 0.0.4 for
// the subset a textfile carries (no timestamps needed, comments allowed).
// help and typ carry each family's HELP and TYPE across files.
func parseTextfile(text string, help, typ map[string]string) ([]string, error) {
	if text != "" && !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("no newline at the end")
	}
	seen := map[string]bool{} // families already closed in this file
	fileHelp := map[string]bool{}
	fileType := map[string]bool{}
	current := ""
	var out []string
	for n, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		lineNo := n + 1
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			f := strings.SplitN(line, " ", 4)
			if len(f) < 3 || (f[1] != "HELP" && f[1] != "TYPE") {
				continue // a plain comment
			}
			name := f[2]
			if !validName(name, true) {
				return nil, fmt.Errorf("line %d: invalid metric name %q", lineNo, name)
			}
			if seen[name] || (current != "" && current != name && (fileHelp[name] || fileType[name])) {
				return nil, fmt.Errorf("line %d: %s %s after its samples", lineNo, f[1], name)
			}
			val := ""
			if len(f) == 4 {
				val = f[3]
			}
			if current != name && current != "" {
				seen[current] = true
			}
			current = name
			if f[1] == "HELP" {
				if fileHelp[name] {
					return nil, fmt.Errorf("line %d: second HELP for %s", lineNo, name)
				}
				fileHelp[name] = true
				if h, ok := help[name]; ok && h != val {
					return nil, fmt.Errorf("line %d: HELP of %s %q differs from another file's %q", lineNo, name, val, h)
				}
				help[name] = val
				continue
			}
			if fileType[name] {
				return nil, fmt.Errorf("line %d: second TYPE for %s", lineNo, name)
			}
			switch val {
			case "gauge", "counter", "untyped":
			default:
				return nil, fmt.Errorf("line %d: TYPE %q of %s", lineNo, val, name)
			}
			fileType[name] = true
			if ty, ok := typ[name]; ok && ty != val {
				return nil, fmt.Errorf("line %d: TYPE of %s %s differs from another file's %s", lineNo, name, val, ty)
			}
			typ[name] = val
			continue
		}
		s, name, err := parseStrictSample(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", lineNo, err)
		}
		if name != current {
			if seen[name] || fileType[name] {
				return nil, fmt.Errorf("line %d: samples of %s are not together", lineNo, name)
			}
			if current != "" {
				seen[current] = true
			}
			current = name
		}
		if !fileType[name] {
			return nil, fmt.Errorf("line %d: sample of %s without a # TYPE line", lineNo, name)
		}
		out = append(out, s)
	}
	return out, nil
}

// parseStrictSample parses `name{l="v",…} value` with the format's escapes
// and returns it canonical (labels sorted, value re-formatted).
func parseStrictSample(line string) (string, string, error) {
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return "", "", fmt.Errorf("not a sample: %q", line)
	}
	name, rest := line[:i], line[i:]
	if !validName(name, true) {
		return "", "", fmt.Errorf("invalid metric name %q", name)
	}
	var labels []string
	names := map[string]bool{}
	if rest[0] == '{' {
		rest = rest[1:]
		for rest != "" && rest[0] != '}' {
			eq := strings.IndexByte(rest, '=')
			if eq <= 0 || len(rest) < eq+2 || rest[eq+1] != '"' {
				return "", "", fmt.Errorf("bad label in %q", line)
			}
			ln := rest[:eq]
			if !validName(ln, false) || names[ln] {
				return "", "", fmt.Errorf("invalid or repeated label name %q", ln)
			}
			names[ln] = true
			rest = rest[eq+2:]
			var v strings.Builder
			closed := false
			for rest != "" {
				c := rest[0]
				rest = rest[1:]
				if c == '"' {
					closed = true
					break
				}
				if c == '\n' {
					return "", "", fmt.Errorf("raw newline in a label value")
				}
				if c == '\\' {
					if rest == "" {
						return "", "", fmt.Errorf("dangling escape")
					}
					switch rest[0] {
					case 'n':
						v.WriteByte('\n')
					case '\\', '"':
						v.WriteByte(rest[0])
					default:
						return "", "", fmt.Errorf("invalid escape \\%c", rest[0])
					}
					rest = rest[1:]
					continue
				}
				v.WriteByte(c)
			}
			if !closed {
				return "", "", fmt.Errorf("unterminated label value in %q", line)
			}
			labels = append(labels, fmt.Sprintf("%s=%q", ln, v.String()))
			if rest != "" && rest[0] == ',' {
				rest = rest[1:]
			}
		}
		if rest == "" {
			return "", "", fmt.Errorf("unterminated label set in %q", line)
		}
		rest = rest[1:]
	}
	if rest == "" || rest[0] != ' ' {
		return "", "", fmt.Errorf("no value in %q", line)
	}
	f := strings.Fields(rest)
	if len(f) < 1 || len(f) > 2 {
		return "", "", fmt.Errorf("bad value part in %q", line)
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return "", "", fmt.Errorf("value %q: %v", f[0], err)
	}
	if len(f) == 2 {
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			return "", "", fmt.Errorf("timestamp %q: %v", f[1], err)
		}
	}
	slices.Sort(labels)
	return fmt.Sprintf("%s{%s} %s", name, strings.Join(labels, ","), formatValue(v)), name, nil
}

// The strict reader itself must reject what node_exporter rejects, or the
// tests built on it prove nothing.
func TestStrictTextfileReaderRejects(t *testing.T) {
	for _, bad := range []string{
		"x 1\n",                            // no TYPE
		"# TYPE x gauge\nx{a=\"1\" 1\n",    // unterminated
		"# TYPE x gauge\nx{a=\"\\q\"} 1\n", // bad escape
		"# TYPE x gauge\nx one\n",          // bad value
		"# TYPE x gauge\n# TYPE x counter\nx 1\n",
		"# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx 2\n", // split family
		"# TYPE x gauge\nx 1",                             // no final newline
		"# TYPE x-y gauge\n",
	} {
		if _, err := parseTextfile(bad, map[string]string{}, map[string]string{}); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	help, typ := map[string]string{}, map[string]string{}
	if _, err := parseTextfile("# HELP x One.\n# TYPE x gauge\nx 1\n", help, typ); err != nil {
		t.Fatal(err)
	}
	if _, err := parseTextfile("# HELP x Two.\n# TYPE x gauge\nx{a=\"b\"} 1\n", help, typ); err == nil {
		t.Error("accepted a HELP that differs from another file's")
	}
}

// What every command writes passes the collector's checks together,
// including escaped label values and help text.
func TestWriteTextIsCollectable(t *testing.T) {
	dir := t.TempDir()
	configured := filepath.Join(dir, "suricron.prom")
	a := New(Label{"command", "alert-digest"}, Label{"job", "alert-digest"})
	a.Add("suricron_a_total", "Lines read.\nSecond \\ line.", 2, Label{"kind", `bad "q" \ x` + "\n" + "y"})
	a.Set("suricron_last_run_exit_code", "Exit code.", 0)
	b := New(Label{"command", "rules-update"}, Label{"job", "rules-update"})
	b.Set("suricron_last_run_exit_code", "Exit code.", 65)
	for _, r := range []*Registry{a, b} {
		if err := r.WriteFile(configured); err != nil {
			t.Fatal(err)
		}
	}
	got := collectTextfiles(t, dir)
	want := []string{
		`suricron_a_total{command="alert-digest",job="alert-digest",kind="bad \"q\" \\ x\ny"} 2`,
		`suricron_last_run_exit_code{command="alert-digest",job="alert-digest"} 0`,
		`suricron_last_run_exit_code{command="rules-update",job="rules-update"} 65`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("collected\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
