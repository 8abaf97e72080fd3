package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/buger/jsonparser"
	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/eve"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/metrics"
)

// Run is one weekly-report invocation: collect (state mode) or scan (ad
// hoc), then render the period and print, write or mail it.
func Run(ctx context.Context, cfg Config, deps Deps) error {
	deps.defaults()
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	if cfg.KeepWeeks <= 0 {
		cfg.KeepWeeks = 26
	}
	if cfg.Format == "" {
		cfg.Format = "text"
	}
	if cfg.ExpectedPorts == "" {
		cfg.ExpectedPorts = DefaultExpectedPorts
	}
	switch cfg.Format {
	case "text", "markdown", "json", "html":
	default:
		return exitcode.Usagef("--format %q: want text, markdown, json or html", cfg.Format)
	}
	if cfg.Mail && (len(cfg.To) == 0 || cfg.From == "" || deps.Sender == nil) {
		return exitcode.Usagef("--mail needs --to, --from and a transport (--smtp or --sendmail)")
	}
	adhoc := len(cfg.Files) > 0
	deps.Metrics.SetLabel("job", metricsJob(cfg, adhoc))
	if adhoc && cfg.CollectOnly {
		return exitcode.Usagef("--collect-only folds the checkpointed eve.json into the state dir; it does not take --files")
	}
	expected, err := ParsePorts(cfg.ExpectedPorts)
	if err != nil {
		return err
	}
	local, err := localSet(cfg)
	if err != nil {
		return err
	}
	now := deps.Now()
	period, label, err := resolvePeriod(cfg, now, adhoc)
	if err != nil {
		return err
	}
	in := buildInput{host: deps.Hostname, week: label, period: period, loc: cfg.Location, expected: expected, top: cfg.Top}

	var sensors []SensorRow
	if cfg.Source != nil {
		if adhoc || cfg.CollectOnly {
			return exitcode.Usagef("--source clickhouse reports from ClickHouse: no --files, no --collect-only")
		}
		if sensors, err = fromSource(ctx, cfg.Source, &in); err != nil {
			return err
		}
	} else if adhoc {
		if err := scanFiles(ctx, cfg, deps, local, &in); err != nil {
			return err
		}
	} else {
		store := NewStore(cfg.StateDir)
		if deps.writeState != nil {
			store.write = deps.writeState
		}
		if err := collect(ctx, cfg, deps, local, store); err != nil {
			return err
		}
		cutoff := now.In(cfg.Location).AddDate(0, 0, -7*cfg.KeepWeeks).Format(time.DateOnly)
		if n, err := store.Prune(cutoff); err != nil {
			return err
		} else if n > 0 {
			deps.Logger.Info("pruned aggregates", "days", n, "before", cutoff)
		}
		if err := recordToday(deps.Metrics, store, now, cfg.Location); err != nil {
			return err
		}
		if cfg.CollectOnly {
			return nil
		}
		if err := fromStore(store, cfg, &in); err != nil {
			return err
		}
		in.coverage = storeCoverage(store, cfg.KeepWeeks)
	}
	rep := build(in)
	if err := noteCoverage(rep, in.coverage, cfg.Location); err != nil {
		return err
	}
	rep.Sensors = sensors
	recordReport(deps.Metrics, rep)
	deps.Logger.Info("report built", "period", label, "alerts", rep.Alerts.Total, "no_data", rep.NoData)
	return deliver(ctx, cfg, deps, rep)
}

// resolvePeriod turns --week / --since / --until into [start, end) and a
// label for the subject line.
func resolvePeriod(cfg Config, now time.Time, adhoc bool) (Period, string, error) {
	loc := cfg.Location
	if cfg.Week != "" {
		if !cfg.Since.IsZero() || !cfg.Until.IsZero() {
			return Period{}, "", exitcode.Usagef("--week and --since/--until exclude each other")
		}
		start, err := ISOWeek(cfg.Week, loc)
		if err != nil {
			return Period{}, "", err
		}
		return Period{start, start.AddDate(0, 0, 7)}, cfg.Week, nil
	}
	if cfg.Since.IsZero() && cfg.Until.IsZero() && !adhoc {
		start := PreviousWeek(now, loc)
		return Period{start, start.AddDate(0, 0, 7)}, WeekLabel(start), nil
	}
	p := Period{Start: cfg.Since, End: cfg.Until}
	if p.End.IsZero() {
		p.End = now
	}
	if p.Start.IsZero() {
		p.Start = p.End.AddDate(0, 0, -7)
	}
	if !p.Start.Before(p.End) {
		return Period{}, "", exitcode.Usagef("--since %s is not before --until %s", p.Start.Format(time.RFC3339), p.End.Format(time.RFC3339))
	}
	label := p.Start.In(loc).Format(time.DateOnly) + ".." + p.End.In(loc).Add(-time.Nanosecond).Format(time.DateOnly)
	return p, label, nil
}

// fromStore loads the aggregates the period needs: its days, the week
// before and everything earlier as the baseline.
func fromStore(store *Store, cfg Config, in *buildInput) error {
	start := in.period.Start.In(cfg.Location).Format(time.DateOnly)
	end := in.period.End.In(cfg.Location).Format(time.DateOnly)
	if in.period.End.In(cfg.Location).Format("15:04:05.000000000") != "00:00:00.000000000" {
		end = in.period.End.In(cfg.Location).AddDate(0, 0, 1).Format(time.DateOnly)
	}
	days, err := store.Load("", end)
	if err != nil {
		return err
	}
	prevStart := in.period.Start.In(cfg.Location).AddDate(0, 0, -7).Format(time.DateOnly)
	in.cur, in.prev, in.base = map[string]*Day{}, map[string]*Day{}, map[string]*Day{}
	for date, d := range days {
		switch {
		case date >= start:
			in.cur[date] = d
		default:
			in.base[date] = d
			if date >= prevStart {
				in.prev[date] = d
			}
		}
	}
	return nil
}

// collect folds the lines new since the checkpoint into the day files.
// Order: Prepare the batch, write days and carry (with the batch id),
// Commit. A crash or a failed write (EIO, full disk) after some days were
// written leaves the batch pending; the next run reads exactly that batch
// again and skips every day file already stamped with its id (each day's
// counts and its batch id are one atomic replace), then the carry: so no
// line is counted twice, whichever write failed.
func collect(ctx context.Context, cfg Config, deps Deps, local Local, store *Store) error {
	carry, err := store.ReadCarry()
	if err != nil {
		return err
	}
	sess, err := checkpoint.Open(ctx, checkpoint.Config{
		Consumer: Consumer, Live: cfg.Eve, Rotated: cfg.Rotated, StateDir: cfg.StateDir, Start: cfg.Start,
		Reset: cfg.ResetState, Logger: deps.Logger, Now: deps.Now,
		MaxLineBytes: cfg.MaxLineBytes, Metrics: deps.Metrics,
	})
	if err != nil {
		switch {
		case errors.Is(err, checkpoint.ErrLocked):
			return fmt.Errorf("checkpoint: %w", err)
		case errors.Is(err, checkpoint.ErrCorrupt):
			return fmt.Errorf("%w (run weekly-report --reset-state to start over)", err)
		}
		return err
	}
	defer sess.Close()
	f := NewFolder(cfg.Location, local, cfg.Limits, carry.Stats)
	// The session reads and frames the lines as before (so the committed
	// end is unchanged); only their decoding is spread over the cores.
	lf := newLineFolder(f, deps.workers)
	defer lf.close()
	n := 0
	err = sess.Lines(ctx, func(line []byte, _ checkpoint.Position) error {
		if n++; n&4095 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		lf.add(line)
		return nil
	})
	lf.close()
	if err != nil {
		return fmt.Errorf("read %s: %w", cfg.Eve, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	metrics.RecordEve(deps.Metrics, f.Lines, f.Bad)
	end := sess.End()
	if end.IsZero() {
		return nil
	}
	if f.Lines == 0 {
		// Nothing new, but a first run must still save where it started:
		// without a state the next run would start at the end again and
		// skip what was written in between.
		if err := sess.Commit(end, "", 0); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		return nil
	}
	batch := sess.BatchID(end)
	if batch != carry.Batch {
		if err := sess.Prepare(end, batch); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		days := f.Days()
		for _, date := range slices.Sorted(maps.Keys(days)) {
			d := days[date]
			old, err := store.ReadDay(date)
			if err != nil {
				return err
			}
			if old != nil && old.Batch == batch {
				deps.Logger.Warn("day already holds this batch (an earlier write failed after it); skipping it", "date", date, "batch", batch)
				continue
			}
			if old != nil {
				old.merge(d, cfg.Limits)
				old.finish(cfg.Limits)
				d = old
			}
			d.Batch = batch
			if err := store.WriteDay(d); err != nil {
				return err
			}
		}
		if err := store.WriteCarry(&Carry{Batch: batch, Stats: f.Carry()}); err != nil {
			return err
		}
	} else {
		deps.Logger.Warn("batch already folded by an interrupted run; committing it", "batch", batch)
	}
	if err := sess.Commit(end, batch, f.Bad); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if f.Bad > 0 {
		deps.Logger.Warn("skipped undecodable lines", "count", f.Bad)
	}
	st := sess.Stats()
	deps.Logger.Info("collected", "lines", f.Lines, "bad", f.Bad, "files", st.Files, "bytes", st.Bytes, "gaps", st.Gaps)
	return nil
}

// scanFiles reads the --files globs without state. Files are read oldest
// first (by their first timestamp, whatever their names or order on the
// command line) so that the stats counters are differenced in time order.
func scanFiles(ctx context.Context, cfg Config, deps Deps, local Local, in *buildInput) error {
	var paths []string
	seen := map[string]bool{}
	for _, g := range cfg.Files {
		m, err := filepath.Glob(g)
		if err != nil {
			return exitcode.Usagef("--files %q: %w", g, err)
		}
		if len(m) == 0 {
			return exitcode.Usagef("--files %q: no such file", g)
		}
		for _, p := range m {
			if !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	type file struct {
		path  string
		first time.Time
		size  int64
	}
	files := make([]file, 0, len(paths))
	var total int64
	for _, p := range paths {
		t, err := firstTimestamp(p)
		if err != nil {
			return err
		}
		var size int64
		if fi, err := os.Stat(p); err == nil {
			size = fi.Size()
		}
		total += size
		files = append(files, file{p, t, size})
	}
	slices.SortStableFunc(files, func(a, b file) int {
		if c := a.first.Compare(b.first); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.path), []byte(b.path))
	})
	f := NewFolder(cfg.Location, local, cfg.Limits, nil)
	f.SetWindow(in.period.Start, in.period.End)
	var prog Progress = noProgress{}
	if deps.Progress != nil {
		prog = deps.Progress(total)
	}
	var done int64
	// One fold across all files, in time order, so stats deltas chain from
	// file to file; synced at each file's end for its coverage.
	lf := newLineFolder(f, deps.workers)
	defer lf.close()
	covs := make([]Coverage, 0, len(files))
	for _, fl := range files {
		base := done
		f.Span = Span{}
		err := scanFile(ctx, fl.path, cfg.MaxLineBytes, lf, in, func(pos int64) { prog.Set(base + pos) })
		lf.sync()
		if err != nil {
			return err
		}
		covs = append(covs, Coverage{Source: fl.path, First: f.Span.First, Last: f.Span.Last, Events: f.Span.Events})
		done += fl.size
		prog.Set(done)
	}
	lf.close()
	prog.Finish()
	if f.Bad > 0 {
		in.notes = append(in.notes, plural(f.Bad, "undecodable line", "undecodable lines")+" skipped")
	}
	in.coverage = func() ([]Coverage, error) { return covs, nil }
	in.cur = f.Days()
	in.base = f.Before()
	in.prev = map[string]*Day{}
	prevStart := in.period.Start.In(cfg.Location).AddDate(0, 0, -7).Format(time.DateOnly)
	for date, d := range in.base {
		if date >= prevStart {
			in.prev[date] = d
		}
	}
	deps.Logger.Info("scanned", "files", len(files), "lines", f.Lines, "bad", f.Bad)
	return nil
}

// scanFile folds one file; progress gets, now and then, how many bytes of
// the file as stored have been read.
func scanFile(ctx context.Context, path string, maxLine int, f lineFolder, in *buildInput, progress func(int64)) error {
	ef, err := eve.Open(path)
	if err != nil {
		return exitcode.Usage(fmt.Errorf("--files: %w", err))
	}
	defer ef.Close()
	sc := eve.NewScanner(ef.Reader, 0, maxLine)
	for n := 0; sc.Next(); n++ {
		if n&4095 == 0 {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			progress(storedPos(ef, sc))
		}
		f.add(sc.Line())
	}
	if err := sc.Err(); err != nil {
		// A damaged rotated .gz still holds good lines up to the damage.
		in.notes = append(in.notes, fmt.Sprintf("%s: read stopped at byte %d: %v", path, sc.Offset(), err))
	}
	if sc.Oversize > 0 {
		in.notes = append(in.notes, fmt.Sprintf("%s: %s skipped", path, plural(int64(sc.Oversize), "oversize line", "oversize lines")))
	}
	return nil
}

// storedPos is how far into the file on disk a scan is: the scanner's
// offset for a plain file, the read position in the stored bytes for gzip
// or any compressed file (lseek is safe beside the inflating goroutine's reads).
func storedPos(ef *eve.File, sc *eve.Scanner) int64 {
	if !ef.Codec.Compressed() {
		return sc.Offset()
	}
	pos, err := ef.File.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0
	}
	return pos
}

// firstTimestamp reads the first timestamp in the first lines of path; a
// file without one sorts first.
func firstTimestamp(path string) (time.Time, error) {
	ef, err := eve.Open(path)
	if err != nil {
		return time.Time{}, exitcode.Usage(fmt.Errorf("--files: %w", err))
	}
	defer ef.Close()
	sc := eve.NewScanner(ef.Reader, 0, 0)
	for i := 0; i < 100 && sc.Next(); i++ {
		s, err := jsonparser.GetString(sc.Line(), "timestamp")
		if err != nil {
			continue
		}
		if t, err := eve.ParseTime(s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, nil
}
