package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestEveryServiceMode runs alert-digest --every 1s through the built
// binary with a sendmail script that appends each message to a file. It
// checks that the service runs repeatedly (a mail per burst of new
// alerts), that a cron-style one-shot run started while the service holds
// the lock (its sendmail is slow) exits 75 and sends nothing, and that
// SIGTERM ends the service promptly with exit 0.
func TestEveryServiceMode(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 10 s")
	}
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	mails := filepath.Join(dir, "mails")
	slow := filepath.Join(dir, "slow")
	sending := filepath.Join(dir, "sending")
	sendmail := filepath.Join(dir, "sendmail")
	script := fmt.Sprintf(`#!/bin/sh
# A sendmail stand-in: marks the delivery in progress, stores the message,
# and lingers while %[3]s exists so the test can catch the lock held.
touch %[1]s
{ cat; echo "--END--"; } >> %[2]s
while [ -e %[3]s ]; do sleep 0.1; done
rm -f %[1]s
`, sending, mails, slow)
	if err := os.WriteFile(sendmail, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(eve, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	n := 0
	addAlerts := func(k int) {
		f, err := os.OpenFile(eve, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for range k {
			n++
			fmt.Fprintf(f, `{"timestamp":"%s","flow_id":%d,"event_type":"alert","src_ip":"10.0.0.%d","src_port":4000,"dest_ip":"192.0.2.1","dest_port":443,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2100498,"rev":7,"signature":"GPL ATTACK_RESPONSE id check returned root","category":"Potentially Bad Traffic","severity":2}}`+"\n",
				time.Now().Format("2006-01-02T15:04:05.000000-0700"), n, n%250)
		}
	}
	mailCount := func() int {
		b, _ := os.ReadFile(mails)
		return bytes.Count(b, []byte("--END--\n"))
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second) // a hang guard, not a speed check
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 60 s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	args := []string{"--config", filepath.Join(dir, "none.toml"), "--eve", eve, "--state-dir", filepath.Join(dir, "state"),
		"--sendmail", sendmail, "--to", "ops@sensor.test", "--from", "suricron@sensor.test"}
	os.WriteFile(filepath.Join(dir, "none.toml"), nil, 0o644)
	bin := filepath.Join(binDir(t), "alert-digest")

	svc := exec.Command(bin, append(args, "--every", "1s", "--log-level", "info")...)
	svc.Env = baseEnv()
	svcErr := &syncBuffer{}
	svc.Stderr = svcErr
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- svc.Wait() }()
	defer func() {
		if svc.ProcessState == nil {
			svc.Process.Kill()
			<-exited
		}
	}()
	// The first run only sets the checkpoint at the end of the empty file.
	waitFor("the service's first run", func() bool { return strings.Contains(svcErr.String(), "digest done") })

	for i := 1; i <= 2; i++ {
		addAlerts(3)
		waitFor(fmt.Sprintf("mail %d", i), func() bool { return mailCount() == i })
	}

	// Let the previous delivery's script finish first: its marker would
	// otherwise be mistaken for the slow delivery below.
	waitFor("the previous delivery to end", func() bool { _, err := os.Stat(sending); return err != nil })
	// Hold the service inside a delivery: it holds the checkpoint lock.
	os.WriteFile(slow, nil, 0o644)
	addAlerts(2)
	waitFor("the slow delivery", func() bool { _, err := os.Stat(sending); return err == nil })
	oneShot := runCmd(t, nil, bin, args...)
	if oneShot.code != 75 {
		t.Errorf("one-shot run while the service holds the lock: want exit 75\n%s", oneShot)
	}
	if !strings.Contains(oneShot.stderr, "lock") {
		t.Errorf("the one-shot run does not say the lock is busy: %q", oneShot.stderr)
	}
	os.Remove(slow)
	waitFor("the slow delivery to end", func() bool { _, err := os.Stat(sending); return err != nil })
	if got := mailCount(); got != 3 {
		t.Errorf("%d mails, want 3: the one-shot run must not have sent", got)
	}

	// SIGTERM while idle: a clean exit 0. The wait is a hang guard only: a
	// loaded CI may be slow, and a time bound here would flake.
	if err := svc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("service exit after SIGTERM: %v\n%s", err, svcErr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("service did not exit within 60 s of SIGTERM\n%s", svcErr.String())
	}
	// Every alert was mailed exactly once.
	b, _ := os.ReadFile(mails)
	total := 0
	for _, m := range strings.Split(string(b), "--END--\n") {
		if v := headerValue(m, "X-Suricron-Alerts"); v != "" {
			var k int
			fmt.Sscan(v, &k)
			total += k
		}
	}
	if total != n {
		t.Errorf("mails carry %d alerts, %d were written", total, n)
	}
}

// syncBuffer is the service's stderr, written by exec's copier while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
