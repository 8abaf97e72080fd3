package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/homenet"
	"github.com/suricron/suricron/internal/metrics"
	"github.com/suricron/suricron/internal/sleep"
)

// Consumer names the checkpoint of telemetry-send; dump-data reads it.
const Consumer = "telemetry-send"

// Selection configures what is picked and how it is masked and batched;
// send and dump-data share it so the preview equals the upload.
type Selection struct {
	SIDsFile     string
	AllAlerts    bool
	HomeNet      string
	SuricataYAML string
	LocalNets    []string
	NoInterfaces bool
	Protocol     string
	BatchSize    int   // events per checkpoint batch (and per ndjson POST)
	MaxEvents    int   // per run
	MaxBytes     int64 // per run, serialised bytes
}

// Config is telemetry-send's configuration.
type Config struct {
	Selection
	Eve, StateDir string
	Rotated       []string // extra rotated-file patterns (--eve-rotated)
	MaxLineBytes  int      // --max-line-bytes; 0: eve.DefaultMaxLine
	Start         string
	ResetState    bool
	Endpoint      string
	TokenFile     string
	Compress      string
	Concurrency   int
	Timeout       time.Duration
	MaxTime       time.Duration
	Retry         Retry
	Version       string
	// AllowPlainHTTP lets the token go to a non-loopback http:// endpoint.
	AllowPlainHTTP bool
}

// checkEndpoint refuses an endpoint that would carry the bearer token in
// clear over the network: http:// is accepted only for a loopback host
// (a local collector or test) or when the operator said so.
func checkEndpoint(endpoint string, allowPlain bool) error {
	if endpoint == "" {
		return exitcode.Usagef("--endpoint is empty")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return exitcode.Usagef("--endpoint %q: %w", endpoint, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if allowPlain || isLoopbackHost(u.Hostname()) {
			return nil
		}
		return exitcode.Usagef("--endpoint %s is plain http: the token would cross the network in clear; use https, "+
			"or --allow-plain-http ([telemetry] allow_plain_http = true) to accept that; nothing was sent", u.Redacted())
	}
	return exitcode.Usagef("--endpoint %s: want an https:// (or loopback http://) URL", u.Redacted())
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

// Deps are the side effects, injected so tests run Run in-process.
type Deps struct {
	Now        func() time.Time
	HTTP       *http.Client
	Stdout     io.Writer
	Logger     *slog.Logger
	Sleep      func(ctx context.Context, d time.Duration) error
	Interfaces func() ([]netip.Prefix, error)
	Metrics    *metrics.Registry // --metrics-file; nil records nothing
}

// defaults fills the Deps a caller left nil; every Run calls it first.
func (d *Deps) defaults() {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Sleep == nil {
		d.Sleep = sleep.For
	}
	if d.Interfaces == nil {
		d.Interfaces = homenet.InterfacePrefixes
	}
	if d.Stdout == nil {
		d.Stdout = io.Discard
	}
}

// pipeline is the selection + encoder built from a Selection.
type pipeline struct {
	sel Selector
	enc Encoder
	cfg Selection
}

// newPipeline fails closed: no SID list means nothing is selected and the
// run stops with a usage error, unless --all-alerts was given.
func newPipeline(cfg Selection, deps Deps) (*pipeline, error) {
	switch cfg.Protocol {
	case ProtoETPro, ProtoNDJSON:
	default:
		return nil, exitcode.Usagef("--protocol %q: want etpro or ndjson", cfg.Protocol)
	}
	if cfg.BatchSize < 1 || cfg.MaxEvents < 1 || cfg.MaxBytes < 1 {
		return nil, exitcode.Usagef("--batch-size, --max-events and --max-bytes must be positive")
	}
	p := &pipeline{cfg: cfg}
	if cfg.AllAlerts {
		p.sel.All = true
	} else {
		sids, err := LoadSIDs(cfg.SIDsFile)
		if err != nil {
			return nil, exitcode.Usage(fmt.Errorf("%w; nothing is sent without it (--all-alerts to share every alert)", err))
		}
		p.sel.SIDs = sids
	}
	opts := homenet.Options{HomeNet: cfg.HomeNet, SuricataYAML: cfg.SuricataYAML}
	for _, s := range cfg.LocalNets {
		pfx, err := homenet.ParsePrefix(s)
		if err != nil {
			return nil, exitcode.Usagef("--local-net: %w", err)
		}
		opts.Extra = append(opts.Extra, pfx)
	}
	if !cfg.NoInterfaces {
		ifs, err := deps.Interfaces()
		if err != nil {
			// Without them an own address could leak: refuse.
			return nil, fmt.Errorf("local networks: %w", err)
		}
		opts.Interfaces = ifs
	}
	set, err := homenet.NewSet(opts)
	if err != nil {
		return nil, exitcode.Usage(err)
	}
	p.enc.Local = set
	return p, nil
}

// item is one selected event: its upload bytes and the position after it.
type item struct {
	body []byte
	raw  []byte // the unmasked line (dump-data without -p)
	end  checkpoint.Position
}

// collected is what one run read.
type collected struct {
	items   []item
	last    checkpoint.Position // after the last line read
	any     bool                // at least one line read
	bad     int64
	reached string // which per-run bound stopped the read, if any
}

// collect reads the selected events of one run into memory (send needs
// them for batching); raw lines are kept only when wanted.
func (p *pipeline) collect(ctx context.Context, sess *checkpoint.Session, keepRaw bool, log *slog.Logger) (*collected, error) {
	c := &collected{}
	err := p.scan(ctx, sess, keepRaw, log, c, func(it item) error {
		c.items = append(c.items, it)
		return nil
	})
	return c, err
}

// scan reads from the checkpoint and hands each selected, masked event to
// fn as it is read, so dump-data prints without holding the run in memory.
// The per-run bounds stop it as they stop a send. Item bytes are only
// valid during fn unless keepRaw (raw) and always for body.
func (p *pipeline) scan(ctx context.Context, sess *checkpoint.Session, keepRaw bool, log *slog.Logger, c *collected, fn func(item) error) error {
	var total int64
	events := 0
	return sess.Lines(ctx, func(line []byte, end checkpoint.Position) error {
		c.last, c.any = end, true
		if !p.sel.Select(line) {
			return nil
		}
		body, err := p.enc.Append(nil, line)
		if err != nil {
			c.bad++
			log.Debug("skipped an undecodable alert line", "at", checkpoint.FormatPos(end), "err", err)
			return nil
		}
		it := item{body: body, end: end}
		if keepRaw {
			it.raw = append([]byte(nil), line...)
		}
		if err := fn(it); err != nil {
			return err
		}
		events++
		total += int64(len(body)) + 1
		switch {
		case events >= p.cfg.MaxEvents:
			c.reached = "max-events"
			return checkpoint.ErrStop
		case total >= p.cfg.MaxBytes:
			c.reached = "max-bytes"
			return checkpoint.ErrStop
		}
		return nil
	})
}

// batches splits the items into checkpoint batches of at most BatchSize
// events. Each ends after its last event, except the last one, which ends
// after the last line read, so trailing unselected lines are passed too.
func (c *collected) batches(size int) []batch {
	var out []batch
	for i := 0; i < len(c.items); i += size {
		j := min(i+size, len(c.items))
		b := batch{items: c.items[i:j], end: c.items[j-1].end}
		if j == len(c.items) {
			b.end = c.last
		}
		out = append(out, b)
	}
	return out
}

type batch struct {
	items []item
	end   checkpoint.Position
}

// jsonl is the batch as JSON Lines: exactly what dump-data -p prints.
func (b batch) jsonl() []byte {
	var buf bytes.Buffer
	for _, it := range b.items {
		buf.Write(it.body)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// LastSend is the result of the latest send, kept for the heartbeat.
type LastSend struct {
	Time     string `json:"time"`
	Result   string `json:"result"` // ok, partial, failed
	Error    string `json:"error,omitempty"`
	Accepted int    `json:"accepted"`
	Rejected int    `json:"rejected"`
	Protocol string `json:"protocol"`
}

func lastSendPath(stateDir string) string {
	return filepath.Join(stateDir, Consumer+".last.json")
}

func writeLastSend(stateDir string, ls LastSend) error {
	b, err := json.Marshal(ls)
	if err != nil {
		return err
	}
	// atomicfile: a random O_EXCL|O_NOFOLLOW temp name, never a fixed
	// one a planted symlink could redirect.
	return atomicfile.Write(lastSendPath(stateDir), append(b, '\n'), 0o600)
}

// ReadLastSend loads the latest send result; nil when there is none.
func ReadLastSend(stateDir string) (*LastSend, error) {
	b, err := os.ReadFile(lastSendPath(stateDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ls LastSend
	if err := json.Unmarshal(b, &ls); err != nil {
		return nil, fmt.Errorf("%s: %w", lastSendPath(stateDir), err)
	}
	return &ls, nil
}
