package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/suricron/suricron/internal/sharedtest"
)

// oinkmaster parity on the real ET Open tarball: an oinkmaster.conf that
// includes a file (relative to itself) defining a template, used with an
// %ARG1% argument; --enable-all-commented (oinkmaster -e) enables every rule ET
// ships commented out; --report-diff shows the changed part of each
// modified rule within 78 columns.
func TestOinkmasterParity(t *testing.T) {
	tarball := sharedtest.Path(t, "et-open", "emerging.rules.tar.gz")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"etc/oinkmaster.conf":       "# main\ndisablesid 2012648\ninclude conf.d/templates.conf\nuse_template tag 2013028 \"LOCAL\"\n",
		"etc/conf.d/templates.conf": "define_template tag \"msg:\\\"ET \" | \"msg:\\\"%ARG1% ET \"\n",
		"etc/loop.conf":             "include conf.d/loop2.conf\n",
		"etc/conf.d/loop2.conf":     "include ../loop.conf\n",
		"etc/args.conf":             "define_template two \"%ARG1%\" | \"%ARG2%\"\nuse_template two 2013028 \"one\"\n",
	})
	out := filepath.Join(dir, "out", "suricata.rules")
	run := func(want int, args ...string) string {
		t.Helper()
		base := []string{"-c", os.DevNull, "--url", "file://" + tarball, "--state-dir", filepath.Join(dir, "state"),
			"--output", out, "--suricata-rules-dir", "none"}
		code, stdout, stderr := runIn(t, "", append(base, args...)...)
		if code != want {
			t.Fatalf("exit %d, want %d\n%s", code, want, stderr)
		}
		return stdout + stderr
	}
	run(0)
	before, _ := os.ReadFile(out)
	disabledBefore := strings.Count(string(before), "\n# ")
	if disabledBefore < 1000 {
		t.Fatalf("ET Open ships %d disabled rules? want thousands", disabledBefore)
	}

	rep := run(0, "--conf", filepath.Join(dir, "etc", "oinkmaster.conf"), "--enable-all-commented", "--report-diff", "--report-limit", "20")
	b, _ := os.ReadFile(out)
	got := string(b)
	// Only the disablesid rule stays commented out.
	if n := strings.Count(got, "\n# ") + map[bool]int{true: 1}[strings.HasPrefix(got, "# ")]; n != 1 || !strings.Contains(got, "# alert") || !regexp.MustCompile(`(?m)^# .*sid:2012648;`).MatchString(got) {
		t.Errorf("%d disabled rules after --enable-all-commented with one disablesid, want 1 (sid 2012648)", n)
	}
	if !regexp.MustCompile(`(?m)^alert [^\n]*msg:"LOCAL ET POLICY curl User-Agent Outbound"[^\n]*sid:2013028;`).MatchString(got) {
		t.Errorf("use_template with %%ARG1%% from the included file did not modify sid 2013028")
	}
	m := regexp.MustCompile(`modified: (\d+)`).FindStringSubmatch(rep)
	if m == nil {
		t.Fatalf("no modified count in the report:\n%.2000s", rep)
	}
	if n, _ := strconv.Atoi(m[1]); n < disabledBefore {
		t.Errorf("modified %d, want at least the %d enabled ones", n, disabledBefore)
	}
	if !strings.Contains(rep, "old: # alert http $HOME_NET any...") || !strings.Contains(rep, "new: alert http $HOME_NET any...") {
		t.Errorf("no minimised diff in the report:\n%.3000s", rep)
	}
	for _, l := range strings.Split(rep, "\n") {
		if strings.Contains(l, "old: ") || strings.Contains(l, "new: ") || strings.HasPrefix(l, "             ") {
			if n := utf8.RuneCountInString(l); n > 78 {
				t.Errorf("diff line of %d columns: %q", n, l)
			}
		}
	}

	// An include loop and a missing template argument are config errors
	// (2) naming the file; the installed rules stay.
	for conf, want := range map[string]string{"loop.conf": "include loop", "args.conf": "%ARG2% but only 1 argument"} {
		msg := run(2, "--conf", filepath.Join(dir, "etc", conf))
		if !strings.Contains(msg, want) || !strings.Contains(msg, ".conf line ") {
			t.Errorf("%s: want %q with file and line:\n%s", conf, want, msg)
		}
	}
	if after, _ := os.ReadFile(out); string(after) != got {
		t.Errorf("a refused config changed the installed rules")
	}
}
