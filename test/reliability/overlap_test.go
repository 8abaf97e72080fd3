package reliability

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// tenAtOnce starts the same command ten times at once and returns the
// results.
func tenAtOnce(t *testing.T, env []string, name string, args ...string) []result {
	t.Helper()
	out := make([]result, 10)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range out {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			out[i] = run(t, env, name, args...)
		}(i)
	}
	close(start)
	wg.Wait()
	return out
}

// oneWorks checks: exactly one run exited 0, nine exited 75 quickly (at
// once, not after waiting for the lock) and said why.
func oneWorks(t *testing.T, what string, rs []result, holder time.Duration) {
	t.Helper()
	ok := 0
	for _, r := range rs {
		switch r.code {
		case 0:
			ok++
		case 75:
			if r.took >= holder {
				t.Errorf("%s: a busy run took %s; it should exit 75 at once", what, r.took)
			}
			if len(r.stderr) == 0 {
				t.Errorf("%s: a busy run exited 75 without saying why", what)
			}
		default:
			t.Errorf("%s: exit %d: %s", what, r.code, r.stderr)
		}
	}
	if ok != 1 {
		t.Errorf("%s: %d runs succeeded, want exactly 1", what, ok)
	}
}

// TestTenConcurrentRuns: ten runs of the same command at the same moment;
// one holds the lock (its delivery is slowed to 3 s), the other nine exit 75
// at once, and the receiver gets the alerts exactly once.
func TestTenConcurrentRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	const hold = 3 * time.Second
	t.Run("alert-digest", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		eve, state := filepath.Join(dir, "eve.json"), filepath.Join(dir, "state")
		writeFile(t, eve, alerts(1, 40), 0o644)
		sink := newDigestSink(t, "3")
		env := cleanEnv(t)
		rs := tenAtOnce(t, env, "alert-digest", "-c", emptyConfig(t, dir), "--eve", eve, "--state-dir", state,
			"--start", "beginning", "--sendmail", sink.script, "--max-groups", "1000")
		oneWorks(t, "alert-digest", rs, hold)
		exactlyOnce(t, "alert-digest", sink.batches(t), 1, 40)
	})
	t.Run("telemetry-send", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		eve, state := filepath.Join(dir, "eve.json"), filepath.Join(dir, "state")
		writeFile(t, eve, alerts(1, 40), 0o644)
		writeFile(t, filepath.Join(dir, "token"), "tok\n", 0o600)
		c := newCollector(t)
		c.slow = hold
		c.set("slow")
		env := cleanEnv(t, "SSL_CERT_FILE="+c.caFile)
		rs := tenAtOnce(t, env, "telemetry-send", "-c", emptyConfig(t, dir), "--eve", eve, "--state-dir", state,
			"--start", "beginning", "--all-alerts", "--no-interfaces", "--protocol", "ndjson",
			"--endpoint", c.srv.URL+"/ingest", "--token-file", filepath.Join(dir, "token"), "--batch-size", "100")
		oneWorks(t, "telemetry-send", rs, hold)
		exactlyOnce(t, "telemetry-send", c.got(), 1, 40)
	})
	t.Run("weekly-report", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		eve, state := filepath.Join(dir, "eve.json"), filepath.Join(dir, "state")
		writeFile(t, eve, alerts(1, 20000), 0o644)
		conf := emptyConfig(t, dir)
		env := cleanEnv(t)
		args := []string{"-c", conf, "--eve", eve, "--state-dir", state, "--start", "beginning", "--collect-only"}
		// A run that holds the lock (as flock(1) or a slow collect would):
		// every one of ten runs exits 75 at once.
		if err := os.MkdirAll(state, 0o700); err != nil {
			t.Fatal(err)
		}
		lf, err := os.OpenFile(filepath.Join(state, "weekly-report.lock"), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			t.Fatal(err)
		}
		for _, r := range tenAtOnce(t, env, "weekly-report", args...) {
			r.want(t, 75, "weekly-report while another run holds the lock")
			if r.took >= hold {
				t.Errorf("busy weekly-report took %s", r.took)
			}
		}
		lf.Close()
		// Ten racing collects: whoever wins folds each line once.
		zero := 0
		for _, r := range tenAtOnce(t, env, "weekly-report", args...) {
			if r.code == 0 {
				zero++
			} else if r.code != 75 {
				t.Errorf("racing collect: exit %d: %s", r.code, r.stderr)
			}
		}
		if zero == 0 {
			t.Error("no racing collect succeeded")
		}
		if got := weeklyTotal(t, env, conf, eve, state); got != 20000 {
			t.Errorf("aggregates count %d alerts, 20000 written: folded twice or lost", got)
		}
	})
}

// TestCronAndServiceTogether: a service-mode run (--every 1s) and cron-style
// one-shot runs every 100 ms share the lock while alerts keep arriving:
// every alert is mailed and counted exactly once.
func TestCronAndServiceTogether(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for seconds")
	}
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	writeFile(t, eve, "", 0o644)
	conf := emptyConfig(t, dir)
	sink := newDigestSink(t, "")
	env := cleanEnv(t)
	digestArgs := []string{"-c", conf, "--eve", eve, "--state-dir", filepath.Join(dir, "sd"), "--start", "beginning",
		"--sendmail", sink.script, "--max-groups", "100000"}
	weeklyState := filepath.Join(dir, "sw")
	weeklyArgs := []string{"-c", conf, "--eve", eve, "--state-dir", weeklyState, "--start", "beginning", "--collect-only"}

	// The services.
	var svcs []*serviceRun
	svcs = append(svcs, startService(t, env, "alert-digest", append(digestArgs, "--every", "1s")...))
	svcs = append(svcs, startService(t, env, "weekly-report", append(weeklyArgs, "--every", "1s")...))

	// The writer and the cron runs, for 4 s.
	n := 0
	deadline := time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) {
		appendFile(t, eve, alerts(n+1, n+10))
		n += 10
		for _, c := range []struct {
			name string
			args []string
		}{{"alert-digest", digestArgs}, {"weekly-report", weeklyArgs}} {
			if r := run(t, env, c.name, c.args...); r.code != 0 && r.code != 75 {
				t.Fatalf("cron run of %s: exit %d: %s", c.name, r.code, r.stderr)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, s := range svcs {
		s.stop(t)
	}
	run(t, env, "alert-digest", digestArgs...).want(t, 0, "final digest")
	run(t, env, "weekly-report", weeklyArgs...).want(t, 0, "final collect")
	exactlyOnce(t, "cron + service digests", sink.batches(t), 1, n)
	if got := weeklyTotal(t, env, conf, eve, weeklyState); got != n {
		t.Errorf("weekly-report aggregates count %d alerts, %d written", got, n)
	}
}
