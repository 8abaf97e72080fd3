package reliability

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestFIFOInLogDir: a FIFO matched by the rotated-file pattern
// (eve.json.pipe) is not part of the stream. On the starting code every
// command blocked in open(2) on it, deaf to SIGTERM and holding its lock,
// so that run never ended (killed here by run's 60 s bound) and every later
// run exited 75. Now the runs deliver the alerts and the next run works.
func TestFIFOInLogDir(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binaries")
	}
	c := newDigestCase(t, "") // 1..5 delivered, 6..10 waiting
	if err := syscall.Mkfifo(filepath.Join(c.dir, "eve.json.pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.run(t, "--sendmail", c.sink.script).want(t, 0, "digest with a FIFO beside eve.json")
	appendFile(t, c.eve, alerts(11, 12))
	c.run(t, "--sendmail", c.sink.script).want(t, 0, "the next digest")
	exactlyOnce(t, "digests", c.sink.batches(t), 1, 12)

	dir := t.TempDir()
	eve, state := filepath.Join(dir, "eve.json"), filepath.Join(dir, "state")
	writeFile(t, eve, alerts(1, 5), 0o644)
	writeFile(t, filepath.Join(dir, "token"), "tok\n", 0o600)
	if err := syscall.Mkfifo(filepath.Join(dir, "eve.json.pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	col := newCollector(t)
	env := cleanEnv(t, "SSL_CERT_FILE="+col.caFile)
	conf := emptyConfig(t, dir)
	run(t, env, "telemetry-send", "-c", conf, "--eve", eve, "--state-dir", state, "--start", "beginning",
		"--all-alerts", "--no-interfaces", "--protocol", "ndjson", "--endpoint", col.srv.URL+"/ingest",
		"--token-file", filepath.Join(dir, "token")).want(t, 0, "telemetry-send with a FIFO beside eve.json")
	exactlyOnce(t, "uploads", col.got(), 1, 5)
	run(t, env, "weekly-report", "-c", conf, "--eve", eve, "--state-dir", state, "--start", "beginning",
		"--collect-only").want(t, 0, "weekly-report with a FIFO beside eve.json")
}
