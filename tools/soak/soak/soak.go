// Package soak is the crash and rotation soak of the built suricron
// commands: a writer appends alerts to a live eve.json, the real logrotate
// rotates it (Debian's suricata stanza, or copytruncate), and alert-digest,
// telemetry-send and weekly-report run in loops, SIGKILLed at random moments.
// At the end every receiver is compared with what was written. tools/soak
// runs it for minutes (make soak); test/reliability runs a short one inside
// make test.
package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

// Rotation modes.
const (
	ModeCreate       = "create"       // rename + create + HUP, compress (Debian)
	ModeCopytruncate = "copytruncate" // copy, truncate in place, compress
)

// Commands the soak drives.
const (
	CmdDigest    = "alert-digest"
	CmdTelemetry = "telemetry-send"
	CmdWeekly    = "weekly-report"
)

// SMTP sends the digests to a real MTA instead of the sendmail stand-in.
type SMTP struct {
	URL     string // e.g. smtp://127.0.0.1:25?starttls=required
	CAFile  string
	Maildir string // where the MTA delivers (catch-all)
}

// Config of one soak round (one rotation mode).
type Config struct {
	Bin       string        // directory with the built commands
	Dir       string        // work directory; created
	Duration  time.Duration // writing, rotating and killing
	Mode      string        // ModeCreate or ModeCopytruncate
	Rate      int           // alerts per second (default 200)
	RotateMin time.Duration // between rotations (default 1s)
	RotateMax time.Duration // (default 3s)
	KillProb  float64       // chance that a run is SIGKILLed (default 0.4)
	Seed      uint64
	Logrotate string // default: LogrotateBin()
	SMTP      *SMTP  // nil: --sendmail stand-in storing into a directory
	Logf      func(format string, args ...any)
}

// Result is one command's account of one round.
type Result struct {
	Command string `json:"command"`
	Mode    string `json:"mode"`
	Written int    `json:"written"` // alerts written to eve.json
	// NeverComplete: written, yet in no file at any snapshot (logrotate's
	// copy→truncate window); not ours to deliver.
	NeverComplete int `json:"never_complete"`
	Delivered     int `json:"delivered"`  // alerts the receiver got, duplicates included
	Duplicated    int `json:"duplicated"` // deliveries beyond the first of a record
	Lost          int `json:"lost"`       // complete in some file, never delivered
	Batches       int `json:"batches"`
	DupBatches    int `json:"dup_batches"` // batches delivered again (same id)
	// DupBound (weekly-report): the most alerts kills may have counted
	// twice, one batch per kill.
	DupBound  int      `json:"dup_bound,omitempty"`
	Runs      int      `json:"runs"`
	Kills     int      `json:"kills"`
	Rotations int      `json:"rotations"`
	Problems  []string `json:"problems,omitempty"`
	Warnings  []string `json:"warnings,omitempty"` // the runs' WARN lines, counted
}

// OK reports whether the round met the guarantees.
func (r Result) OK() bool { return len(r.Problems) == 0 }

func (c *Config) defaults() error {
	if c.Rate <= 0 {
		c.Rate = 200
	}
	if c.RotateMin <= 0 {
		c.RotateMin = time.Second
	}
	if c.RotateMax < c.RotateMin {
		c.RotateMax = 3 * c.RotateMin
	}
	if c.KillProb == 0 {
		c.KillProb = 0.4
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.Logrotate == "" {
		p, err := LogrotateBin()
		if err != nil {
			return fmt.Errorf("soak needs logrotate: %w", err)
		}
		c.Logrotate = p
	}
	for _, name := range []string{CmdDigest, CmdTelemetry, CmdWeekly} {
		if _, err := os.Stat(filepath.Join(c.Bin, name)); err != nil {
			return fmt.Errorf("soak needs the built %s (make build): %w", name, err)
		}
	}
	return os.MkdirAll(c.Dir, 0o700)
}

// consumer runs one command in a loop and kills some runs.
type consumer struct {
	name    string
	args    []string
	env     []string
	rng     *rand.Rand
	w       *writer
	kill    float64
	runs    int
	kills   int
	retries int // exit 75: lock busy or eve.json mid-rotation
	// bound sums, per kill, the alerts the killed run's batch can hold:
	// written by the kill, minus written when the last clean run began.
	bound      int
	unexpected []string
	warnings   map[string]int // WARN lines of the runs, by message
	avg        time.Duration
	shortest   time.Duration // of the clean runs so far
	lastOK     int
	state      string // the state file, for the trace
	tr         *tracer
}

func (c *consumer) once(ctx context.Context, mayKill bool) {
	cmd := exec.Command(c.args[0], c.args[1:]...)
	cmd.Env = c.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a kill takes its sendmail child too
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	startW := c.w.Written()
	start := time.Now()
	c.tr.logf("%s run %d start written=%d state: %s", c.name, c.runs+1, startW, stateSummary(c.state))
	defer func() {
		c.tr.logf("%s run %d end written=%d state: %s", c.name, c.runs, c.w.Written(), stateSummary(c.state))
		for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			if l != "" {
				c.tr.logf("%s run %d   %s", c.name, c.runs, l)
			}
		}
	}()
	if err := cmd.Start(); err != nil {
		c.unexpected = append(c.unexpected, "start: "+err.Error())
		return
	}
	c.runs++
	var timer *time.Timer
	var killedAt sync.Map
	// A consumer whose runs vary a lot (one slow mail among fast runs)
	// can draw delays past every run's end; one that has not been killed
	// after a few runs aims inside its shortest run, so no soak ends
	// without exercising a kill.
	starved := c.kills == 0 && c.runs >= 6 && c.shortest > 0
	if mayKill && (starved || c.rng.Float64() < c.kill) {
		delay := time.Duration(c.rng.Int64N(int64(2*c.avg) + 1))
		if starved {
			delay = time.Duration(c.rng.Int64N(int64(c.shortest/2) + 1))
		}
		pid := cmd.Process.Pid
		timer = time.AfterFunc(delay, func() {
			killedAt.Store("w", c.w.Written())
			c.tr.logf("%s run %d SIGKILL written=%d", c.name, c.runs, c.w.Written())
			syscall.Kill(-pid, syscall.SIGKILL)
		})
	}
	err := cmd.Wait()
	if timer != nil {
		timer.Stop()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			c.kills++
			w := startW
			if v, ok := killedAt.Load("w"); ok {
				w = v.(int)
			}
			c.bound += w - c.lastOK + 1
			return
		}
		c.tr.logf("%s run %d exit %d", c.name, c.runs, ee.ExitCode())
		if ee.ExitCode() == 75 {
			// "Try again later", nothing committed: the lock was busy or
			// eve.json was between logrotate's rename and its create.
			c.retries++
			return
		}
		c.unexpected = append(c.unexpected, fmt.Sprintf("exit %d: %.500s", ee.ExitCode(), stderr.String()))
		return
	}
	if err != nil {
		c.unexpected = append(c.unexpected, err.Error())
		return
	}
	c.noteWarnings(stderr.String())
	c.lastOK = startW
	d := time.Since(start)
	c.avg = (3*c.avg + d) / 4
	if c.shortest == 0 || d < c.shortest {
		c.shortest = d
	}
}

// noteWarnings counts the runs' WARN lines by message (time and values
// dropped), so a failed soak shows which recovery path the commands took.
func (c *consumer) noteWarnings(stderr string) {
	for _, l := range strings.Split(stderr, "\n") {
		if !strings.Contains(l, "level=WARN") {
			continue
		}
		msg := l
		if i := strings.Index(l, "msg="); i >= 0 {
			msg = l[i:]
			if j := strings.Index(msg, "\" "); j > 0 && !strings.Contains(msg, "rewritten") {
				msg = msg[:j+1] // counted by message; rare recovery paths keep their details
			}
		}
		if c.warnings == nil {
			c.warnings = map[string]int{}
		}
		c.warnings[msg]++
	}
}

func (c *consumer) loop(ctx context.Context, deadline time.Time) {
	c.avg = 200 * time.Millisecond
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c.once(ctx, true)
		time.Sleep(time.Duration(c.rng.Int64N(int64(100 * time.Millisecond))))
	}
}

// Run performs one round and returns a Result per command.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	dir := cfg.Dir
	live := filepath.Join(dir, "log", "eve.json")
	marker := filepath.Join(dir, "log", "hup")
	if err := os.MkdirAll(filepath.Dir(live), 0o755); err != nil {
		return nil, err
	}
	st, err := stanza(cfg.Mode, marker)
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "logrotate.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("%s {\n%s}\n", live, st)), 0o644); err != nil {
		return nil, err
	}
	none := filepath.Join(dir, "none.toml") // keeps /etc/suricron out of the soak
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(none, nil, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(token, []byte("soak-token\n"), 0o600); err != nil {
		return nil, err
	}
	tr, err := newTracer(filepath.Join(dir, "trace.log"))
	if err != nil {
		return nil, err
	}
	defer tr.close()
	coll, err := startCollector(dir)
	if err != nil {
		return nil, err
	}
	defer coll.close()
	coll.tr = tr

	rcpt := fmt.Sprintf("soak-%s-%d@sensor.test", cfg.Mode, time.Now().UnixNano())
	digestArgs := []string{filepath.Join(cfg.Bin, CmdDigest), "-c", none, "--eve", live,
		"--state-dir", filepath.Join(dir, "state-digest"), "--start", "all", "--max-groups", "10000000",
		"--from", "soak@sensor.test", "--to", rcpt, "--mail-timeout", "30s"}
	mailStore := filepath.Join(dir, "mail")
	if cfg.SMTP != nil {
		digestArgs = append(digestArgs, "--smtp", cfg.SMTP.URL)
		if cfg.SMTP.CAFile != "" {
			digestArgs = append(digestArgs, "--smtp-ca-file", cfg.SMTP.CAFile)
		}
	} else {
		if err := os.MkdirAll(mailStore, 0o700); err != nil {
			return nil, err
		}
		script := filepath.Join(dir, "sendmail")
		if err := SendmailScript(script, mailStore); err != nil {
			return nil, err
		}
		digestArgs = append(digestArgs, "--sendmail", script)
	}
	telArgs := []string{filepath.Join(cfg.Bin, CmdTelemetry), "-c", none, "--eve", live,
		"--state-dir", filepath.Join(dir, "state-telemetry"), "--start", "all", "--all-alerts", "--no-interfaces",
		"--protocol", "ndjson", "--endpoint", coll.URL(), "--token-file", token, "--batch-size", "50",
		"--retries", "2", "--retry-wait", "50ms", "--timeout", "10s"}
	weeklyState := filepath.Join(dir, "state-weekly")
	weeklyArgs := []string{filepath.Join(cfg.Bin, CmdWeekly), "-c", none, "--eve", live,
		"--state-dir", weeklyState, "--start", "all", "--collect-only"}
	env := append(os.Environ(), "HOME="+dir, "SSL_CERT_FILE="+coll.CAFile)
	env = filterEnv(env)

	began := time.Now()
	w, err := startWriter(live, marker, cfg.Rate)
	if err != nil {
		return nil, err
	}
	defer w.halt()
	pres := newPresence(live)
	rot := &rotator{bin: cfg.Logrotate, conf: conf, state: filepath.Join(dir, "logrotate.state"),
		min: cfg.RotateMin, max: cfg.RotateMax, pres: pres, rng: rand.New(rand.NewPCG(cfg.Seed, 1))}
	rot.tr, rot.w = tr, w
	debug := []string{"--log-level", "debug"} // checkpoint decisions, for the trace
	cons := []*consumer{
		{name: CmdDigest, args: append(digestArgs, debug...), state: filepath.Join(dir, "state-digest", CmdDigest+".state.json")},
		{name: CmdTelemetry, args: append(telArgs, debug...), state: filepath.Join(dir, "state-telemetry", CmdTelemetry+".state.json")},
		{name: CmdWeekly, args: append(weeklyArgs, debug...), state: filepath.Join(weeklyState, CmdWeekly+".state.json")},
	}
	for i, c := range cons {
		c.env, c.w, c.kill, c.tr = env, w, cfg.KillProb, tr
		c.rng = rand.New(rand.NewPCG(cfg.Seed, uint64(100+i)))
	}

	rctx, stopRot := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); rot.loop(rctx) }()
	deadline := time.Now().Add(cfg.Duration)
	for _, c := range cons {
		wg.Add(1)
		go func(c *consumer) { defer wg.Done(); c.loop(ctx, deadline) }(c)
	}
	// Stop the rotator and the writer with the consumers, then drain.
	time.Sleep(time.Until(deadline))
	stopRot()
	wg.Wait()
	w.halt()
	if err := w.Err(); err != nil {
		return nil, fmt.Errorf("writer: %w", err)
	}
	if rot.err != nil {
		return nil, rot.err
	}
	pres.snapshot()
	written := w.Written()
	cfg.Logf("%s: wrote %d alerts, %d rotations; draining", cfg.Mode, written, rot.rotations)

	// Drain: clean runs until each command has delivered everything.
	for _, c := range cons {
		for i := 0; i < 3; i++ {
			c.once(ctx, false)
		}
	}
	// telemetry-send bounds one run (--max-events): run until the
	// collector stops growing.
	for i := 0; i < 50; i++ {
		before, _ := coll.snapshot()
		cons[1].once(ctx, false)
		after, _ := coll.snapshot()
		if len(after) == len(before) {
			break
		}
	}

	never := 0
	for n := 1; n <= written; n++ {
		if !pres.has(n) {
			never++
		}
	}
	common := func(name string, c *consumer) Result {
		r := Result{Command: name, Mode: cfg.Mode, Written: written, NeverComplete: never,
			Runs: c.runs, Kills: c.kills, Rotations: rot.rotations}
		for _, u := range c.unexpected {
			r.Problems = append(r.Problems, "unexpected run result: "+u)
		}
		for m, n := range c.warnings {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%d× %s", n, m))
		}
		sort.Strings(r.Warnings)
		return r
	}

	var mails []Batch
	if cfg.SMTP != nil {
		mails, err = waitMaildir(ctx, cfg.SMTP.Maildir, rcpt)
	} else {
		mails, err = ReadMailDir(mailStore)
	}
	if err != nil {
		return nil, fmt.Errorf("read digests: %w", err)
	}
	rd := common(CmdDigest, cons[0])
	account(&rd, mails, pres)
	for _, b := range mails {
		if b.Claimed != len(b.Records) {
			rd.Problems = append(rd.Problems, fmt.Sprintf("batch %s: X-Suricron-Alerts %d, %d rows", b.ID, b.Claimed, len(b.Records)))
		}
	}

	posts, bad := coll.snapshot()
	rt := common(CmdTelemetry, cons[1])
	account(&rt, posts, pres)
	rt.Problems = append(rt.Problems, bad...)

	rw := common(CmdWeekly, cons[2])
	total, err := weeklyTotal(ctx, cfg.Bin, none, live, weeklyState, env, began.Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		rw.Problems = append(rw.Problems, err.Error())
	}
	rw.Delivered = total
	rw.DupBound = cons[2].bound
	// The aggregates are totals: every record complete in some file is in
	// them, plus at most one batch per kill counted twice (plus records a
	// run read in copytruncate's window, which never reach a snapshot).
	floor := written - never
	rw.Duplicated = max(0, total-written)
	rw.Lost = max(0, floor-total)
	if rw.Lost > 0 {
		rw.Problems = append(rw.Problems, fmt.Sprintf("aggregates count %d alerts, %d were complete in a file", total, floor))
	}
	if total-floor > rw.DupBound+never {
		rw.Problems = append(rw.Problems, fmt.Sprintf("aggregates count %d alerts for %d written: more than one batch per kill (bound %d)", total, floor, rw.DupBound))
	}
	results := []Result{rd, rt, rw}
	for i := range results {
		if cfg.Mode == ModeCreate && never > 0 {
			results[i].Problems = append(results[i].Problems, fmt.Sprintf("%d alerts never complete in a file with rename+create rotation", never))
		}
	}
	return results, nil
}

// account compares deliveries (batches with ids) with what was written:
// counting each batch id once, every record must arrive exactly once;
// records complete in no file may be missing (copytruncate's window).
func account(r *Result, batches []Batch, pres *presence) {
	seenBatch := map[string]bool{}
	once := map[int]int{}
	all := map[int]int{}
	for _, b := range batches {
		r.Delivered += len(b.Records)
		for _, n := range b.Records {
			all[n]++
		}
		if seenBatch[b.ID] {
			r.DupBatches++
			continue
		}
		seenBatch[b.ID] = true
		r.Batches++
		for _, n := range b.Records {
			once[n]++
		}
	}
	for _, k := range all {
		if k > 1 {
			r.Duplicated += k - 1
		}
	}
	var twice, lost []int
	for n, k := range once {
		if k > 1 {
			twice = append(twice, n)
		}
		if n < 1 || n > r.Written {
			r.Problems = append(r.Problems, fmt.Sprintf("delivered record %d was never written", n))
		}
	}
	for n := 1; n <= r.Written; n++ {
		if once[n] == 0 && pres.has(n) {
			lost = append(lost, n)
		}
	}
	r.Lost = len(lost)
	if len(lost) > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("%d alerts complete in a file were never delivered, e.g. %v", len(lost), head(lost)))
	}
	if len(twice) > 0 {
		sort.Ints(twice)
		r.Problems = append(r.Problems, fmt.Sprintf("%d alerts in two different batches (not a resend), e.g. %v", len(twice), head(twice)))
	}
	if r.DupBatches > r.Kills {
		r.Problems = append(r.Problems, fmt.Sprintf("%d batches delivered twice, only %d kills", r.DupBatches, r.Kills))
	}
}

func head(ns []int) []int {
	sort.Ints(ns)
	return ns[:min(len(ns), 10)]
}

// waitMaildir reads the digests for rcpt once the MTA has stopped
// delivering new ones (bounded).
func waitMaildir(ctx context.Context, maildir, rcpt string) ([]Batch, error) {
	var last []Batch
	stable := 0
	for i := 0; i < 120 && stable < 6; i++ {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		b, err := readMaildir(maildir, rcpt)
		if err != nil {
			return nil, err
		}
		if len(b) == len(last) && len(b) > 0 {
			stable++
		} else {
			stable = 0
		}
		last = b
	}
	return last, nil
}

// weeklyTotal renders the aggregates over [since, until) as JSON and
// returns alerts.total.
func weeklyTotal(ctx context.Context, bin, conf, live, state string, env []string, since, until time.Time) (int, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, CmdWeekly), "-c", conf, "--eve", live, "--state-dir", state,
		"--format", "json", "--since", since.Format(time.RFC3339), "--until", until.Format(time.RFC3339))
	cmd.Env = env
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("weekly-report --format json: %v: %s", err, stderr.String())
	}
	var rep struct {
		Alerts struct {
			Total int `json:"total"`
		} `json:"alerts"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return 0, fmt.Errorf("weekly-report --format json: %w", err)
	}
	return rep.Alerts.Total, nil
}

// filterEnv drops SURICRON_* settings of the calling shell, so that only
// the soak's flags configure the commands.
func filterEnv(env []string) []string {
	out := env[:0:0]
	for _, e := range env {
		if strings.HasPrefix(e, "SURICRON_") {
			continue
		}
		out = append(out, e)
	}
	return out
}

// Format prints the results as a table.
func Format(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tcommand\twritten\tdelivered\tduplicated\tlost\tnot-in-any-file\tbatches\tdup-batches\truns\tkills\trotations\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", r.Mode, r.Command, r.Written, r.Delivered,
			r.Duplicated, r.Lost, r.NeverComplete, r.Batches, r.DupBatches, r.Runs, r.Kills, r.Rotations)
	}
	tw.Flush()
	for _, r := range rs {
		for _, p := range r.Problems {
			fmt.Fprintf(w, "FAIL %s %s: %s\n", r.Mode, r.Command, p)
		}
		for _, m := range r.Warnings {
			fmt.Fprintf(w, "warn %s %s: %s\n", r.Mode, r.Command, m)
		}
	}
}
