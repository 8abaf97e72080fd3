package ship

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/eve"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/metrics"
	"github.com/suricron/suricron/internal/redact"
	"github.com/suricron/suricron/internal/secretfile"
	"github.com/suricron/suricron/internal/sleep"
)

// Consumer names eve-ship's checkpoint, lock and quarantine files.
const Consumer = "eve-ship"

// Config is one run of eve-ship.
type Config struct {
	Eve, StateDir string
	Rotated       []string
	Start         string
	ResetState    bool

	URL          string
	Database     string
	User         string
	PasswordFile string
	CAFile       string
	EventTypes   []string // "all" ships every type
	Sensor       string
	BatchLines   int
	BatchBytes   int
	Timeout      time.Duration
	Retry        Retry
}

// Deps are the side effects, injected for in-process tests.
type Deps struct {
	HTTP     *http.Client
	Logger   *slog.Logger
	Sleep    func(context.Context, time.Duration) error
	Now      func() time.Time
	Hostname func() (string, error)
	Metrics  *metrics.Registry
}

// defaults fills the Deps a caller left nil; every Run calls it first.
func (d *Deps) defaults() {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Sleep == nil {
		d.Sleep = sleep.For
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Hostname == nil {
		d.Hostname = os.Hostname
	}
}

// Result counts one run.
type Result struct {
	Lines       int64
	Rows        map[string]int // inserted per table
	Quarantined int
	Cleaned     int // values replaced while cleaning rows
	Batches     int
}

// QuarantinePath is where refused rows are kept.
func QuarantinePath(stateDir string) string {
	return filepath.Join(stateDir, Consumer+".quarantine.jsonl")
}

// insertSettings make 18.16 and current servers read the rows the same way:
// unknown keys ignored (a newer schema or an older eve-ship), nested JSON
// allowed, and a timestamp eve-ship could not parse read best-effort.
func insertSettings() url.Values {
	return url.Values{
		"input_format_skip_unknown_fields": {"1"},
		"input_format_import_nested_json":  {"1"},
		"date_time_input_format":           {"best_effort"},
		// Through a Distributed table the 200 then means every shard has
		// its rows, not that they wait in a local queue; a plain table
		// ignores it.
		"insert_distributed_sync": {"1"},
	}
}

// NewClient builds the ClickHouse client of cfg, reading the password
// file. The returned Secrets scrub the password from any error.
func NewClient(cfg Config, deps Deps) (*Client, *redact.Secrets, error) {
	deps.defaults()
	secrets := redact.New()
	var password string
	if cfg.PasswordFile != "" {
		pw, err := secretfile.Read(cfg.PasswordFile)
		if err != nil {
			return nil, secrets, fmt.Errorf("--clickhouse-password-file: %w", err)
		}
		password = pw
		secrets.Add(pw, "clickhouse password")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, secrets, exitcode.Usagef("--clickhouse-url %q: want http(s)://host:port", secrets.String(cfg.URL))
	}
	if u.User != nil {
		return nil, secrets, exitcode.Usagef("--clickhouse-url: put no credentials in the URL; use --clickhouse-user and --clickhouse-password-file")
	}
	if cfg.Database == "" {
		return nil, secrets, exitcode.Usagef("--database is empty")
	}
	hc := deps.HTTP
	if hc == nil {
		if hc, err = NewHTTPClient(cfg.CAFile, cfg.Timeout); err != nil {
			return nil, secrets, err
		}
	}
	return &Client{URL: cfg.URL, Database: cfg.Database, User: cfg.User, Password: password,
		HTTP: hc, Retry: cfg.Retry, Sleep: deps.Sleep, Settings: insertSettings()}, secrets, nil
}

// Run ships the new records since the checkpoint.
func Run(ctx context.Context, cfg Config, deps Deps) (res *Result, err error) {
	deps.defaults()
	if cfg.BatchLines < 1 || cfg.BatchBytes < 1 {
		return nil, exitcode.Usagef("--batch-lines and --batch-bytes must be positive")
	}
	types, all, err := parseTypes(cfg.EventTypes)
	if err != nil {
		return nil, err
	}
	sensor := cfg.Sensor
	if sensor == "" {
		if sensor, err = deps.Hostname(); err != nil || sensor == "" {
			return nil, exitcode.Usagef("--sensor not set and no host name: %v", err)
		}
	}
	client, secrets, err := NewClient(cfg, deps)
	if err != nil {
		return nil, secrets.Error(err)
	}
	defer func() { err = secrets.Error(err) }()

	sess, err := checkpoint.Open(ctx, checkpoint.Config{
		Consumer: Consumer, Live: cfg.Eve, Rotated: cfg.Rotated, StateDir: cfg.StateDir, Start: cfg.Start,
		Reset: cfg.ResetState, Logger: deps.Logger, Now: deps.Now,
	})
	if err != nil {
		switch {
		case errors.Is(err, checkpoint.ErrLocked):
			return nil, fmt.Errorf("checkpoint: %w", err)
		case errors.Is(err, checkpoint.ErrCorrupt):
			return nil, fmt.Errorf("%w (run eve-ship --reset-state to start over)", err)
		}
		return nil, err
	}
	defer sess.Close()

	s := &shipper{cfg: cfg, deps: deps, client: client, sess: sess, sensor: sensor,
		res: &Result{Rows: map[string]int{}}, byTable: map[string][]Row{}}
	defer s.closeQuarantine()
	defer func() { s.record(deps.Metrics) }()

	var last checkpoint.Position
	err = sess.Lines(ctx, func(line []byte, end checkpoint.Position) error {
		last = end
		s.res.Lines++
		s.pending++
		et, err := eve.EventType(line)
		if err != nil {
			return s.quarantineLine(line, end, err)
		}
		if !all && !types[string(et)] {
			return s.maybeFlush(ctx, end)
		}
		row, cleaned, err := BuildRow(line, rowMeta{sensor: sensor, fileID: end.FileID(), end: end.Offset})
		if err != nil {
			return s.quarantineLine(line, end, err)
		}
		s.res.Cleaned += cleaned
		row.Src = checkpoint.FormatPos(end)
		s.byTable[row.Table] = append(s.byTable[row.Table], row)
		s.rows++
		s.bytes += len(row.JSON) + 1
		return s.maybeFlush(ctx, end)
	})
	if err != nil {
		// A batch still in flight is waited for (never abandoned mid-POST)
		// but not committed: the next run resends it.
		s.wait()
		return s.res, s.classify(ctx, fmt.Errorf("read %s: %w", cfg.Eve, err))
	}
	end := sess.End()
	if end.IsZero() {
		end = last
	}
	if !end.IsZero() {
		if err := s.flush(ctx, end); err != nil {
			return s.res, s.classify(ctx, err)
		}
	}
	if err := s.settle(); err != nil {
		return s.res, s.classify(ctx, err)
	}
	deps.Logger.Info("shipped", "sensor", sensor, "lines", s.res.Lines, "alerts", s.res.Rows[TableAlerts],
		"stats", s.res.Rows[TableStats], "events", s.res.Rows[TableEvents], "quarantined", s.res.Quarantined)
	return s.res, nil
}

func parseTypes(list []string) (map[string]bool, bool, error) {
	m := map[string]bool{}
	for _, t := range list {
		for _, x := range strings.Split(t, ",") {
			x = strings.TrimSpace(x)
			switch x {
			case "":
			case "all", "*":
				return nil, true, nil
			default:
				m[x] = true
			}
		}
	}
	if len(m) == 0 {
		return nil, false, exitcode.Usagef("--event-types is empty")
	}
	return m, false, nil
}

// shipper is the state of one run.
type shipper struct {
	cfg     Config
	deps    Deps
	client  *Client
	sess    *checkpoint.Session
	sensor  string
	res     *Result
	byTable map[string][]Row
	rows    int // rows in the open batch
	bytes   int
	pending int        // lines read since the last commit
	quarMu  sync.Mutex // the batch in flight quarantines while the next is read
	quar    *os.File
	quarN   int // lines quarantined while the open batch was read
	flight  *inflight
}

// inflight is a batch whose INSERTs run while the next batch is read and
// built: the one batch in flight. Its checkpoint commit happens in the
// reading goroutine (the session is not shared), only after every INSERT
// of the batch was answered 200, and before the next batch is prepared.
type inflight struct {
	end     checkpoint.Position
	id      string
	rows    map[string][]Row
	quarN   int          // lines quarantined while it was read
	refused atomic.Int64 // rows ClickHouse refused, quarantined
	done    chan error
}

func (s *shipper) maybeFlush(ctx context.Context, end checkpoint.Position) error {
	if s.rows >= s.cfg.BatchLines || s.bytes >= s.cfg.BatchBytes {
		return s.flush(ctx, end)
	}
	return nil
}

// flush hands the open batch to the sender and returns while it is
// inserted, so reading and building the next batch overlaps ClickHouse's
// work on this one. The previous batch in flight is settled (waited for
// and committed) first, so at most one batch is ever pending. A batch is
// recorded as pending before its INSERTs: after a crash between
// ClickHouse's 200 and the commit, the next run re-reads exactly these
// lines and sends the same rows (same eids), which ReplacingMergeTree
// collapses.
func (s *shipper) flush(ctx context.Context, end checkpoint.Position) error {
	if err := s.settle(); err != nil {
		return err
	}
	id := s.sess.BatchID(end)
	f := &inflight{end: end, id: id, rows: s.byTable, quarN: s.quarN, done: make(chan error, 1)}
	s.byTable = map[string][]Row{}
	s.rows, s.bytes, s.pending, s.quarN = 0, 0, 0, 0
	if rowCount(f.rows) == 0 {
		// Nothing to insert (only skipped or quarantined lines): commit now.
		f.done <- nil
		s.flight = f
		return s.settle()
	}
	if err := s.sess.Prepare(end, id); err != nil {
		return fmt.Errorf("record pending batch: %w", err)
	}
	s.flight = f
	go func() { f.done <- s.send(ctx, f) }()
	return nil
}

func rowCount(m map[string][]Row) int {
	n := 0
	for _, r := range m {
		n += len(r)
	}
	return n
}

// send inserts one batch, the tables in parallel: each is its own INSERT
// and ClickHouse parses them on separate threads.
func (s *shipper) send(ctx context.Context, f *inflight) error {
	var wg sync.WaitGroup
	errs := make([]error, len(Tables))
	for i, t := range Tables {
		rows := f.rows[t]
		if len(rows) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range rows {
				rows[j].JSON = setBatchID(rows[j].JSON, f.id)
			}
			errs[i] = s.insert(ctx, t, rows, f)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// wait waits for the batch in flight without committing it.
func (s *shipper) wait() {
	if s.flight != nil {
		<-s.flight.done
		s.flight = nil
	}
}

// settle waits for the batch in flight and, when all its INSERTs were
// answered 200, commits the checkpoint at its end.
func (s *shipper) settle() error {
	f := s.flight
	if f == nil {
		return nil
	}
	s.flight = nil
	if err := <-f.done; err != nil {
		return err
	}
	if err := s.syncQuarantine(); err != nil {
		return err
	}
	if err := s.sess.Commit(f.end, f.id, int64(f.quarN)+f.refused.Load()); err != nil {
		return fmt.Errorf("commit checkpoint: %w", err)
	}
	for _, t := range Tables {
		for _, r := range f.rows[t] {
			if !r.refused {
				s.res.Rows[t]++
			}
		}
	}
	s.res.Batches++
	return nil
}

// setBatchID fills the batch id placeholder BuildRow left empty: the id is
// known only when the batch ends.
func setBatchID(row []byte, id string) []byte {
	const empty = `"batch_id":""`
	i := bytes.Index(row, []byte(empty))
	if i < 0 {
		return row
	}
	out := make([]byte, 0, len(row)+len(id))
	out = append(out, row[:i]...)
	out = append(out, `"batch_id":`...)
	out = eve.AppendString(out, id)
	return append(out, row[i+len(empty):]...)
}

// insert sends rows and, when ClickHouse blames the data, bisects: the
// halves it accepts are in, the single rows it refuses go to quarantine.
// Resending an accepted half later is harmless (same eids).
func (s *shipper) insert(ctx context.Context, table string, rows []Row, f *inflight) error {
	if len(rows) == 0 {
		return nil
	}
	var body bytes.Buffer
	for _, r := range rows {
		body.Write(r.JSON)
		body.WriteByte('\n')
	}
	err := s.client.Insert(ctx, table, body.Bytes())
	var se *ServerError
	if err == nil || !errors.As(err, &se) || !se.Refused() {
		return err
	}
	if len(rows) == 1 {
		f.refused.Add(1)
		rows[0].refused = true // counted with the batch; it was not inserted
		return s.quarantine(table, rows[0].Src, se.Msg, rows[0].JSON, nil, false)
	}
	h := len(rows) / 2
	if err := s.insert(ctx, table, rows[:h], f); err != nil {
		return err
	}
	return s.insert(ctx, table, rows[h:], f)
}

// quarantineEntry is one line of the quarantine file.
type quarantineEntry struct {
	Time   string          `json:"time"`
	Sensor string          `json:"sensor"`
	Table  string          `json:"table,omitempty"`
	Source string          `json:"source"`
	Error  string          `json:"error"`
	Row    json.RawMessage `json:"row,omitempty"`  // the row ClickHouse refused
	Line   string          `json:"line,omitempty"` // a line that was no eve record
}

func (s *shipper) quarantineLine(line []byte, end checkpoint.Position, cause error) error {
	if eve.IsBlank(line) {
		return nil
	}
	return s.quarantine("", checkpoint.FormatPos(end), cause.Error(), nil, line, true)
}

// quarantine appends one entry; the reading goroutine (bad lines, which
// count into the open batch) and the batch in flight (refused rows) share
// the file.
func (s *shipper) quarantine(table, src, msg string, row, line []byte, openBatch bool) error {
	s.quarMu.Lock()
	defer s.quarMu.Unlock()
	if s.quar == nil {
		f, err := os.OpenFile(QuarantinePath(s.cfg.StateDir), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("open quarantine file: %w", err)
		}
		s.quar = f
	}
	e := quarantineEntry{Time: s.deps.Now().UTC().Format(time.RFC3339), Sensor: s.sensor, Table: table,
		Source: src, Error: msg, Row: row}
	if line != nil {
		e.Line = string(line)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("quarantine entry: %w", err)
	}
	if _, err := s.quar.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write quarantine file %s: %w", s.quar.Name(), err)
	}
	s.res.Quarantined++
	if openBatch {
		s.quarN++
	}
	s.deps.Logger.Warn("record quarantined", "source", src, "table", table, "err", msg, "file", s.quar.Name())
	return nil
}

// syncQuarantine makes the quarantined rows durable before the checkpoint
// moves past them.
func (s *shipper) syncQuarantine() error {
	s.quarMu.Lock()
	defer s.quarMu.Unlock()
	if s.quar == nil {
		return nil
	}
	if err := s.quar.Sync(); err != nil {
		return fmt.Errorf("sync quarantine file: %w", err)
	}
	return nil
}

func (s *shipper) closeQuarantine() {
	if s.quar != nil {
		s.quar.Close()
	}
}

// classify maps a failure to the exit codes: the server's fault or the
// network's is temporary (75, retried next run, nothing committed);
// credentials and a missing table are configuration (2).
func (s *shipper) classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var se *ServerError
	if errors.As(err, &se) {
		switch {
		case se.Status == 401 || se.Status == 403 || se.Code == 192 || se.Code == 193 || se.Code == 516:
			return exitcode.Usage(fmt.Errorf("%w; check --clickhouse-user and --clickhouse-password-file", err))
		case se.Status == 404 || se.Code == 60 || se.Code == 81:
			return exitcode.Usage(fmt.Errorf("%w; create the tables with: eve-ship schema --apply", err))
		case se.temporary():
			return exitcode.TempFail(fmt.Errorf("insert: %w; nothing committed, the next run retries", err))
		}
		return err
	}
	var ce interface{ ExitCode() int }
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || isNetErr(err) {
		return exitcode.TempFail(fmt.Errorf("insert: %w; nothing committed, the next run retries", err))
	}
	return err
}

func isNetErr(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue)
}

func (s *shipper) record(m *metrics.Registry) {
	metrics.RecordEve(m, s.res.Lines, 0)
	for _, t := range Tables {
		m.Set("suricron_ship_rows_inserted", "Rows ClickHouse accepted in the last run, per table.", float64(s.res.Rows[t]), metrics.Label{Name: "table", Value: t})
	}
	m.Set("suricron_ship_rows_quarantined", "Records the last run wrote to the quarantine file (refused by ClickHouse or not eve records).", float64(s.res.Quarantined))
	m.Set("suricron_ship_values_cleaned", "Field values the last run replaced (null, wrong type, out of range) before sending.", float64(s.res.Cleaned))
}
