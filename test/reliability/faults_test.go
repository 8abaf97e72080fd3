package reliability

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/suricron/suricron/tools/soak/soak"
)

// digestCase is an alert-digest set-up that has delivered alerts 1..5 and
// has 6..10 waiting: the fault run must fail cleanly on those, leave the
// committed position alone, and the next run must deliver them once.
type digestCase struct {
	dir, eve, state, conf string
	sink                  *digestSink
	env                   []string
}

func newDigestCase(t *testing.T, stateDir string) *digestCase {
	t.Helper()
	dir := t.TempDir()
	c := &digestCase{dir: dir, eve: filepath.Join(dir, "eve.json"), state: stateDir, conf: emptyConfig(t, dir),
		sink: newDigestSink(t, ""), env: cleanEnv(t)}
	if c.state == "" {
		c.state = filepath.Join(dir, "state")
	}
	writeFile(t, c.eve, alerts(1, 5), 0o644)
	c.run(t, "--sendmail", c.sink.script).want(t, 0, "first digest")
	appendFile(t, c.eve, alerts(6, 10))
	return c
}

func (c *digestCase) run(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, c.env, "alert-digest", append([]string{"-c", c.conf, "--eve", c.eve, "--state-dir", c.state,
		"--start", "beginning", "--max-groups", "1000", "--mail-timeout", "2s"}, args...)...)
}

// fault runs the failing run, checks its exit code, message and state,
// lets fix repair the fault, and checks the recovery.
func (c *digestCase) fault(t *testing.T, code int, msg string, fix func(), args ...string) {
	t.Helper()
	before := statePos(t, c.state, "alert-digest")
	if len(args) == 0 {
		args = []string{"--sendmail", c.sink.script}
	}
	r := c.run(t, args...).want(t, code, "fault run")
	if !strings.Contains(r.stderr, msg) {
		t.Errorf("fault run: stderr %q does not say %q", r.stderr, msg)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") > 3 {
		t.Errorf("fault run: the error is not short and clear:\n%s", r.stderr)
	}
	if after := statePos(t, c.state, "alert-digest"); after != before {
		t.Errorf("fault run moved the committed position:\nbefore %s\nafter  %s", before, after)
	}
	if fix != nil {
		fix()
	}
	c.run(t, "--sendmail", c.sink.script).want(t, 0, "recovery run")
	exactlyOnce(t, "digests", c.sink.batches(t), 1, 10)
}

// mountTmpfs mounts a small tmpfs at dir, or skips: only root may, and a
// container may forbid it (the checkpoint package's injected-filesystem
// tests cover the same failures without a mount).
func mountTmpfs(t *testing.T, dir, opts string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); internal/checkpoint's TestUnreadableStateDir and TestCrashDuringStateWrite cover this without one", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
}

// TestResourceFaults: each fault gives a clear one-line error and the
// documented exit code (1 failure, 75 temporary), the committed position
// stays, and the next run recovers and delivers the waiting alerts once.
func TestResourceFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binaries")
	}
	t.Run("state dir read-only", func(t *testing.T) {
		sd := filepath.Join(t.TempDir(), "state")
		mountTmpfs(t, sd, "size=1m,mode=0700")
		c := newDigestCase(t, sd)
		if err := syscall.Mount("", sd, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			t.Skipf("remount read-only: %v", err)
		}
		c.fault(t, 1, "read-only file system", func() {
			if err := syscall.Mount("", sd, "", syscall.MS_REMOUNT, "size=1m"); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("state dir full", func(t *testing.T) {
		sd := filepath.Join(t.TempDir(), "state")
		mountTmpfs(t, sd, "size=64k,mode=0700")
		c := newDigestCase(t, sd)
		filler := filepath.Join(sd, "filler")
		f, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		for i := 0; i < 100; i++ {
			if _, err := f.Write(buf); err != nil {
				break // ENOSPC: full
			}
		}
		f.Close()
		c.fault(t, 1, "no space left on device", func() { os.Remove(filler) })
	})
	t.Run("eve.json unreadable", func(t *testing.T) {
		c := newDigestCase(t, "")
		os.Chmod(c.eve, 0)
		if os.Geteuid() == 0 {
			// Root reads anything: stand in an entry that cannot be opened
			// for reading by anyone (a socket).
			os.Rename(c.eve, c.eve+".saved")
			l, err := net.Listen("unix", c.eve)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			c.fault(t, 1, "eve.json", func() {
				l.Close()
				os.Remove(c.eve)
				os.Rename(c.eve+".saved", c.eve)
			})
			return
		}
		c.fault(t, 1, "permission denied", func() { os.Chmod(c.eve, 0o644) })
	})
	t.Run("eve.json replaced by a directory", func(t *testing.T) {
		c := newDigestCase(t, "")
		os.Rename(c.eve, c.eve+".saved")
		if err := os.Mkdir(c.eve, 0o755); err != nil {
			t.Fatal(err)
		}
		c.fault(t, 1, "directory", func() {
			os.Remove(c.eve)
			os.Rename(c.eve+".saved", c.eve)
		})
	})
	t.Run("SMTP server hangs", func(t *testing.T) {
		c := newDigestCase(t, "")
		addr := fakeServer(t, func(conn net.Conn) { time.Sleep(10 * time.Second) })
		c.fault(t, 75, "kept for the next run", nil, "--smtp", "smtp://"+addr)
	})
	t.Run("SMTP server resets", func(t *testing.T) {
		c := newDigestCase(t, "")
		addr := fakeServer(t, func(conn net.Conn) {
			bufio.NewReader(conn) // read nothing; reset at once
			conn.(*net.TCPConn).SetLinger(0)
		})
		c.fault(t, 75, "kept for the next run", nil, "--smtp", "smtp://"+addr)
	})
	t.Run("SMTP server answers garbage", func(t *testing.T) {
		c := newDigestCase(t, "")
		addr := fakeServer(t, func(conn net.Conn) {
			conn.Write([]byte("HTTP/1.1 400 Bad Request\r\n\x00\xff garbage\r\n"))
			time.Sleep(200 * time.Millisecond)
		})
		// Not an SMTP server at all: a permanent misconfiguration (exit 1),
		// with the position kept all the same.
		c.fault(t, 1, "failed at greeting", nil, "--smtp", "smtp://"+addr)
	})
	for _, mode := range []string{"hang", "reset", "garbage"} {
		t.Run("HTTP collector "+mode, func(t *testing.T) {
			dir := t.TempDir()
			eve, state := filepath.Join(dir, "eve.json"), filepath.Join(dir, "state")
			writeFile(t, eve, alerts(1, 5), 0o644)
			writeFile(t, filepath.Join(dir, "token"), "tok\n", 0o600)
			col := newCollector(t)
			env := cleanEnv(t, "SSL_CERT_FILE="+col.caFile)
			args := []string{"-c", emptyConfig(t, dir), "--eve", eve, "--state-dir", state, "--start", "beginning",
				"--all-alerts", "--no-interfaces", "--protocol", "ndjson", "--endpoint", col.srv.URL + "/ingest",
				"--token-file", filepath.Join(dir, "token"), "--timeout", "1s", "--retries", "2", "--retry-wait", "10ms"}
			run(t, env, "telemetry-send", args...).want(t, 0, "first upload")
			appendFile(t, eve, alerts(6, 10))
			before := statePos(t, state, "telemetry-send")
			col.set(mode)
			r := run(t, env, "telemetry-send", args...).want(t, 75, "upload to a broken collector")
			if strings.Count(strings.TrimSpace(r.stderr), "\n") > 3 || r.stderr == "" {
				t.Errorf("error not short and clear:\n%s", r.stderr)
			}
			if strings.Contains(r.stderr, "tok") && !strings.Contains(r.stderr, "token") {
				t.Errorf("stderr shows the token:\n%s", r.stderr)
			}
			if after := statePos(t, state, "telemetry-send"); after != before {
				t.Errorf("position moved:\nbefore %s\nafter  %s", before, after)
			}
			col.set("ok")
			run(t, env, "telemetry-send", args...).want(t, 0, "recovery upload")
			exactlyOnce(t, "uploads", col.got(), 1, 10)
		})
	}
}

// fakeServer accepts TCP connections on 127.0.0.1 and hands each to serve
// (then closes it); it stops with the test.
func fakeServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				serve(conn)
			}()
		}
	}()
	return l.Addr().String()
}

// TestEveDeletedWhileRead: eve.json is unlinked while a run reads it. The
// run finishes on its open file and delivers everything; a new eve.json is
// then read from its start.
func TestEveDeletedWhileRead(t *testing.T) {
	if testing.Short() {
		t.Skip("large file")
	}
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	conf := emptyConfig(t, dir)
	// One signature and one source so that the mail stays small however
	// many alerts: the run spends its time reading.
	var b strings.Builder
	for n := 1; n <= 300000; n++ {
		l := strings.Replace(soak.AlertLine(n, time.Now()), soak.SrcIP(n), "10.0.0.1", 1)
		b.WriteString(strings.Replace(l, fmt.Sprintf(`"signature_id":%d,`, soak.SID(n)), fmt.Sprintf(`"signature_id":%d,`, soak.SID(0)), 1))
	}
	writeFile(t, eve, b.String(), 0o644)
	sink := newDigestSink(t, "")
	env := cleanEnv(t)
	args := []string{"-c", conf, "--eve", eve, "--state-dir", filepath.Join(dir, "state"), "--start", "beginning", "--sendmail", sink.script}
	cmd, res := startBin(t, env, "alert-digest", args...)
	deleted := false
	for i := 0; i < 20000 && !deleted; i++ {
		fds, _ := os.ReadDir("/proc/" + itoa(cmd.Process.Pid) + "/fd")
		for _, fd := range fds {
			if target, _ := os.Readlink("/proc/" + itoa(cmd.Process.Pid) + "/fd/" + fd.Name()); target == eve {
				if err := os.Remove(eve); err != nil {
					t.Fatal(err)
				}
				deleted = true
				break
			}
		}
		time.Sleep(100 * time.Microsecond)
	}
	r := res()
	if !deleted {
		t.Fatalf("never saw the run holding eve.json open (exit %d)", r.code)
	}
	r.want(t, 0, "run whose eve.json was deleted under it")
	bs := sink.batches(t)
	if len(bs) != 1 || bs[0].Claimed != 300000 {
		t.Fatalf("want one digest of 300000 alerts, got %d digests %+v", len(bs), bs)
	}
	// A new eve.json: read from its start.
	writeFile(t, eve, alerts(300001, 300005), 0o644)
	run(t, env, "alert-digest", args...).want(t, 0, "run on the new eve.json")
	bs = sink.batches(t)
	if len(bs) != 2 {
		t.Fatalf("%d digests, want 2", len(bs))
	}
	exactlyOnce(t, "new file", bs[1:], 300001, 300005)
}

// TestClockJumpsBack: the sensor's clock jumps back a day between two
// rotations, so the newer rotated file starts with an older timestamp than
// the one before it. Every alert is still delivered exactly once, in every
// consumer.
func TestClockJumpsBack(t *testing.T) {
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	conf := emptyConfig(t, dir)
	sink := newDigestSink(t, "")
	env := cleanEnv(t)
	digest := []string{"-c", conf, "--eve", eve, "--state-dir", filepath.Join(dir, "sd"), "--start", "beginning", "--sendmail", sink.script, "--max-groups", "1000"}
	weeklyState := filepath.Join(dir, "sw")
	weekly := []string{"-c", conf, "--eve", eve, "--state-dir", weeklyState, "--start", "beginning", "--collect-only"}
	at := func(first, last int, ts time.Time) string {
		var b strings.Builder
		for n := first; n <= last; n++ {
			b.WriteString(soak.AlertLine(n, ts.Add(time.Duration(n)*time.Second)))
		}
		return b.String()
	}
	now := time.Now().Add(-time.Hour)
	writeFile(t, eve, at(1, 5, now), 0o644)
	run(t, env, "alert-digest", digest...).want(t, 0, "digest 1")
	run(t, env, "weekly-report", weekly...).want(t, 0, "collect 1")
	appendFile(t, eve, at(6, 10, now))
	os.Rename(eve, eve+".1")
	writeFile(t, eve, at(11, 15, now.Add(-24*time.Hour)), 0o644) // the clock went back a day
	os.Rename(eve+".1", eve+".2")
	os.Rename(eve, eve+".1")
	writeFile(t, eve, at(16, 20, now.Add(-23*time.Hour)), 0o644)
	run(t, env, "alert-digest", digest...).want(t, 0, "digest 2")
	run(t, env, "weekly-report", weekly...).want(t, 0, "collect 2")
	exactlyOnce(t, "digests across a backward clock jump", sink.batches(t), 1, 20)
	if got := weeklyTotal(t, env, conf, eve, weeklyState); got != 20 {
		t.Errorf("weekly-report counts %d alerts, 20 written", got)
	}
}
