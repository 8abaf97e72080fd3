package deploy

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/mail/mailtest"
)

// TestDebianPackage builds the .deb with tools/package, installs it with
// dpkg -i, checks what the package set up (user, state dir, conffiles,
// units), runs --version of each installed command, and then every job
// from the installed binaries as the suricron user with the installed
// example config: mail to the local postfix (tools/mta), uploads to a
// local HTTPS server, rules from a file:// tarball. It changes the
// system, so it runs only with SURICRON_DPKG_TEST=1 (CI sets it) as
// root; it purges the package afterwards unless it was installed before.
func TestDebianPackage(t *testing.T) {
	if os.Getenv("SURICRON_DPKG_TEST") != "1" {
		t.Skip("installs system-wide: set SURICRON_DPKG_TEST=1 (as root) to run")
	}
	if os.Geteuid() != 0 {
		t.Fatal("SURICRON_DPKG_TEST=1 needs root")
	}
	for _, tool := range []string{"dpkg", "runuser"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found", tool)
		}
	}
	// Build the package from the test binaries (version testVersion).
	dist := t.TempDir()
	cmd := exec.Command("go", "run", "./tools/package", "-version", testVersion, "-bin", binDir(t), "-root", repoRoot(), "-out", dist)
	cmd.Dir = repoRoot()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tools/package: %v\n%s", err, out)
	}
	deb := strings.TrimSpace(string(out))
	if filepath.Base(deb) != "suricron_0.0.0+deploytest_amd64.deb" {
		t.Errorf("package file %s", deb)
	}

	before := runCmd(t, nil, "dpkg-query", "-W", "-f", "${Status}", "suricron")
	if !strings.Contains(before.stdout, "ok installed") {
		t.Cleanup(func() {
			if r := runCmd(t, nil, "dpkg", "--purge", "suricron"); r.code != 0 {
				t.Errorf("dpkg --purge: %s", r)
			}
		})
	}
	if r := runCmd(t, []string{"DEBIAN_FRONTEND=noninteractive"}, "dpkg", "-i", "--force-confnew", deb); r.code != 0 {
		t.Fatalf("dpkg -i: %s", r)
	}

	// What the package set up.
	u, err := user.Lookup("suricron")
	if err != nil {
		t.Fatalf("postinst created no suricron user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if fi, err := os.Stat("/var/lib/suricron"); err != nil || fi.Sys().(*syscall.Stat_t).Uid != uint32(uid) {
		t.Errorf("/var/lib/suricron missing or not owned by suricron: %v", err)
	}
	for _, p := range []string{"/etc/cron.d/suricron", "/etc/suricron/suricron.toml", "/usr/lib/sysusers.d/suricron.conf",
		"/usr/lib/systemd/system/suricron-alert-digest.timer", "/usr/lib/systemd/system/suricron-rules-update.service"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	if r := runCmd(t, nil, "dpkg-query", "-W", "-f", "${Conffiles}", "suricron"); !strings.Contains(r.stdout, "/etc/cron.d/suricron") || !strings.Contains(r.stdout, "/etc/suricron/suricron.toml") {
		t.Errorf("conffiles: %q", r.stdout)
	}
	for _, c := range commands() {
		r := runCmd(t, nil, "/usr/bin/"+c, "--version")
		if r.code != 0 || !strings.HasPrefix(r.stdout, c+" "+testVersion+" (commit ") {
			t.Errorf("/usr/bin/%s --version: %s", c, r)
		}
	}

	// Every job, from the installed files, as the service user.
	maildir := startPostfix(t)
	dir, err := os.MkdirTemp("", "suricron-dpkg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	metricsDir := filepath.Join(dir, "metrics")
	os.Mkdir(metricsDir, 0o755)
	os.Chown(metricsDir, uid, gid)
	runAllJobs(t, jobSetup{
		bin:    func(c string) string { return "/usr/bin/" + c },
		wrap:   []string{"runuser", "-u", "suricron", "--"},
		config: "/etc/suricron/suricron.toml",
		dir:    dir,
		checkMail: func(t *testing.T, header, value string) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := mailtest.WaitMaildir(ctx, maildir, func(m *mailtest.MaildirMessage) bool {
				return strings.Contains(m.Header.Get(header), value)
			}); err != nil {
				t.Errorf("postfix delivered no message with %s: %s: %v", header, value, err)
			}
		},
		metrics: filepath.Join(metricsDir, "suricron.prom"),
		chown:   [2]int{uid, gid},
	})
	if r := runCmd(t, nil, "runuser", "-u", "suricron", "--", "test", "-s", "/var/lib/suricata/rules/suricata.rules"); r.code != 0 {
		t.Error("rules-update installed no /var/lib/suricata/rules/suricata.rules")
	}
}

// startPostfix runs tools/mta/postfix-start.sh (idempotent) and returns
// the catch-all Maildir.
func startPostfix(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("SURICRON_POSTFIX_MAILDIR"); d != "" && os.Getenv("SURICRON_POSTFIX") == "1" {
		return d
	}
	cmd := exec.Command("bash", rootPath("tools", "mta", "postfix-start.sh"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tools/mta/postfix-start.sh: %v\n%s", err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		t.Fatal("postfix-start.sh printed no Maildir")
	}
	return lines[len(lines)-1]
}
