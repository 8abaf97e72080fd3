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
	wantSig := map[string]int64{}
	var buf bytes.Buffer
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.FixedZone("", 2*3600))
	total := 0
	for g := 1; g <= 60; g++ {
		key := fmt.Sprintf("%d 10.1.%d.%d 192.0.2.%d", 2100000+g%7, g/10, g, g%5)
		want[key] = int64(g)
		wantSig[strconv.Itoa(2100000+g%7)] += int64(g)
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
	// Per signature (README "alert-digest": one "## N. sid GID:SID rev R |
	// COUNT alerts | ..." section each) the counts are what was written,
	// and the top pairs listed carry their exact counts.
	text := strings.ReplaceAll(m.Text, "\r\n", "\n")
	heads := regexp.MustCompile(`(?m)^## \d+\. sid 1:(\d+) rev \d+ \| ([\d,]+) alerts?`).FindAllStringSubmatch(text, -1)
	gotSig := map[string]int64{}
	var sum int64
	for _, h := range heads {
		n, _ := strconv.ParseInt(strings.ReplaceAll(h[2], ",", ""), 10, 64)
		if _, dup := gotSig[h[1]]; dup {
			t.Errorf("signature %s has two sections", h[1])
		}
		gotSig[h[1]] = n
		sum += n
	}
	if sum != int64(total) {
		t.Errorf("section counts sum to %d, wrote %d alerts", sum, total)
	}
	for sid, n := range wantSig {
		if gotSig[sid] != n {
			t.Errorf("signature %s: %d in the mail, %d written", sid, gotSig[sid], n)
		}
	}
	sid := ""
	pairs := 0
	for _, line := range strings.Split(text, "\n") {
		if h := regexp.MustCompile(`^## \d+\. sid 1:(\d+) `).FindStringSubmatch(line); h != nil {
			sid = h[1]
			continue
		}
		p := regexp.MustCompile(`^ {3,}([\d,]+)  (\S+) -> (\S+)  port 443$`).FindStringSubmatch(line)
		if p == nil {
			continue
		}
		n, _ := strconv.ParseInt(strings.ReplaceAll(p[1], ",", ""), 10, 64)
		if k := sid + " " + p[2] + " " + p[3]; want[k] != n {
			t.Errorf("pair %s: %d in the mail, %d written", k, n, want[k])
		}
		pairs++
	}
	if pairs != 7*5 {
		t.Errorf("%d top pairs listed, want 5 for each of the 7 signatures", pairs)
	}
	if !strings.Contains(m.HTML, "Signatures, most important first") {
		t.Errorf("no signature sections in the delivered HTML")
	}
	// Delivered and committed: the next run has nothing to send, and says
	// so in its summary log line.
	if out := runBinStderr(t, bin, append(base, "--to", rcpt, "--log-level", "info")...); !strings.Contains(out, "sent=false") || !strings.Contains(out, "alerts=0") {
		t.Errorf("second run did not report an empty run:\n%s", out)
	}
	// Proof without a sleep: one more alert makes a sentinel mail through
	// the same postfix; once it is in the Maildir, the recipient must have
	// exactly two (the digest and the sentinel), no repeat of the first.
	f, err = os.OpenFile(eve, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `{"timestamp":"2025-06-01T13:00:00.000000+0200","flow_id":9,"event_type":"alert","src_ip":"10.9.9.9","dest_ip":"192.0.2.9","dest_port":443,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2199999,"rev":1,"signature":"SURICRON E2E sentinel","category":"Misc activity","severity":3}}`+"\n")
	f.Close()
	runBin(t, bin, 0, append(base, "--to", rcpt)...)
	if _, err := mailtest.WaitMaildir(ctx, maildir, func(m *mailtest.MaildirMessage) bool {
		return m.Header.Get("X-Suricron-Alerts") == "1" && strings.Contains(m.Header.Get("To"), rcpt)
	}); err != nil {
		t.Fatalf("sentinel mail: %v", err)
	}
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
	if n != 2 {
		t.Errorf("%d messages for %s, want 2 (the digest, then the sentinel)", n, rcpt)
	}
}

// runBinStderr runs bin, requires exit 0 and returns its stderr.
func runBinStderr(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\nstderr: %s", bin, args, err, stderr.String())
	}
	return stderr.String()
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
