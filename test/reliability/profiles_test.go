package reliability

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// hookScript stores each digest JSON it is given in DIR (atomically) and,
// while DIR/kill exists, removes it and SIGKILLs alert-digest: the digest
// was delivered, the checkpoint not yet committed.
const hookScript = `#!/bin/sh
d="$1"
t=$(mktemp "$d/.tmp.XXXXXX") || exit 75
cat > "$t" || exit 75
mv "$t" "$d/in.$(date +%s%N).$SURICRON_BATCH" || exit 75
if [ -e "$d/kill" ]; then rm -f "$d/kill"; kill -KILL $PPID; sleep 1; fi
exit 0
`

type hookDelivery struct {
	Batch    string `json:"batch"`
	Alerts   int64  `json:"alerts"`
	Sections []struct {
		SID   int64 `json:"sid"`
		Count int64 `json:"count"`
	} `json:"sections"`
}

func hookDeliveries(t *testing.T, dir string) []hookDelivery {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "in.*"))
	sort.Strings(names)
	var out []hookDelivery
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		var d hookDelivery
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if !strings.HasSuffix(n, "."+d.Batch) {
			t.Fatalf("%s: SURICRON_BATCH differs from the document's batch %s", n, d.Batch)
		}
		out = append(out, d)
	}
	return out
}

func alertLine(n, sid, sev int) string {
	ts := time.Date(2026, 12, 7, 10, 0, 0, n*1000, time.UTC)
	return fmt.Sprintf(`{"timestamp":"%s","flow_id":%d,"event_type":"alert","src_ip":"10.1.0.%d","src_port":4000,"dest_ip":"192.0.2.7","dest_port":443,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":%d,"rev":1,"signature":"TEST sid %d","category":"Misc activity","severity":%d}}`+"\n",
		ts.Format("2006-01-02T15:04:05.000000+0000"), n, n%250+1, sid, sid, sev)
}

// TestProfilesSurviveKillBetweenDeliveryAndCommit runs the built
// alert-digest with two profiles from one config file: "urgent"
// (severity 1, exec hook only) and the default (mail + exec hook). Each is
// SIGKILLed by its hook once, after the hook stored the digest and before
// the checkpoint was committed. The next run of that profile re-sends the
// same alerts under the same batch id; the other profile is unaffected;
// after that nothing is sent twice and every alert reaches each profile.
func TestProfilesSurviveKillBetweenDeliveryAndCommit(t *testing.T) {
	dir := t.TempDir()
	eve := filepath.Join(dir, "eve.json")
	state := filepath.Join(dir, "state")
	urgentDir, defDir := filepath.Join(dir, "urgent"), filepath.Join(dir, "default")
	for _, d := range []string{urgentDir, defDir} {
		os.MkdirAll(d, 0o755)
	}
	hook := filepath.Join(dir, "hook")
	writeFile(t, hook, hookScript, 0o755)
	sink := newDigestSink(t, "")
	cfg := filepath.Join(dir, "suricron.toml")
	writeFile(t, cfg, fmt.Sprintf(`state_dir = %q
[eve]
path = %q
[mail]
to = ["soc@example.org"]
sendmail = %q
[digest]
start = "beginning"
exec = "%s %s"
[digest.profile.urgent]
min_severity = 1
no_mail = true
exec = "%s %s"
`, state, eve, sink.script, hook, defDir, hook, urgentDir), 0o644)
	env := cleanEnv(t)
	urgent := []string{"-c", cfg, "--profile", "urgent"}
	def := []string{"-c", cfg}

	var lines strings.Builder
	for n := 1; n <= 5; n++ {
		sid, sev := 2, 3
		if n%2 == 1 {
			sid, sev = 1, 1
		}
		lines.WriteString(alertLine(n, sid, sev))
	}
	writeFile(t, eve, lines.String(), 0o644)

	// urgent: delivered, then killed before the commit.
	writeFile(t, filepath.Join(urgentDir, "kill"), "", 0o644)
	if r := run(t, env, "alert-digest", urgent...); r.code != -1 {
		t.Fatalf("urgent run 1: exit %d, want SIGKILL\n%s", r.code, r.stderr)
	}
	// default: the urgent profile's kill changed nothing for it; it is
	// killed the same way after mail and hook.
	writeFile(t, filepath.Join(defDir, "kill"), "", 0o644)
	if r := run(t, env, "alert-digest", def...); r.code != -1 {
		t.Fatalf("default run 1: exit %d, want SIGKILL\n%s", r.code, r.stderr)
	}
	// Both re-run: same batch again, then committed.
	run(t, env, "alert-digest", urgent...).want(t, 0, "urgent run 2")
	run(t, env, "alert-digest", def...).want(t, 0, "default run 2")
	// Nothing new: nothing sent.
	run(t, env, "alert-digest", urgent...).want(t, 0, "urgent run 3")
	run(t, env, "alert-digest", def...).want(t, 0, "default run 3")

	u := hookDeliveries(t, urgentDir)
	d := hookDeliveries(t, defDir)
	if len(u) != 2 || u[0].Batch != u[1].Batch || u[0].Alerts != 3 || u[1].Alerts != 3 {
		t.Fatalf("urgent deliveries %+v: want the same 3-alert batch twice (the resend after the kill)", u)
	}
	for _, s := range u[0].Sections {
		if s.SID != 1 {
			t.Fatalf("urgent profile delivered sid %d (severity 3)", s.SID)
		}
	}
	if len(d) != 2 || d[0].Batch != d[1].Batch || d[0].Alerts != 5 || d[0].Batch == u[0].Batch {
		t.Fatalf("default deliveries %+v: want one 5-alert batch twice, not urgent's id", d)
	}
	// The mail went out once: the resend skipped the destination that
	// had accepted the batch before the kill.
	mails := sink.raws(t)
	if len(mails) != 1 || !strings.Contains(mails[0], "X-Suricron-Batch: "+d[0].Batch) {
		t.Fatalf("%d mails, want 1 with batch %s", len(mails), d[0].Batch)
	}

	// New alerts: each profile sends only those, under a new id.
	appendFile(t, eve, alertLine(6, 1, 1)+alertLine(7, 2, 3))
	run(t, env, "alert-digest", urgent...).want(t, 0, "urgent run 4")
	run(t, env, "alert-digest", def...).want(t, 0, "default run 4")
	u, d = hookDeliveries(t, urgentDir), hookDeliveries(t, defDir)
	if len(u) != 3 || u[2].Alerts != 1 || u[2].Batch == u[0].Batch {
		t.Fatalf("urgent after new alerts: %+v", u)
	}
	if len(d) != 3 || d[2].Alerts != 2 || d[2].Batch == d[0].Batch {
		t.Fatalf("default after new alerts: %+v", d)
	}
	for _, p := range []string{"alert-digest.state.json", "alert-digest-urgent.state.json", "alert-digest.lock", "alert-digest-urgent.lock"} {
		if _, err := os.Stat(filepath.Join(state, p)); err != nil {
			t.Errorf("state dir: %v", err)
		}
	}
}
