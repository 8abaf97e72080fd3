package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// unitFile is a parsed systemd unit: section → key → values in order.
type unitFile map[string]map[string][]string

func readUnit(t *testing.T, path string) unitFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unitFile{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: bad line %q", path, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

func (u unitFile) get(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func unitFiles(t *testing.T, ext string) []string {
	t.Helper()
	m, err := filepath.Glob(rootPath("contrib", "systemd", "suricron-*"+ext))
	if err != nil || len(m) == 0 {
		t.Fatalf("no %s units in contrib/systemd (%v)", ext, err)
	}
	return m
}

// TestSystemdUnits checks what systemd-analyze cannot: each timer starts
// an existing service, each service runs a suricron command whose flags
// exist, with the explicit config, hardened, writing only where it must;
// and every job of the cron file has a timer.
func TestSystemdUnits(t *testing.T) {
	services := unitFiles(t, ".service")
	for _, timer := range unitFiles(t, ".timer") {
		u := readUnit(t, timer)
		svc := strings.TrimSuffix(filepath.Base(timer), ".timer") + ".service"
		if got := u.get("Timer", "Unit"); got != "" && got != svc {
			svc = got
		}
		if !slices.Contains(services, filepath.Join(filepath.Dir(timer), svc)) {
			t.Errorf("%s starts %s, which does not exist", filepath.Base(timer), svc)
		}
		if u.get("Timer", "OnCalendar") == "" {
			t.Errorf("%s: no OnCalendar", filepath.Base(timer))
		}
		if u.get("Install", "WantedBy") != "timers.target" {
			t.Errorf("%s: not WantedBy=timers.target", filepath.Base(timer))
		}
	}
	var jobs []string
	for _, path := range services {
		name := filepath.Base(path)
		u := readUnit(t, path)
		exec := strings.Fields(u.get("Service", "ExecStart"))
		if len(exec) < 3 || !strings.HasPrefix(exec[0], "/usr/bin/") {
			t.Errorf("%s: ExecStart %q does not run an installed command", name, exec)
			continue
		}
		cmd := filepath.Base(exec[0])
		if !slices.Contains(commands(), cmd) || cmd == "dump-data" {
			t.Errorf("%s: %s is not a job command", name, cmd)
			continue
		}
		if i := slices.Index(exec, "--config"); i < 0 || exec[i+1] != "/etc/suricron/suricron.toml" {
			t.Errorf("%s: config path not explicit", name)
		}
		checkInvocation(t, name, cmd, exec[1:])
		jobs = append(jobs, strings.Join(exec, " "))

		want := map[string]string{
			"Type": "oneshot", "User": "suricron", "ProtectSystem": "strict", "NoNewPrivileges": "yes",
			"PrivateTmp": "yes", "ProtectHome": "yes", "CapabilityBoundingSet": "",
		}
		for k, v := range want {
			if got, ok := u["Service"][k]; !ok || u.get("Service", k) != v {
				t.Errorf("%s: %s=%q, want %q", name, k, got, v)
			}
		}
		rw := strings.Fields(strings.Join(u["Service"]["ReadWritePaths"], " "))
		wantRW := []string{"/var/lib/suricron"}
		if cmd == "rules-update" {
			wantRW = append(wantRW, "/var/lib/suricata/rules")
		}
		for _, p := range wantRW {
			if !slices.Contains(rw, p) {
				t.Errorf("%s: ReadWritePaths %v lacks %s", name, rw, p)
			}
		}
		for _, p := range rw {
			if !slices.Contains(wantRW, p) {
				t.Errorf("%s: writes %s, which it does not need", name, p)
			}
		}
	}
	// Same jobs as cron.d.
	_, entries := readCronFile(t)
	for _, e := range entries {
		parts, _ := splitCronCommand(e.command)
		job := parts[len(parts)-1]
		var key []string
		for _, a := range job {
			if a == "send" || a == "heartbeat" || a == "--collect-only" || a == "--mail" {
				key = append(key, a)
			}
		}
		found := false
		for _, j := range jobs {
			if strings.HasPrefix(j, "/usr/bin/"+job[0]+" ") {
				ok := true
				for _, k := range key {
					ok = ok && slices.Contains(strings.Fields(j), k)
				}
				found = found || ok
			}
		}
		if !found {
			t.Errorf("cron job %q has no systemd service", e.command)
		}
	}
}

// TestSystemdAnalyzeVerify runs systemd's own checker over a copy of the
// units whose ExecStart points at the freshly built binaries (verify
// insists that the command exists). Any message is a failure: verify
// reports unknown keys and bad values as warnings with exit status 0.
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (apt-get install systemd)")
	}
	dir := t.TempDir()
	var units []string
	for _, src := range append(unitFiles(t, ".service"), unitFiles(t, ".timer")...) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.Base(src))
		if err := os.WriteFile(dst, []byte(strings.ReplaceAll(string(b), "/usr/bin/", binDir(t)+"/")), 0o644); err != nil {
			t.Fatal(err)
		}
		units = append(units, dst)
	}
	verify := func(files ...string) result {
		return runCmd(t, []string{"SYSTEMD_LOG_COLOR=0"}, analyze, append([]string{"verify", "--man=no"}, files...)...)
	}
	if r := verify(units...); r.code != 0 || strings.TrimSpace(r.stdout+r.stderr) != "" {
		t.Errorf("systemd-analyze verify:\n%s", r)
	}

	// Control: the same run on a unit with a typo must complain, or the
	// silence above proves nothing on this machine.
	bad := filepath.Join(dir, "suricron-typo.service")
	b, _ := os.ReadFile(units[0])
	os.WriteFile(bad, []byte(strings.Replace(string(b), "ProtectSystem=strict", "ProtectSystem=strcit", 1)), 0o644)
	if r := verify(bad); strings.TrimSpace(r.stdout+r.stderr) == "" {
		t.Errorf("systemd-analyze verify does not report a bad value here; the check above is void")
	}
}
