package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/mail/mailtest"
)

// TestPostfixEndToEnd runs the built binary against a real postfix on
// 127.0.0.1:25 (started by tools/mta/postfix-start.sh, which CI runs before
// setting SURICRON_POSTFIX=1), over verified STARTTLS, then reads the
// delivered message back from the catch-all Maildir and checks that every
// alert written is in it exactly once.
func TestPostfixEndToEnd(t *testing.T) {
	mta := mailtest.RequirePostfix(t)
	maildir := mta.Maildir

	dir := t.TempDir()
	bin := filepath.Join(dir, "alert-digest")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	eve := filepath.Join(dir, "eve.json")
	state := filepath.Join(dir, "state")

	// 60 groups with 1..60 alerts each (1830 alerts), interleaved with
	// flows, and a first run that only establishes the checkpoint.
	if err := os.WriteFile(eve, []byte(`{"timestamp":"2025-06-01T11:00:00.000000+0200","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--eve", eve, "--state-dir", state, "--smtp", mta.URL,
		"--smtp-ca-file", mta.CAFile, "--from", "suricron@sensor.test", "--max-groups", "1000", "--mail-timeout", "20s"}
	runBin(t, bin, 0, append(base, "--to", "nobody@sensor.test")...)

	want := map[string]int64{}
	var buf bytes.Buffer
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.FixedZone("", 2*3600))
	total := 0
	for g := 1; g <= 60; g++ {
		key := fmt.Sprintf("%d 10.1.%d.%d 192.0.2.%d", 2100000+g%7, g/10, g, g%5)
		want[key] = int64(g)
		for i := 0; i < g; i++ {
			rec := map[string]any{
				"timestamp": t0.Add(time.Duration(total) * time.Second).Format("2006-01-02T15:04:05.000000-0700"),
				"flow_id":   1000 + total, "event_type": "alert",
				"src_ip": fmt.Sprintf("10.1.%d.%d", g/10, g), "src_port": 40000 + i,
				"dest_ip": fmt.Sprintf("192.0.2.%d", g%5), "dest_port": 443, "proto": "TCP",
				"alert": map[string]any{"action": "allowed", "gid": 1, "signature_id": 2100000 + g%7, "rev": 1,
					"signature": fmt.Sprintf("SURICRON E2E signature %d", g%7), "category": "Misc activity", "severity": 1 + g%3},
			}
			b, _ := json.Marshal(rec)
			buf.Write(b)
			buf.WriteByte('\n')
			fmt.Fprintf(&buf, `{"timestamp":"2025-06-01T12:00:00.000000+0200","event_type":"flow","src_ip":"10.0.0.%d","dest_ip":"10.0.0.2"}`+"\n", i%200)
			total++
		}
	}
	f, err := os.OpenFile(eve, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// A unique recipient finds this run's mail among earlier ones.
	rcpt := fmt.Sprintf("e2e-%d@sensor.test", time.Now().UnixNano())
	dry := runBin(t, bin, 0, append(base, "--to", rcpt, "--dry-run")...)
	batch := regexp.MustCompile(`(?m)^X-Suricron-Batch: ([0-9a-f]+)\r$`).FindSubmatch(dry)
	if batch == nil {
		t.Fatalf("no batch id in the dry run:\n%.2000s", dry)
	}
	runBin(t, bin, 0, append(base, "--to", rcpt)...)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := mailtest.WaitMaildir(ctx, maildir, func(m *mailtest.MaildirMessage) bool {
		return m.Header.Get("X-Suricron-Batch") == string(batch[1]) && strings.Contains(m.Header.Get("To"), rcpt)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(m.Raw, []byte("using TLS")) {
		t.Errorf("postfix did not record a TLS session in Received:\n%.800s", m.Raw)
	}
	if got := m.Header.Get("X-Suricron-Alerts"); got != strconv.Itoa(total) {
		t.Errorf("X-Suricron-Alerts %s, wrote %d", got, total)
	}
	if !strings.Contains(m.Subject, fmt.Sprintf(": %d alerts, 7 signatures", total)) {
		t.Errorf("subject %q", m.Subject)
	}
	rows := regexp.MustCompile(`(?m)^\s*(\d+)  +(\d+)  +.+?  +(\S+) -> (\S+)  `).FindAllStringSubmatch(m.Text, -1)
	got := map[string]int64{}
	var sum int64
	for _, r := range rows {
		n, _ := strconv.ParseInt(r[1], 10, 64)
		k := r[2] + " " + r[3] + " " + r[4]
		if _, dup := got[k]; dup {
			t.Errorf("group %s listed twice", k)
		}
		got[k] = n
		sum += n
	}
	if sum != int64(total) {
		t.Errorf("group counts sum to %d, wrote %d alerts", sum, total)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("group %s: %d in the mail, %d written", k, got[k], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d groups in the mail, %d written", len(got), len(want))
	}
	if !strings.Contains(m.HTML, "<table") {
		t.Errorf("no HTML table in the delivered message")
	}
	// Delivered and committed: the next run has nothing to send.
	runBin(t, bin, 0, append(base, "--to", rcpt)...)
	time.Sleep(time.Second)
	msgs, err := mailtest.ReadMaildir(maildir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mm := range msgs {
		if strings.Contains(mm.Header.Get("To"), rcpt) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d messages for %s, want 1", n, rcpt)
	}
}

func runBin(t *testing.T, bin string, wantCode int, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != wantCode {
		t.Fatalf("%s %v: exit %d, want %d\nstderr: %s", bin, args, code, wantCode, stderr.String())
	}
	return stdout.Bytes()
}
