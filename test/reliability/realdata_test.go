package reliability

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/buger/jsonparser"

	"github.com/suricron/suricron/internal/mail/mailtest"
	"github.com/suricron/suricron/internal/sharedtest"
)

// realSources are the real eve samples replayed by TestRealAlertsThroughKillsAndRotation:
// a sensor's full eve.json (alerts among flows, dns, stats…) and four
// alert captures (../shared/testdata/eve, see SOURCES.txt there).
var realSources = [][]string{
	{"eve", "josevnz", "eve-2.json"},
	{"eve", "frankhassanabad", "first-org-conf-2015-alerts.ndjson"},
	{"eve", "frankhassanabad", "honeypot-2018-alerts.ndjson"},
	{"eve", "frankhassanabad", "wrccdc-2017-alerts.ndjson"},
	{"eve", "frankhassanabad", "wrccdc-2018-alerts.ndjson"},
}

// TestRealAlertsThroughKillsAndRotation replays the real samples into a
// live eve.json in random chunks (some records in two writes), rotates it
// with the real logrotate (Debian's stanza, and copytruncate), and runs the
// built alert-digest and telemetry-send after each chunk, SIGKILLing 40 %
// of the runs at a random moment. At the end, counting each batch id once,
// telemetry-send delivered every real alert exactly once (by flow_id, with
// its multiplicity) and alert-digest mailed exactly as many alerts as the
// samples hold; a batch id seen twice carried the same records, and there
// are no more such repeats than kills.
func TestRealAlertsThroughKillsAndRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("binaries and logrotate")
	}
	logrotate := sharedtest.Logrotate(t)
	var lines [][]byte
	want := map[int64]int{} // alert flow_id -> occurrences in the samples
	alertsTotal := 0
	for _, src := range realSources {
		b, err := os.ReadFile(sharedtest.Path(t, src...))
		if err != nil {
			t.Fatal(err)
		}
		for l := range bytes.Lines(b) {
			lines = append(lines, l)
			if et, _ := jsonparser.GetString(l, "event_type"); et == "alert" {
				id, err := jsonparser.GetInt(l, "flow_id")
				if err != nil {
					t.Fatalf("%s: alert without flow_id: %.120s", filepath.Join(src...), l)
				}
				want[id]++
				alertsTotal++
			}
		}
	}
	if alertsTotal != 666 {
		t.Fatalf("the samples hold %d alerts; jq counts 666", alertsTotal)
	}

	for _, mode := range []string{"create", "copytruncate"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			eve := filepath.Join(dir, "eve.json")
			writeFile(t, eve, "", 0o644)
			conf := filepath.Join(dir, "logrotate.conf")
			writeFile(t, conf, fmt.Sprintf("%s {\n\trotate 100\n\tmissingok\n\tcompress\n\t%s\n}\n", eve, mode), 0o644)
			rotate := func() {
				out, err := exec.Command(logrotate, "-f", "-s", filepath.Join(dir, "logrotate.state"), conf).CombinedOutput()
				if err != nil {
					t.Fatalf("logrotate: %v\n%s", err, out)
				}
			}
			sink := newDigestSink(t, "")
			col := newCollector(t)
			token := filepath.Join(dir, "token")
			writeFile(t, token, "real-data-token\n", 0o600)
			none := emptyConfig(t, dir)
			env := cleanEnv(t, "SSL_CERT_FILE="+col.caFile)
			digest := []string{"-c", none, "--eve", eve, "--state-dir", filepath.Join(dir, "sd"), "--start", "all",
				"--sendmail", sink.script, "--max-groups", "100000"}
			telemetry := []string{"-c", none, "--eve", eve, "--state-dir", filepath.Join(dir, "st"), "--start", "all",
				"--all-alerts", "--no-interfaces", "--protocol", "ndjson", "--endpoint", col.srv.URL + "/ingest",
				"--token-file", token, "--batch-size", "40", "--retries", "1", "--retry-wait", "10ms", "--timeout", "10s"}

			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
			kills := map[string]int{}
			step := func(kill bool) {
				for _, c := range []struct {
					name string
					args []string
				}{{"alert-digest", digest}, {"telemetry-send", telemetry}} {
					var delay time.Duration = -1
					if kill && rng.Float64() < 0.4 {
						delay = time.Duration(rng.Int64N(int64(40 * time.Millisecond)))
					}
					if runKillable(t, env, c.name, delay, c.args...) {
						kills[c.name]++
					}
				}
			}
			for i := 0; i < len(lines); {
				n := min(1+rng.IntN(60), len(lines)-i)
				var chunk []byte
				for _, l := range lines[i : i+n] {
					chunk = append(chunk, l...)
				}
				i += n
				if rng.IntN(4) == 0 && len(chunk) > 40 {
					// The writer's last record arrives in two writes, a run between.
					cut := len(chunk) - 1 - rng.IntN(30)
					appendFile(t, eve, string(chunk[:cut]))
					step(true)
					chunk = chunk[cut:]
				}
				appendFile(t, eve, string(chunk))
				step(true)
				if rng.IntN(5) == 0 {
					rotate()
				}
			}
			for i := 0; i < 30; i++ { // drain: clean runs until nothing more arrives
				before := len(col.got()) + len(sink.raws(t))
				step(false)
				if i >= 2 && len(col.got())+len(sink.raws(t)) == before {
					break
				}
			}

			// telemetry-send: every real alert once per distinct batch.
			got := map[int64]int{}
			first := map[string][]int{}
			repeats := 0
			for _, b := range col.got() {
				if prev, ok := first[b.ID]; ok {
					repeats++
					if fmt.Sprint(prev) != fmt.Sprint(b.Records) {
						t.Errorf("telemetry batch %s resent with other records", b.ID)
					}
					continue
				}
				first[b.ID] = b.Records
				for _, id := range b.Records {
					got[int64(id)]++
				}
			}
			for id, n := range want {
				if got[id] != n {
					t.Errorf("telemetry: flow_id %d delivered %d times in distinct batches, the samples hold it %d times", id, got[id], n)
				}
			}
			if len(got) != len(want) {
				t.Errorf("telemetry: %d distinct flow_ids delivered, the samples hold %d", len(got), len(want))
			}
			if repeats > kills["telemetry-send"] {
				t.Errorf("telemetry: %d batches resent, only %d kills", repeats, kills["telemetry-send"])
			}

			// alert-digest: the distinct digests carry every alert.
			mailed, mailRepeats := 0, 0
			seen := map[string]string{}
			for _, raw := range sink.raws(t) {
				p, err := mailtest.ParseMessage([]byte(raw))
				if err != nil {
					t.Fatal(err)
				}
				id, count := p.Header.Get("X-Suricron-Batch"), p.Header.Get("X-Suricron-Alerts")
				if prev, ok := seen[id]; ok {
					mailRepeats++
					if prev != count {
						t.Errorf("digest batch %s resent with %s alerts, first sent with %s", id, count, prev)
					}
					continue
				}
				seen[id] = count
				n, err := strconv.Atoi(count)
				if err != nil {
					t.Fatalf("X-Suricron-Alerts %q: %v", count, err)
				}
				mailed += n
			}
			if mailed != alertsTotal {
				t.Errorf("alert-digest mailed %d alerts in distinct digests, the samples hold %d", mailed, alertsTotal)
			}
			if mailRepeats > kills["alert-digest"] {
				t.Errorf("alert-digest: %d digests resent, only %d kills", mailRepeats, kills["alert-digest"])
			}
			t.Logf("%s: %d lines, %d alerts; telemetry %d batches (%d resent, %d kills); digest %d mails (%d resent, %d kills)",
				mode, len(lines), alertsTotal, len(first), repeats, kills["telemetry-send"], len(seen), mailRepeats, kills["alert-digest"])
		})
	}
}

// runKillable runs a command to completion, or SIGKILLs it (and its
// children, e.g. sendmail) after delay when delay >= 0. It reports whether
// the run was killed; any exit other than 0 or 75 fails the test.
func runKillable(t *testing.T, env []string, name string, delay time.Duration, args ...string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin(name), args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if delay >= 0 {
		timer := time.AfterFunc(delay, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
		defer timer.Stop()
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
		if ee.ExitCode() == 75 {
			return false
		}
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, stderr.String())
	}
	return false
}
