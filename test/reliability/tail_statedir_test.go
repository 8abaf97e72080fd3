package reliability

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlantedSymlinksInStateDir: symlinks planted in the state dir under
// the names the commands write (the lock, telemetry-send's last-send file
// and its old fixed temp name) never make a run create or overwrite their
// targets; a planted lock is refused with a clear error.
func TestPlantedSymlinksInStateDir(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binaries")
	}
	t.Run("telemetry-send last-send temp", func(t *testing.T) {
		dir := t.TempDir()
		eve, state := filepath.Join(dir, "eve.json"), filepath.Join(dir, "state")
		writeFile(t, eve, alerts(1, 5), 0o644)
		writeFile(t, filepath.Join(dir, "token"), "tok\n", 0o600)
		if err := os.Mkdir(state, 0o700); err != nil {
			t.Fatal(err)
		}
		victim := filepath.Join(dir, "victim")
		writeFile(t, victim, "precious\n", 0o644)
		for _, name := range []string{"telemetry-send.last.json.tmp", ".telemetry-send.last.json.tmp"} {
			if err := os.Symlink(victim, filepath.Join(state, name)); err != nil {
				t.Fatal(err)
			}
		}
		col := newCollector(t)
		env := cleanEnv(t, "SSL_CERT_FILE="+col.caFile)
		run(t, env, "telemetry-send", "-c", emptyConfig(t, dir), "--eve", eve, "--state-dir", state, "--start", "beginning",
			"--all-alerts", "--no-interfaces", "--protocol", "ndjson", "--endpoint", col.srv.URL+"/ingest",
			"--token-file", filepath.Join(dir, "token")).want(t, 0, "upload")
		if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
			t.Errorf("the symlink's target was overwritten: %q", b)
		}
		if fi, err := os.Lstat(filepath.Join(state, "telemetry-send.last.json")); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("last-send file not written as a regular file: %v", err)
		}
	})
	t.Run("lock", func(t *testing.T) {
		c := newDigestCase(t, "")
		victim := filepath.Join(c.dir, "created-by-root")
		lockPath := filepath.Join(c.state, "alert-digest.lock")
		os.Remove(lockPath)
		if err := os.Symlink(victim, lockPath); err != nil {
			t.Fatal(err)
		}
		r := c.run(t, "--sendmail", c.sink.script)
		if r.code == 0 {
			t.Errorf("a run with a symlinked lock succeeded")
		}
		if !strings.Contains(r.stderr, "symbolic link") {
			t.Errorf("stderr does not say why: %q", r.stderr)
		}
		if _, err := os.Lstat(victim); err == nil {
			t.Errorf("the lock symlink's target was created")
		}
	})
}

// TestStateDirWritableByOthers: every command that writes in the state dir
// refuses one that a group or other users may write to (exit 2, naming the
// directory), before reading or sending anything.
func TestStateDirWritableByOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binaries")
	}
	dir := t.TempDir()
	eve, state := filepath.Join(dir, "eve.json"), filepath.Join(dir, "state")
	writeFile(t, eve, alerts(1, 5), 0o644)
	writeFile(t, filepath.Join(dir, "token"), "tok\n", 0o600)
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(state, 0o777); err != nil {
		t.Fatal(err)
	}
	conf := emptyConfig(t, dir)
	sink := newDigestSink(t, "")
	col := newCollector(t)
	env := cleanEnv(t, "SSL_CERT_FILE="+col.caFile)
	common := []string{"-c", conf, "--eve", eve, "--state-dir", state}
	cases := map[string][]string{
		"alert-digest": append(common, "--start", "beginning", "--sendmail", sink.script),
		"telemetry-send": append(common, "--start", "beginning", "--all-alerts", "--no-interfaces", "--protocol", "ndjson",
			"--endpoint", col.srv.URL+"/ingest", "--token-file", filepath.Join(dir, "token")),
		"weekly-report": append(common, "--collect-only"),
		"rules-update":  {"-c", conf, "--state-dir", state, "--url", "file://" + filepath.Join(dir, "missing.tar.gz"), "--output", filepath.Join(dir, "suricata.rules")},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			r := run(t, env, name, args...).want(t, 2, name+" with a world-writable state dir")
			if !strings.Contains(r.stderr, state) || !strings.Contains(r.stderr, "writable by group or others") {
				t.Errorf("stderr does not name the dir and the reason: %q", r.stderr)
			}
		})
	}
	if n := len(sink.batches(t)); n != 0 {
		t.Errorf("%d digests sent", n)
	}
	if n := len(col.got()); n != 0 {
		t.Errorf("%d uploads", n)
	}
	ents, _ := os.ReadDir(state)
	if len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files written in the refused state dir: %v", names)
	}
}
