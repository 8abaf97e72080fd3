package deploy

import (
	"context"
	"fmt"
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

// nsEnv marks the re-executed test process that runs inside its own mount
// namespace (see TestDebianPackage).
const nsEnv = "SURICRON_DPKG_NAMESPACE"

// TestDebianPackage builds the .deb with tools/package, installs it with
// dpkg -i, checks what the package set up (user, state dir, conffiles,
// units), runs --version of each installed command, and then every job
// from the installed binaries as the suricron user with the installed
// example config: mail to the local postfix (tools/mta), uploads to a
// local HTTPS server, rules from a file:// tarball; then purges it and
// checks that purge put back what postinst changed.
//
// It never touches the host: it re-runs itself under unshare --mount with
// copy-on-write overlays over /etc, /usr and /var whose upper layers are in
// a temp dir (dpkg's database, the user postinst creates, every installed
// file land there), and an empty tmpfs over /var/lib/suricata, so a real
// sensor's rules neither change nor trip the shrink guard. The namespace and the temp dir go away
// at the end; the test then checks that the host paths are as before. It
// needs root, so it runs only with SURICRON_DPKG_TEST=1 (.ci/run sets it).
func TestDebianPackage(t *testing.T) {
	if os.Getenv("SURICRON_DPKG_TEST") != "1" {
		t.Skip("builds and installs the .deb in a private mount namespace: set SURICRON_DPKG_TEST=1 as root (sudo bash .ci/run runs everything)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("SURICRON_DPKG_TEST=1 needs root")
	}
	for _, tool := range []string{"dpkg", "runuser", "unshare", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found", tool)
		}
	}
	if os.Getenv(nsEnv) != "1" {
		runInPrivateRoot(t)
		return
	}
	debianPackageInNamespace(t)
}

// hostPaths are what an install would change on the host; their state
// before and after the namespaced run must be the same.
var hostPaths = []string{"/etc/suricron", "/etc/cron.d/suricron", "/var/lib/suricron", "/var/lib/suricata/rules",
	"/var/lib/suricata/rules/suricata.rules", "/usr/bin/alert-digest", "/usr/bin/rules-update",
	"/usr/lib/systemd/system/suricron-alert-digest.timer", "/usr/share/man/man1/alert-digest.1.gz", "/var/lib/dpkg/status", "/etc/passwd", "/etc/group"}

func hostState(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, p := range hostPaths {
		fi, err := os.Lstat(p)
		if err != nil {
			fmt.Fprintf(&b, "%s: absent\n", p)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		fmt.Fprintf(&b, "%s: %v %d:%d size %d mtime %d\n", p, fi.Mode(), st.Uid, st.Gid, fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String()
}

// runInPrivateRoot re-runs this test inside a new mount namespace whose
// /etc, /usr and /var are overlays with throw-away upper layers.
func runInPrivateRoot(t *testing.T) {
	tmp, err := os.MkdirTemp("", "suricron-dpkg-ns-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for _, d := range []string{"/etc", "/usr", "/var"} {
		if strings.HasPrefix(tmp, d+"/") {
			t.Fatalf("temp dir %s is inside %s, which the test overlays; set TMPDIR", tmp, d)
		}
	}
	// The MTA runs on the host (started here, once); its Maildir is bound
	// back into the namespace so the mails stay visible.
	maildir := startPostfix(t)
	before := hostState(t)
	script := `set -e
for d in etc usr var; do
	mkdir -p "$T/$d.upper" "$T/$d.work"
done
mkdir -p "$T/maildir"
mount --bind "$MAILDIR" "$T/maildir"
for d in etc usr var; do
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$T/$d.upper,workdir=$T/$d.work" "/$d"
done
mkdir -p /var/lib/suricata "$MAILDIR"
mount -t tmpfs -o mode=0755 tmpfs /var/lib/suricata
mount --bind "$T/maildir" "$MAILDIR"
exec "$@"
`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
		os.Args[0], "-test.run", "^TestDebianPackage$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), nsEnv+"=1", "T="+tmp, "MAILDIR="+maildir,
		"SURICRON_POSTFIX=1", "SURICRON_POSTFIX_MAILDIR="+maildir)
	out, err := cmd.CombinedOutput()
	t.Logf("in the private mount namespace:\n%s", out)
	if err != nil {
		t.Errorf("namespaced TestDebianPackage: %v", err)
	}
	if after := hostState(t); after != before {
		t.Errorf("the host changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func debianPackageInNamespace(t *testing.T) {
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

	// Inside the namespace /var/lib/suricata is an empty tmpfs: postinst
	// creates the rules dir for the suricron group, and purge must leave it
	// root:root 0755, as a Suricata package would have it.
	t.Cleanup(func() {
		if r := runCmd(t, nil, "dpkg", "--purge", "suricron"); r.code != 0 {
			t.Errorf("dpkg --purge: %s", r)
		}
		fi, err := os.Stat("/var/lib/suricata/rules")
		if err != nil {
			t.Errorf("purge removed the rules dir: %v", err)
			return
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Gid != 0 || fi.Mode().Perm() != 0o755 {
			t.Errorf("after purge /var/lib/suricata/rules is gid %d mode %04o, want root 0755", st.Gid, fi.Mode().Perm())
		}
		if _, err := os.Stat("/var/lib/suricron"); !os.IsNotExist(err) {
			t.Errorf("purge left /var/lib/suricron: %v", err)
		}
	})
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
