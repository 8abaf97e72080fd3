package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readDir returns a ReadFunc over files the test wrote.
func readDir(t *testing.T, files map[string]string) (string, ReadFunc) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, func(p string) (string, error) {
		b, err := os.ReadFile(p)
		return string(b), err
	}
}

func TestOinkmasterInclude(t *testing.T) {
	dir, read := readDir(t, map[string]string{
		"main.conf":         "disablesid 1\ninclude sub/a.conf\nuse_template tag 3 \"X\"\n",
		"sub/a.conf":        "disablesid 2\ninclude b.conf # relative to sub/\n",
		"sub/b.conf":        "define_template tag \"msg:\\\"\" | \"msg:\\\"%ARG1% \"\n",
		"loop/a.conf":       "include b.conf\n",
		"loop/b.conf":       "disablesid 1\ninclude a.conf\n",
		"self.conf":         "include self.conf\n",
		"missing.conf":      "include nosuch.conf\n",
		"deep/0.conf":       "include 1.conf\n",
		"args.conf":         "define_template t \"%ARG1%\" | \"%ARG2%\"\nuse_template t 5 \"only-one\"\n",
		"plain.conf":        "include main.conf\n",
		"absolute.conf":     "include " + "/nonexistent/x.conf\n",
		"template-use.conf": "define_template two \"(%ARG1%)\" | \"%ARG2%\"\nuse_template two 7,8 \"a b\" \"c\"\n",
	})
	for i := 1; i <= MaxIncludeDepth+1; i++ {
		os.WriteFile(filepath.Join(dir, "deep", strconv.Itoa(i)+".conf"), []byte("include "+strconv.Itoa(i+1)+".conf\n"), 0o644)
	}
	parse := func(name string) (*Policy, error) {
		p := filepath.Join(dir, name)
		text, err := read(p)
		if err != nil {
			t.Fatal(err)
		}
		return ParseOinkmasterFile(p, text, read)
	}
	p, err := parse("main.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Disable) != 2 || len(p.Modify) != 1 {
		t.Fatalf("disable %d modify %d, want 2 and 1", len(p.Disable), len(p.Modify))
	}
	if _, err := parse("plain.conf"); err != nil {
		t.Errorf("include of a file that includes: %v", err)
	}
	p, err = parse("template-use.conf")
	if err != nil || len(p.Modify) != 1 {
		t.Fatalf("template with two args: %v", err)
	}
	for name, want := range map[string]string{
		"loop/a.conf":   "include loop",
		"self.conf":     "include loop",
		"missing.conf":  "nosuch.conf",
		"deep/0.conf":   "nested deeper than",
		"args.conf":     "%ARG2% but only 1 argument",
		"absolute.conf": "/nonexistent/x.conf",
	} {
		_, err := parse(name)
		var ce *ConfError
		if err == nil || !strings.Contains(err.Error(), want) || !errors.As(err, &ce) {
			t.Errorf("%s: err %v, want a ConfError with %q", name, err, want)
		}
	}
	// Without a reader (text only), include is an error, not ignored.
	if _, err := ParseOinkmaster("o.conf", "include x.conf\n"); err == nil {
		t.Errorf("include without a reader accepted")
	}
}
