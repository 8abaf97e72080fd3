package report

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/homenet"
	"github.com/suricron/suricron/internal/metrics"
)

// Consumer names the checkpoint and lock files in the state dir.
const Consumer = "weekly-report"

// DefaultExpectedPorts are services any network has; traffic to them is
// never "unusual". A bare number means TCP and UDP.
const DefaultExpectedPorts = "tcp/22,tcp/25,53,67,68,tcp/80,tcp/110,123,tcp/143,443,tcp/465,tcp/587,tcp/853,tcp/993,tcp/995,udp/137,udp/138,udp/546,udp/547,udp/1900,udp/5353,udp/5355"

// Config is one run, already resolved from flags, env and config file.
type Config struct {
	// Ad hoc: scan these files (globs; plain or gzip) without any state.
	Files []string
	// Period: Week (2026-W46) or Since/Until. Zero means the previous ISO
	// week in state mode and the last 7 days in ad-hoc mode.
	Week  string
	Since time.Time
	Until time.Time

	Format string // text, markdown, json, html
	Out    string // file; empty means stdout
	Mail   bool
	To     []string
	From   string

	HomeNet       string // Suricata address expression or CIDR list
	SuricataYAML  string
	ExpectedPorts string // default DefaultExpectedPorts

	CollectOnly bool
	KeepWeeks   int // default 26
	Eve         string
	StateDir    string
	Rotated     []string // extra rotated-file patterns (--eve-rotated)
	Start       string   // checkpoint start policy without state
	ResetState  bool

	Top      int
	Location *time.Location // days and weeks; default time.Local
	Source   Source         // nil: the local state dir; else e.g. ClickHouse (fleet)
	Limits   Limits         // zero means DefaultLimits

	MaxLineBytes int // --max-line-bytes; 0: eve.DefaultMaxLine
}

// Sender delivers a built message (internal/mail.Sender).
type Sender interface {
	Send(ctx context.Context, from string, to []string, msg []byte) error
}

// Deps are the outside world, injected so tests run Run in-process.
type Deps struct {
	Now      func() time.Time
	Hostname string
	Sender   Sender // needed with Mail
	Stdout   io.Writer
	Logger   *slog.Logger
	Metrics  *metrics.Registry // --metrics-file; nil records nothing
	// Progress, when set, shows an ad-hoc scan's progress (see
	// WantProgress: only on a terminal).
	Progress ProgressFunc

	// writeState replaces a state file (nil: atomically on disk); tests
	// inject EIO and ENOSPC with it.
	writeState func(path string, data []byte) error
	// workers decode lines in parallel (0: GOMAXPROCS; 1: the serial
	// fold on the reading goroutine); tests compare both.
	workers int
}

// defaults fills the Deps a caller left nil; Run calls it first.
func (d *Deps) defaults() {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Stdout == nil {
		d.Stdout = os.Stdout
	}
}

// ParsePorts parses an --expected-ports list: "tcp/443", "udp/53" or "53"
// (both), comma or space separated.
func ParsePorts(s string) (PortSet, error) {
	set := PortSet{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		proto, num, ok := strings.Cut(f, "/")
		if !ok {
			proto, num = "*", f
		}
		proto = strings.ToLower(proto)
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 || n > 65535 || proto == "" {
			return nil, exitcode.Usagef("--expected-ports: bad entry %q (want tcp/443, udp/53 or 53)", f)
		}
		set[Service(proto, n)] = true
	}
	return set, nil
}

// ISOWeek returns the Monday 00:00 starting ISO week "2026-W46" in loc.
func ISOWeek(s string, loc *time.Location) (time.Time, error) {
	var y, w int
	if _, err := fmt.Sscanf(s, "%4d-W%2d", &y, &w); err != nil || len(s) != 8 || w < 1 || w > 53 {
		return time.Time{}, exitcode.Usagef("--week %q: want YYYY-Www, e.g. 2026-W46", s)
	}
	// 4 January is always in week 1.
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, loc)
	mon := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	start := mon.AddDate(0, 0, 7*(w-1))
	if yy, ww := start.ISOWeek(); yy != y || ww != w {
		return time.Time{}, exitcode.Usagef("--week %q: year %d has no week %d", s, y, w)
	}
	return start, nil
}

// WeekLabel names the ISO week that contains t.
func WeekLabel(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// PreviousWeek is the last complete ISO week before now.
func PreviousWeek(now time.Time, loc *time.Location) time.Time {
	n := now.In(loc)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	mon := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	return mon.AddDate(0, 0, -7)
}

// ParseTimeArg reads --since/--until: RFC 3339, Suricata's timestamp
// layout, a date (midnight in loc), "2006-01-02 15:04" in loc, or a
// duration back from now ("7d", "36h").
func ParseTimeArg(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch day := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc); strings.ToLower(s) {
	case "today":
		return day, nil
	case "yesterday":
		return day.AddDate(0, 0, -1), nil
	}
	// "-3d" and "3d" both mean three days back from now.
	back := strings.TrimPrefix(s, "-")
	for suffix, days := range map[string]int{"d": 1, "w": 7} {
		if n, ok := strings.CutSuffix(back, suffix); ok {
			if d, err := strconv.Atoi(n); err == nil && d >= 0 && n[0] != '+' && n[0] != '-' {
				return now.AddDate(0, 0, -d*days), nil
			}
		}
	}
	if d, err := time.ParseDuration(back); err == nil && d >= 0 && back != "" && back[0] != '+' && back[0] != '-' {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{time.DateOnly, "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, exitcode.Usagef("time %q: want RFC 3339, YYYY-MM-DD[ HH:MM], today, yesterday or a time back from now like 7d, 2w, 36h (or -7d)", s)
}

// localSet builds HOME_NET: --home-net (a Suricata expression, which a
// plain CIDR list is too) or HOME_NET of --suricata-yaml, plus the ranges
// that are never public. Without either, RFC 1918/ULA/link-local only.
func localSet(cfg Config) (Local, error) {
	s, err := homenet.NewSet(homenet.Options{HomeNet: cfg.HomeNet, SuricataYAML: cfg.SuricataYAML})
	if err != nil {
		return nil, exitcode.Usage(fmt.Errorf("home net: %w", err))
	}
	return s, nil
}
