package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/suricron/suricron/internal/mail/mailtest"
)

// TestExampleConfigRunsEveryJob loads contrib/suricron.toml into every
// command on real runs (so every key of every table is validated by the
// command that owns it) and runs each job to success, redirecting only
// the paths a test cannot use: eve.json, the state dir, the rules output,
// the SMTP server and the telemetry endpoint.
func TestExampleConfigRunsEveryJob(t *testing.T) {
	bin := binDir(t)
	dir := t.TempDir()
	smtp := mailtest.Start(t, mailtest.Options{})
	runAllJobs(t, jobSetup{
		bin:    func(c string) string { return filepath.Join(bin, c) },
		config: rootPath("contrib", "suricron.toml"),
		dir:    dir,
		common: []string{"--state-dir", filepath.Join(dir, "state")},
		rules:  []string{"--output", filepath.Join(dir, "rules", "suricata.rules")},
		mail:   []string{"--smtp", smtp.URL()},
		checkMail: func(t *testing.T, header, value string) {
			t.Helper()
			for _, m := range smtp.Messages() {
				if strings.Contains(headerValue(string(m.Data), header), value) {
					return
				}
			}
			t.Errorf("no message with %s: %s among %d", header, value, len(smtp.Messages()))
		},
		metrics: filepath.Join(dir, "suricron.prom"),
	})
	if _, err := os.Stat(filepath.Join(dir, "rules", "suricata.rules")); err != nil {
		t.Errorf("rules not installed: %v", err)
	}
}

// TestExampleConfigCoversEveryFlag keeps the example complete: each flag
// of each command that can be set from the file appears in it, set or
// commented out, in the right table.
func TestExampleConfigCoversEveryFlag(t *testing.T) {
	b, err := os.ReadFile(rootPath("contrib", "suricron.toml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	// Keys per table as the example must mention them; top-level first.
	table := ""
	mentioned := map[string]bool{}
	for l := range strings.Lines(text) {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") {
			table = strings.Trim(l, "[]")
			continue
		}
		l = strings.TrimSpace(strings.TrimPrefix(l, "#"))
		if k, _, ok := strings.Cut(l, " = "); ok && !strings.Contains(k, " ") {
			mentioned[strings.TrimPrefix(table+"."+k, ".")] = true
		}
	}
	for _, c := range commands() {
		r := runCmd(t, nil, filepath.Join(binDir(t), c), "--help")
		section := map[string]string{"rules-update": "rules", "alert-digest": "digest", "telemetry-send": "telemetry",
			"dump-data": "telemetry", "weekly-report": "report", "eve-ship": "ship"}[c]
		for l := range strings.Lines(r.stdout) {
			// Flag lines only ("  -c, --config" or "      --eve"), not
			// wrapped help text that mentions another flag.
			if !strings.HasPrefix(l, "  -") && !strings.HasPrefix(l, "      --") {
				continue
			}
			f := strings.Fields(l)
			flag := f[0]
			if strings.HasPrefix(flag, "-") && !strings.HasPrefix(flag, "--") && len(f) > 1 {
				flag = strings.TrimSuffix(f[1], ",")
			}
			if !strings.HasPrefix(flag, "--") {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
			key := configKey(section, name)
			switch {
			case key == "":
				continue // command-line only
			case !mentioned[key]:
				t.Errorf("%s --%s: config key %s is not in the example", c, name, key)
			}
		}
	}
}

// configKey is the config key of a flag (internal/cli's rule: the
// config tag for shared flags, else <table>.<name with _>); "" for flags
// that are per-invocation and have no place in a config file.
func configKey(section, flag string) string {
	switch flag {
	case "help", "config", "version", "every", "dry-run", "force", "reset-state", "week", "since", "until",
		"out", "files", "mail", "profile", "collect-only", "parsed", "pretty", "log", "time", "limit", "jitter", "check-config",
		"enabled", "secret-file", "http-header-file": // rules-update list-sources / enable-source arguments
		return ""
	case "eve":
		return "eve.path"
	case "eve-rotated":
		return "eve.rotated"
	case "max-line-bytes":
		return "eve.max_line_bytes"
	case "state-dir", "log-level", "log-format", "metrics-file":
		return strings.ReplaceAll(flag, "-", "_")
	case "to", "from", "smtp", "sendmail", "mail-timeout":
		return "mail." + strings.TrimPrefix(flag, "mail-")
	case "smtp-username", "smtp-password-file", "smtp-ca-file":
		return "mail." + strings.ReplaceAll(strings.TrimPrefix(flag, "smtp-"), "-", "_")
	}
	return section + "." + strings.ReplaceAll(flag, "-", "_")
}
