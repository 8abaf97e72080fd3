package digest

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/mail"
	"github.com/suricron/suricron/internal/metrics"
	"github.com/suricron/suricron/internal/printable"
)

// Result is what one run did, for tests and the summary log line.
type Result struct {
	Alerts   int64 // alerts in the mail (0: no mail)
	Groups   int
	BatchID  string
	Sent     bool
	Excluded [nReasons]int64
	BadLines int64
	Lines    int64
}

// Run digests the new alerts once. Errors carry cli exit codes: 2 for
// configuration, 65 for a corrupt state file, 75 for a busy lock or a
// delivery that may succeed later (state unchanged, the next run re-sends).
func Run(ctx context.Context, cfg Config, deps Deps) error {
	res, err := run(ctx, cfg, deps)
	if res != nil {
		metrics.RecordEve(deps.Metrics, res.Lines, res.BadLines)
		mailed := int64(0)
		if res.Sent {
			mailed = res.Alerts
		}
		deps.Metrics.Set("suricron_digest_alerts_mailed", "Alerts in the digest mail of the last run (0: no mail).", float64(mailed))
	}
	return err
}

func run(ctx context.Context, cfg Config, deps Deps) (*Result, error) {
	deps.defaults()
	log := deps.Logger
	now := deps.Now()
	if cfg.Mail.From == "" { // issue 20: /etc/mailname, as Debian MTAs and weekly-report use it
		cfg.Mail.From = mail.DefaultFrom(deps.Mailname, messageIDHost(deps.Hostname))
	}
	set, err := cfg.compile(now, deps.Hostname, log)
	if err != nil {
		return nil, err
	}
	sender := deps.Sender
	if sender == nil {
		// Built for --dry-run too, so that a dry run checks the transport
		// settings; it connects to nothing until Send.
		if sender, err = cfg.Mail.NewSender(log); err != nil {
			return nil, err
		}
	}
	out, err := newOutlets(cfg, sender, log)
	if err != nil {
		return nil, err
	}

	sess, err := checkpoint.Open(ctx, checkpoint.Config{
		Consumer: cfg.Deliver.consumer(), Live: cfg.Eve, Rotated: cfg.Rotated, StateDir: cfg.StateDir, Start: cfg.Start,
		Reset: cfg.ResetState, ReadOnly: cfg.DryRun, Logger: log, Now: deps.Now,
		MaxLineBytes: cfg.MaxLineBytes, Metrics: deps.Metrics,
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer sess.Close()

	res := &Result{}
	ag, c, err := readAlerts(ctx, sess, set.filter, defaultWorkers())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", cfg.Eve, err)
	}
	res.BadLines, res.Excluded = c.bad, c.excluded
	firstBad := c.firstBad
	st := sess.Stats()
	res.Lines = st.Lines
	if res.BadLines > 0 {
		log.Warn("skipped lines that are not valid eve records", "count", res.BadLines, "first", firstBad)
	}
	end := sess.End()
	if ag.alerts == 0 {
		// Nothing to mail; still move past the lines read so the next run
		// does not scan them again.
		if !cfg.DryRun && !end.IsZero() {
			if err := sess.Commit(end, "", res.BadLines); err != nil {
				return nil, fmt.Errorf("commit checkpoint: %w", err)
			}
		}
		logSummary(log, cfg, res, st)
		return res, nil
	}

	res.BatchID = sess.BatchID(end)
	known, err := loadKnown(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	reportPath := cfg.RulesReport
	if reportPath == "" && cfg.StateDir != "" {
		reportPath = filepath.Join(cfg.StateDir, rulesReportFile)
	}
	fresh, freshNote := loadFresh(reportPath)
	if freshNote != "" {
		log.Warn(freshNote)
	}
	notes := runNotes(set, res, st, cfg)
	if freshNote != "" {
		notes = append(notes, printable.String(freshNote))
	}
	if known.baseline && cfg.StateDir != "" {
		notes = append(notes, "First digest with this state dir: signatures are marked NEW from the next digest on.")
	}
	doc := buildDocument(ag, set, deps.Hostname, res.BatchID, known, fresh, notes)
	msg, raw, err := buildMessage(doc, set, now, deps.Hostname)
	if err != nil {
		return nil, err
	}
	res.Alerts, res.Groups = doc.Alerts, len(doc.Sections)+len(doc.Others)

	if cfg.DryRun {
		if _, err := deps.Stdout.Write(raw); err != nil {
			return nil, fmt.Errorf("write message to stdout: %w", err)
		}
		logSummary(log, cfg, res, st)
		return res, nil
	}

	if err := sess.Prepare(end, res.BatchID); err != nil {
		return nil, fmt.Errorf("record pending batch: %w", err)
	}
	from, to, err := msg.Envelope()
	if err != nil {
		return nil, fmt.Errorf("digest envelope: %w", err)
	}
	if err := out.deliver(ctx, &outgoing{ID: res.BatchID, Alerts: res.Alerts, Doc: doc,
		From: from, To: to, Raw: raw, Subject: msg.Subject}); err != nil {
		return nil, err
	}
	res.Sent = true
	if err := sess.Commit(end, res.BatchID, res.BadLines); err != nil {
		// The mail went out; the next run re-sends this batch under the
		// same id rather than lose it.
		return nil, fmt.Errorf("commit checkpoint after sending batch %s: %w", res.BatchID, err)
	}
	keys := make([]sigKey, 0, len(ag.order))
	for _, s := range ag.order {
		keys = append(keys, s.key)
	}
	// The shards' order is not the file's: sort, so that which signatures
	// are recorded when the known list is full does not depend on it.
	slices.SortFunc(keys, compareKeys)
	if err := known.save(keys); err != nil {
		// The digest is delivered and committed; the cost is that these
		// signatures are called new once more.
		log.Warn("could not record the delivered signatures", "err", err)
	}
	logSummary(log, cfg, res, st)
	return res, nil
}

// runNotes says what the digest leaves out or could not read.
func runNotes(set *settings, res *Result, st checkpoint.Stats, cfg Config) []string {
	var notes []string
	if n := res.Excluded[bySuppress]; n > 0 {
		notes = append(notes, fmt.Sprintf("%s suppressed by %s.", plural(n, "alert", "alerts"), printable.String(cfg.SuppressFile)))
	}
	if n := res.Excluded[bySeverity] + res.Excluded[bySID] + res.Excluded[byMatch]; n > 0 {
		notes = append(notes, fmt.Sprintf("%s left out by the severity, sid or signature filters.", plural(n, "alert", "alerts")))
	}
	if set.filter.suppress != nil {
		for _, le := range set.filter.suppress.Errors {
			notes = append(notes, fmt.Sprintf("suppress file %s line %d ignored: %s", printable.String(cfg.SuppressFile), le.Line, printable.String(le.Err.Error())))
		}
	}
	if res.BadLines > 0 {
		notes = append(notes, fmt.Sprintf("%s of eve.json could not be read and %s skipped.", plural(res.BadLines, "line", "lines"), pick(res.BadLines == 1, "was", "were")))
	}
	if st.Oversize+st.Torn > 0 {
		notes = append(notes, fmt.Sprintf("%d over-long or torn lines skipped.", st.Oversize+st.Torn))
	}
	if st.Gaps > 0 {
		notes = append(notes, fmt.Sprintf("eve.json had %d gap(s) since the last run (a rotated file was missing or rewritten); alerts in it may be missing.", st.Gaps))
	}
	return notes
}

func buildMessage(doc *Document, set *settings, now time.Time, host string) (*mail.Message, []byte, error) {
	html, err := doc.htmlBody()
	if err != nil {
		return nil, nil, err
	}
	msg := &mail.Message{
		From: set.from, To: set.to, Subject: doc.subject(),
		Headers: []mail.Header{
			{Name: "X-Suricron-Alerts", Value: strconv.FormatInt(doc.Alerts, 10)},
			{Name: "X-Suricron-Batch", Value: doc.Batch},
		},
		Text: doc.textBody(), HTML: html, Date: now, Host: messageIDHost(host),
	}
	raw, err := mail.Build(msg)
	if err != nil {
		return nil, nil, fmt.Errorf("digest message: %w", err)
	}
	return msg, raw, nil
}

// messageIDHost keeps the Message-ID valid when the host name is not a
// plain DNS name (mail.Build refuses those).
func messageIDHost(h string) string {
	for _, c := range h {
		if !(c == '-' || c == '.' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')) {
			return "localhost"
		}
	}
	if h == "" || h[0] == '-' || h[0] == '.' || h[len(h)-1] == '-' || h[len(h)-1] == '.' {
		return "localhost"
	}
	return h
}

func logSummary(log *slog.Logger, cfg Config, res *Result, st checkpoint.Stats) {
	log.Info("digest done",
		"alerts", res.Alerts, "groups", res.Groups, "sent", res.Sent, "dry_run", cfg.DryRun,
		"batch", res.BatchID, "lines", res.Lines, "bad_lines", res.BadLines,
		"suppressed", res.Excluded[bySuppress],
		"filtered", res.Excluded[bySeverity]+res.Excluded[bySID]+res.Excluded[byMatch],
		"files", st.Files, "gaps", st.Gaps)
}
