package digest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/mail/mailtest"
	"github.com/suricron/suricron/internal/sharedtest"
)

// TestRotationBetweenRunsLosesNothing rotates eve.json with Debian's
// suricata stanza (rotate 14, compress, create, no delaycompress) between
// two runs, twice before the second run, and checks that the two mails
// together hold every alert exactly once.
func TestRotationBetweenRunsLosesNothing(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	e := newEnv(t)
	rotate := debianLogrotate(t, e)
	sid := int64(100)
	want := map[string]int64{}
	write := func(n int) {
		for i := 0; i < n; i++ {
			sid++
			a := alert{sid: sid, sev: 2, src: "10.0.0.1", dst: "10.0.0.2", dport: 80}
			appendAlerts(t, e.eve, a)
			// Flows between alerts, as in a real log.
			appendLines(t, e.eve, []byte(`{"timestamp":"2025-06-01T12:00:00.000000+0000","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2"}`+"\n"))
			want[fmt.Sprintf("%d 10.0.0.1 10.0.0.2", sid)] = 1
		}
	}
	cfg := e.config()
	cfg.Mail.SMTP = srv.URL()

	write(3)
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}
	write(2) // written after run 1, then rotated away
	rotate()
	write(4)
	rotate() // eve.json.1.gz -> eve.json.2.gz
	write(5)
	if _, err := os.Stat(e.eve + ".2.gz"); err != nil {
		t.Fatalf("logrotate did not produce .2.gz: %v", err)
	}
	if _, err := e.run(t, cfg); err != nil {
		t.Fatal(err)
	}

	got := map[string]int64{}
	for _, m := range srv.Messages() {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		for k, n := range parsedGroups(t, p.Text) {
			got[k] += n
		}
	}
	if len(srv.Messages()) != 2 {
		t.Errorf("%d mails, want 2", len(srv.Messages()))
	}
	for k := range want {
		if got[k] != 1 {
			t.Errorf("alert %s delivered %d times", k, got[k])
		}
	}
	if len(got) != len(want) {
		t.Errorf("delivered %d distinct alerts, wrote %d", len(got), len(want))
	}
}

// TestClockSteppedBackAcrossRotation: the command's clock (Deps.Now) was a
// day ahead when it saved its state over an empty eve.json, then stepped
// back to the true time; alerts written since are rotated away by the real
// logrotate (compress: new inode, mtime earlier than the saved time). The
// next run mails every one of them, once.
func TestClockSteppedBackAcrossRotation(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	e := newEnv(t)
	rotate := debianLogrotate(t, e)
	cfg := e.config()
	cfg.Mail.SMTP = srv.URL()
	cfg.Start = checkpoint.StartEnd
	d := e.deps()
	d.Now = func() time.Time { return time.Now().Add(24 * time.Hour) }
	if _, err := run(context.Background(), cfg, d); err != nil {
		t.Fatal(err)
	}
	for sid := int64(1); sid <= 4; sid++ {
		appendAlerts(t, e.eve, alert{sid: sid, sev: 2, src: "10.0.0.1", dst: "10.0.0.2", dport: 80})
	}
	rotate()
	appendAlerts(t, e.eve, alert{sid: 5, sev: 2, src: "10.0.0.1", dst: "10.0.0.2", dport: 80})
	d.Now = time.Now // stepped back to the true time
	res, err := run(context.Background(), cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	if res.Alerts != 5 || len(srv.Messages()) != 1 {
		t.Fatalf("%d alerts in %d mails after the clock stepped back, want 5 in 1\n%s", res.Alerts, len(srv.Messages()), e.logs.String())
	}
}

// debianLogrotate returns a function that runs the real logrotate on e's
// eve.json with Debian's suricata stanza (rotate 14, compress, create, no
// delaycompress), forced.
func debianLogrotate(t *testing.T, e *env) func() {
	t.Helper()
	bin := sharedtest.Logrotate(t)
	conf := filepath.Join(e.dir, "suricata.logrotate")
	stanza := fmt.Sprintf("%s {\n\trotate 14\n\tmissingok\n\tcompress\n\tcreate\n}\n", e.eve)
	if err := os.WriteFile(conf, []byte(stanza), 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		out, err := exec.Command(bin, "-f", "-s", filepath.Join(e.dir, "logrotate.status"), conf).CombinedOutput()
		if err != nil {
			t.Fatalf("logrotate: %v\n%s", err, out)
		}
	}
}
