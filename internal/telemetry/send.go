package telemetry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/metrics"
	"github.com/suricron/suricron/internal/redact"
	"github.com/suricron/suricron/internal/secretfile"
)

// offSensorText is the text of err as it may leave the sensor (state file,
// heartbeat): secrets scrubbed and local addresses masked, so a resolver
// or gateway address in "lookup … on 10.0.0.53:53" is not sent.
func (p *pipeline) offSensorText(sec *redact.Secrets, err error) string {
	return scrubText(sec.String(err.Error()), p.enc.Local)
}

// Run is telemetry-send's default subcommand: read new alerts since the
// checkpoint, select, mask, upload, and commit each batch once the server
// acknowledged it.
func Run(ctx context.Context, cfg Config, deps Deps) (err error) {
	deps.defaults()
	log := deps.Logger
	// Fail closed before touching state or network: token, then SIDs.
	if cfg.TokenFile == "" {
		return exitcode.Usagef("no token: set --token-file; nothing was sent")
	}
	if err := checkEndpoint(cfg.Endpoint, cfg.AllowPlainHTTP); err != nil {
		return err
	}
	token, err := secretfile.Read(cfg.TokenFile)
	if err != nil {
		return fmt.Errorf("token: %w; nothing was sent", err)
	}
	// Whatever a lower layer or the server put in an error, the token does
	// not reach stderr (cron mail), the state dir or the heartbeat.
	sec := redact.New(token)
	defer func() { err = sec.Error(err) }()
	p, err := newPipeline(cfg.Selection, deps)
	if err != nil {
		return err
	}
	if _, _, err := compressBody(nil, cfg.Compress); err != nil {
		return exitcode.Usagef("--compress: %w", err)
	}
	sess, err := openSession(ctx, cfg, false, deps)
	if err != nil {
		return err
	}
	defer sess.Close()

	col, err := p.collect(ctx, sess, false, log)
	if err != nil {
		return fmt.Errorf("read %s: %w", cfg.Eve, err)
	}
	metrics.RecordEve(deps.Metrics, sess.Stats().Lines, col.bad)
	deps.Metrics.Set("suricron_telemetry_events_selected", "Alerts the last run selected for upload.", float64(len(col.items)))
	recordSent(deps.Metrics, 0, 0, 0) // present even when nothing was uploaded
	if col.reached != "" {
		log.Info("per-run bound reached; the rest goes next run", "bound", col.reached, "events", len(col.items))
	}
	if !col.any {
		// Nothing read; a first run still saves where it started, or the
		// next one would start at the end again and skip the lines between.
		if end := sess.End(); !end.IsZero() {
			if err := sess.Commit(end, "", 0); err != nil {
				return fmt.Errorf("commit checkpoint: %w", err)
			}
		}
		return nil
	}
	if len(col.items) == 0 {
		if err := sess.Commit(col.last, "", col.bad); err != nil {
			return fmt.Errorf("commit checkpoint: %w", err)
		}
		return nil
	}

	client := deps.HTTP
	if client == nil {
		client = NewHTTPClient(cfg.Timeout, cfg.Concurrency)
	}
	up := &Uploader{
		Client: client, Endpoint: cfg.Endpoint, Token: token, Protocol: cfg.Protocol,
		Compress: cfg.Compress, Concurrency: cfg.Concurrency, Retry: cfg.Retry,
		UserAgent: "suricron/" + cfg.Version, Sleep: deps.Sleep, Now: deps.Now, Log: log,
	}
	uctx := ctx
	if cfg.MaxTime > 0 {
		var cancel context.CancelFunc
		uctx, cancel = context.WithDeadline(ctx, deps.Now().Add(cfg.MaxTime))
		defer cancel()
	}

	res := LastSend{Protocol: cfg.Protocol, Result: "ok"}
	defer func() {
		res.Time = deps.Now().UTC().Format("2006-01-02T15:04:05Z")
		if err != nil {
			res.Result, res.Error = "failed", p.offSensorText(sec, err)
			if res.Accepted > 0 {
				res.Result = "partial"
			}
		}
		recordSent(deps.Metrics, res.Accepted, res.Rejected, len(col.items)-res.Accepted-res.Rejected)
		if werr := writeLastSend(cfg.StateDir, res); werr != nil {
			log.Warn("could not record the send result", "err", werr)
		}
	}()

	bad := col.bad
	for _, b := range col.batches(cfg.BatchSize) {
		id := sess.BatchID(b.end)
		// Recorded before sending: a crash after the server's ack and
		// before Commit resends exactly this batch under this id.
		if err := sess.Prepare(b.end, id); err != nil {
			return fmt.Errorf("record pending batch: %w", err)
		}
		var sendErr error
		before := res
		switch cfg.Protocol {
		case ProtoNDJSON:
			rejected, err := up.SendBatch(uctx, b.jsonl(), id, len(b.items))
			if err == nil {
				if rejected {
					res.Rejected += len(b.items)
				} else {
					res.Accepted += len(b.items)
				}
			}
			sendErr = err
		default:
			bodies := make([][]byte, len(b.items))
			for i, it := range b.items {
				bodies[i] = it.body
			}
			out, err := up.SendEvents(uctx, bodies)
			res.Accepted += out.Accepted
			res.Rejected += out.Rejected
			if err != nil && out.Done > 0 {
				// Keep what is settled; the rest is retried next run.
				if cerr := sess.Commit(b.items[out.Done-1].end, "", bad); cerr != nil {
					return fmt.Errorf("commit checkpoint: %w (after %v)", cerr, err)
				}
				bad = 0
			}
			sendErr = err
		}
		if sendErr != nil {
			return classify(ctx, sendErr)
		}
		if res.Accepted == 0 && res.Rejected > before.Rejected {
			// Nothing of this run was delivered and this batch was refused
			// whole: a wrong endpoint (404 or 200 to everything) must not
			// move the checkpoint past alerts that were never delivered.
			return fmt.Errorf("upload: %w (%d events refused, none accepted); nothing was committed", ErrAllRejected, res.Rejected)
		}
		if err := sess.Commit(b.end, id, bad); err != nil {
			return fmt.Errorf("commit checkpoint: %w", err)
		}
		bad = 0
	}
	log.Info("telemetry sent", "accepted", res.Accepted, "rejected", res.Rejected, "protocol", cfg.Protocol)
	return nil
}

// classify maps an upload error to an exit code.
func classify(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, ErrAuth):
		return exitcode.Usage(fmt.Errorf("upload: %w; check --token-file", err))
	case errors.Is(err, ErrTLSVerify):
		return fmt.Errorf("upload: %w", err) // exit 1: the next run fails the same way
	case errors.Is(err, ErrRedirect):
		return fmt.Errorf("upload: %w; check --endpoint; nothing was committed", err) // exit 1
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "time budget"):
		return exitcode.TempFail(fmt.Errorf("upload: time budget (--max-time) used up: %w", err))
	}
	return exitcode.TempFail(fmt.Errorf("upload: %w", err))
}

func openSession(ctx context.Context, cfg Config, readOnly bool, deps Deps) (*checkpoint.Session, error) {
	sess, err := checkpoint.Open(ctx, checkpoint.Config{
		Consumer: Consumer, Live: cfg.Eve, Rotated: cfg.Rotated, StateDir: cfg.StateDir, Start: cfg.Start,
		Reset: cfg.ResetState && !readOnly, ReadOnly: readOnly, Logger: deps.Logger, Now: deps.Now,
		MaxLineBytes: cfg.MaxLineBytes, Metrics: deps.Metrics,
	})
	if err != nil {
		switch {
		case errors.Is(err, checkpoint.ErrLocked):
			return nil, fmt.Errorf("checkpoint: %w", err)
		case errors.Is(err, checkpoint.ErrCorrupt):
			return nil, fmt.Errorf("%w (run telemetry-send --reset-state to start over)", err)
		}
		return nil, err
	}
	return sess, nil
}

func recordSent(m *metrics.Registry, sent, rejected, failed int) {
	m.Set("suricron_telemetry_events_sent", "Alerts the server accepted in the last run.", float64(sent))
	m.Set("suricron_telemetry_events_rejected", "Alerts the server refused (4xx) in the last run; not retried.", float64(rejected))
	m.Set("suricron_telemetry_events_failed", "Selected alerts the last run could not upload; the next run retries them.", float64(failed))
}
