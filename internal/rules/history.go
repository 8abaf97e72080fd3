package rules

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/redact"
)

// History: before a ruleset replaces the installed one, the installed file
// is kept in <state-dir>/rules-update.history (a hard link when the state
// dir shares the output's filesystem, else a copy); the newest --keep
// entries stay. rollback reinstalls one of them, tested and reloaded like
// an update (oinkmaster's -b backup dir, with a way back).

func (r *run) historyDir() string { return filepath.Join(r.cfg.StateDir, "rules-update.history") }

// history lists the kept rulesets, newest first.
func (r *run) history() ([]string, error) {
	ents, err := os.ReadDir(r.historyDir())
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("read history: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".rules") {
			out = append(out, filepath.Join(r.historyDir(), e.Name()))
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out, nil
}

// saveHistory keeps the installed file (if any) before it is replaced and
// prunes the history to --keep entries. Failing to keep history does not
// stop an update: it is warned about, and rollback then has less to offer.
func (r *run) saveHistory() {
	if r.cfg.Keep <= 0 {
		return
	}
	if err := r.keepInstalled(); err != nil {
		r.log.Warn("cannot keep the installed ruleset for rollback", "err", err)
		return
	}
	list, err := r.history()
	if err != nil {
		r.log.Warn("cannot prune the rollback history", "err", err)
		return
	}
	for _, p := range list[min(len(list), r.cfg.Keep):] {
		if err := os.Remove(p); err != nil {
			r.log.Warn("cannot prune the rollback history", "err", err)
		}
	}
}

func (r *run) keepInstalled() error {
	out := r.cfg.Output
	if _, err := os.Stat(out); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	dir := r.historyDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	stamp := r.deps.Now().UTC().Format("20060102T150405Z")
	var name string
	for seq := 0; ; seq++ {
		name = filepath.Join(dir, fmt.Sprintf("%s-%04d.rules", stamp, seq))
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	if err := os.Link(out, name); err == nil {
		return nil
	}
	src, err := os.Open(out)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(dir, ".keep-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// Rollback reinstalls the to-th previous ruleset (1: the one installed
// before the current one): it is checked with the test command, the
// current file goes into the history, and Suricata is reloaded. The state
// keeps the last update's fingerprint and sources, so later runs leave the
// rollback in place until upstream or the config changes.
func Rollback(ctx context.Context, cfg Config, deps Deps, to int) (err error) {
	deps.defaults()
	r := &run{cfg: cfg, deps: deps, log: deps.Logger}
	r.scrubber()
	defer func() { err = cleanError(r.secrets.Error(err)) }()
	if cfg.Output == "" {
		return exitcode.Usagef("--output is empty")
	}
	if to < 1 {
		return exitcode.Usagef("--to %d: want 1 (the previous ruleset) or more", to)
	}
	unlock, err := r.lockState()
	if err != nil {
		return err
	}
	defer unlock()
	list, err := r.history()
	if err != nil {
		return err
	}
	if to > len(list) {
		return exitcode.Usagef("rollback --to %d: only %d previous rulesets kept in %s (see --keep)", to, len(list), r.historyDir())
	}
	from := list[to-1]
	data, err := os.ReadFile(from)
	if err != nil {
		return fmt.Errorf("read %s: %w", from, err)
	}
	_, set, err := parseInstalled(data)
	if err != nil {
		return err
	}
	tmp, err := r.prepare(ctx, func(w io.Writer) error { _, err := w.Write(data); return err })
	if err != nil {
		return err
	}
	prev := r.readState()
	st := &state{Version: stateVersion}
	if prev != nil {
		*st = *prev
	}
	st.ReloadPending = true
	// Durable before the rename, as in an update; an empty fingerprint
	// until the rename is done makes a crash end in a full update.
	fp := st.Fingerprint
	st.Fingerprint = ""
	if err := r.writeState(st); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("record pending reload, %s kept unchanged: %w", cfg.Output, err)
	}
	r.saveHistory()
	if err := r.commit(tmp); err != nil {
		return err
	}
	st.Fingerprint = fp
	st.Output = statOutput(cfg.Output)
	st.RulesTotal = set.Len()
	st.Enabled, st.Disabled = countEnabled(set)
	if err := r.writeState(st); err != nil {
		return fmt.Errorf("rules rolled back in %s, reload pending (the next run does it): %w", cfg.Output, err)
	}
	if err := r.reload(ctx, st); err != nil {
		return err
	}
	r.log.Info("rolled back", "output", cfg.Output, "from", from)
	if !cfg.Quiet {
		fmt.Fprintf(r.deps.Stdout, "[***] rules-update: %s rolled back to %s [***]\ntotal: %d; enabled: %d; disabled: %d\n",
			cleanText(cfg.Output), cleanText(filepath.Base(from)), st.RulesTotal, st.Enabled, st.Disabled)
	}
	return nil
}

// scrubber sets up the run's one secret scrubber.
func (r *run) scrubber() {
	r.secrets = &redact.Secrets{}
	r.secrets.Add(r.cfg.Oinkcode, "<oinkcode>")
	r.redact = r.secrets.String
}
