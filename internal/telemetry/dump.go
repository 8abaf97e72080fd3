package telemetry

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/buger/jsonparser"

	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/eve"
	"github.com/suricron/suricron/internal/exitcode"
)

// DumpConfig is dump-data's configuration.
type DumpConfig struct {
	Selection
	Eve, StateDir string
	Rotated       []string // extra rotated-file patterns (--eve-rotated)
	MaxLineBytes  int      // --max-line-bytes; 0: eve.DefaultMaxLine
	Start         string
	Parsed        bool          // -p: masked, exactly as uploaded
	Pretty        bool          // indented output
	LogDir        string        // -l: window mode over DIR/eve.json*
	Window        time.Duration // -t: window mode, events newer than now-Window
	Limit         int           // -L: at most this many events printed (0 = no limit)
}

// RunDump prints what telemetry-send would upload next (from its current
// checkpoint, read-only: no lock, no state write, no network) or, with a
// window, the selected events of the last Window. Without Parsed it prints
// the unmasked eve lines of the same selection.
func RunDump(ctx context.Context, cfg DumpConfig, deps Deps) error {
	deps.defaults()
	if cfg.Limit < 0 {
		return exitcode.Usagef("-L/--limit must not be negative")
	}
	p, err := newPipeline(cfg.Selection, deps)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(deps.Stdout, 64<<10)
	printed := 0
	emit := func(body, raw []byte) error {
		b := body
		if !cfg.Parsed {
			b = raw
		}
		if cfg.Pretty {
			var ind bytes.Buffer
			if err := json.Indent(&ind, b, "", "  "); err != nil {
				return fmt.Errorf("indent: %w", err)
			}
			b = ind.Bytes()
		}
		if _, err := out.Write(b); err != nil {
			return err
		}
		printed++
		return out.WriteByte('\n')
	}
	limited := func() bool { return cfg.Limit > 0 && printed >= cfg.Limit }

	if cfg.LogDir != "" || cfg.Window > 0 {
		if err := dumpWindow(ctx, cfg, deps, p, emit, limited); err != nil {
			return err
		}
		return out.Flush()
	}
	sess, err := openSession(ctx, Config{Eve: cfg.Eve, Rotated: cfg.Rotated, StateDir: cfg.StateDir, Start: cfg.Start, MaxLineBytes: cfg.MaxLineBytes}, true, deps)
	if err != nil {
		return err
	}
	defer sess.Close()
	// Streamed: each event is printed as it is read, never all held.
	var col collected
	var writeErr error
	err = p.scan(ctx, sess, !cfg.Parsed, deps.Logger, &col, func(it item) error {
		if limited() {
			return checkpoint.ErrStop
		}
		if err := emit(it.body, it.raw); err != nil {
			writeErr = err
			return err
		}
		return nil
	})
	if writeErr != nil {
		return writeErr
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", cfg.Eve, err)
	}
	return out.Flush()
}

// dumpWindow scans DIR/eve.json* (plain or gzip), oldest file first, and
// emits selected events whose timestamp is within the window. Timestamps
// are compared as instants, so the window is right in every timezone;
// a timestamp without an offset is read in the host's zone, as Suricata
// wrote it.
func dumpWindow(ctx context.Context, cfg DumpConfig, deps Deps, p *pipeline, emit func(body, raw []byte) error, limited func() bool) error {
	dir := cfg.LogDir
	if dir == "" {
		dir = filepath.Dir(cfg.Eve)
	}
	window := cfg.Window
	if window <= 0 {
		window = time.Hour // dump_data.py's default -t 3600
	}
	since := deps.Now().Add(-window)
	files, err := filepath.Glob(filepath.Join(dir, "eve.json*"))
	if err != nil {
		return exitcode.Usagef("-l %s: %w", dir, err)
	}
	if len(files) == 0 {
		return exitcode.Usagef("-l %s: no eve.json* files", dir)
	}
	type fileT struct {
		path string
		mod  time.Time
	}
	var fs []fileT
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		fs = append(fs, fileT{f, st.ModTime()})
	}
	// Oldest first: rotated files were last written before the live one.
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].mod.Before(fs[j].mod) })
	for _, f := range fs {
		if limited() {
			return nil
		}
		if err := dumpFile(ctx, f.path, since, p, emit, limited); err != nil {
			return err
		}
	}
	return nil
}

func dumpFile(ctx context.Context, path string, since time.Time, p *pipeline, emit func(body, raw []byte) error, limited func() bool) error {
	f, err := eve.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	sc := eve.NewScanner(f.Reader, 0, 0)
	n := 0
	for sc.Next() && !limited() {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		line := sc.Line()
		if !p.sel.Select(line) {
			continue
		}
		ts, err := jsonparser.GetString(line, "timestamp")
		if err != nil {
			continue
		}
		t, ok := parseEveTime(ts)
		if !ok || t.Before(since) {
			continue
		}
		body, err := p.enc.Append(nil, line)
		if err != nil {
			continue
		}
		if err := emit(body, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// parseEveTime accepts Suricata's zoned format and the zone-less one of
// old versions (local time).
func parseEveTime(s string) (time.Time, bool) {
	if t, err := eve.ParseTime(s); err == nil {
		return t, true
	}
	if !strings.ContainsAny(s[min(len(s), 19):], "+-Z") {
		if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999", s, time.Local); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
