package digest

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"time"

	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/mail"
	"github.com/suricron/suricron/internal/metrics"
)

// Consumer names this command's checkpoint and lock files in the state dir.
const Consumer = "alert-digest"

// DefaultMaxGroups is how many signature sections a mail has before the
// rest are listed by name and count only.
const DefaultMaxGroups = 100

// Config is everything the command line decides.
type Config struct {
	Eve        string // live eve.json
	StateDir   string
	Rotated    []string // extra rotated-file patterns (--eve-rotated)
	Start      string   // checkpoint.StartEnd, StartBeginning or StartAll (first run only)
	ResetState bool
	DryRun     bool // print the message on stdout; send nothing; keep state

	MinSeverity  int     // keep alerts with 1 <= severity <= MinSeverity; 0 keeps all
	SIDs         []int64 // only these sids, if any
	ExcludeSIDs  []int64
	Match        string // RE2 on the signature; empty matches all
	SuppressFile string

	MaxGroups    int    // signature sections in the mail; the rest are listed by name and count
	LinkTemplate string // per-signature URL (newest alert), see ParseLinkTemplate
	// RulesReport is rules-update's JSON report (--report-format json),
	// whose added and modified sids are marked "fresh rule"; empty means
	// STATE_DIR/rules-update.report.json. A missing file marks nothing.
	RulesReport string

	Mail    mail.Options
	Deliver Delivery // webhook, exec, profile: see deliver.go

	MaxLineBytes int // --max-line-bytes; 0: eve.DefaultMaxLine
}

// Deps are the outside world, injected so that tests run Run in-process
// with a fixed clock and host name.
type Deps struct {
	Now      func() time.Time
	Hostname string      // subject, default sender, Message-ID host
	Sender   mail.Sender // nil: built from Config.Mail
	Stdout   io.Writer   // --dry-run output
	Logger   *slog.Logger
	Metrics  *metrics.Registry // --metrics-file; nil records nothing
	// Mailname names the default sender's domain (mail.DefaultFrom);
	// empty means mail.MailnamePath, /etc/mailname.
	Mailname string
}

// defaults fills the Deps a caller left nil; every Run calls it first.
func (d *Deps) defaults() {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Hostname == "" {
		if h, err := os.Hostname(); err == nil {
			d.Hostname = h
		} else {
			d.Hostname = "localhost"
		}
	}
	if d.Mailname == "" {
		d.Mailname = mail.MailnamePath
	}
	if d.Stdout == nil {
		d.Stdout = io.Discard
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
}

// settings is Config checked and compiled.
type settings struct {
	filter    *filter
	link      *LinkTemplate
	maxGroups int
	from      string
	to        []string
}

func (cfg *Config) compile(now time.Time, host string, log *slog.Logger) (*settings, error) {
	s := &settings{maxGroups: cfg.MaxGroups}
	if cfg.Eve == "" {
		return nil, exitcode.Usagef("--eve: no eve.json path")
	}
	if cfg.StateDir == "" && !cfg.DryRun {
		return nil, exitcode.Usagef("--state-dir: no directory")
	}
	switch cfg.Start {
	case "", checkpoint.StartEnd, checkpoint.StartBeginning, checkpoint.StartAll:
	default:
		return nil, exitcode.Usagef("--start %q: want end, beginning or all", cfg.Start)
	}
	if cfg.MinSeverity < 0 || cfg.MinSeverity > 255 {
		return nil, exitcode.Usagef("--min-severity %d: want 1 (high) to 255, or 0 for all", cfg.MinSeverity)
	}
	if s.maxGroups == 0 {
		s.maxGroups = DefaultMaxGroups
	}
	if s.maxGroups < 1 {
		return nil, exitcode.Usagef("--max-groups %d: want at least 1", cfg.MaxGroups)
	}
	f := &filter{minSeverity: cfg.MinSeverity, now: now}
	for _, sid := range cfg.SIDs {
		if sid <= 0 {
			return nil, exitcode.Usagef("--sid %d: sids are positive", sid)
		}
		if f.only == nil {
			f.only = map[int64]bool{}
		}
		f.only[sid] = true
	}
	for _, sid := range cfg.ExcludeSIDs {
		if sid <= 0 {
			return nil, exitcode.Usagef("--exclude-sid %d: sids are positive", sid)
		}
		if f.exclude == nil {
			f.exclude = map[int64]bool{}
		}
		f.exclude[sid] = true
	}
	if cfg.Match != "" {
		re, err := regexp.Compile(cfg.Match)
		if err != nil {
			return nil, exitcode.Usagef("--match %q: %w", cfg.Match, err)
		}
		f.match = re
	}
	if cfg.SuppressFile != "" {
		sup, err := LoadSuppressFile(cfg.SuppressFile)
		if err != nil {
			return nil, exitcode.Usage(err)
		}
		for _, le := range sup.Errors {
			// A bad line costs a suppression, so more mail rather than
			// missed alerts: warn (and say so in the mail), keep going.
			log.Warn("suppress file: line ignored", "file", cfg.SuppressFile, "line", le.Line, "err", le.Err)
		}
		for _, r := range sup.Rules {
			if r.Expired(now) {
				log.Info("suppress file: rule expired, no longer applied", "file", cfg.SuppressFile, "line", r.Line, "until", r.Until.Format(time.DateOnly))
			}
		}
		f.suppress = sup
	}
	s.filter = f
	if cfg.LinkTemplate != "" {
		lt, err := ParseLinkTemplate(cfg.LinkTemplate)
		if err != nil {
			return nil, exitcode.Usage(fmt.Errorf("--link-template: %w", err))
		}
		s.link = lt
	}
	s.to = cfg.Mail.To
	if len(s.to) == 0 {
		s.to = []string{"root@localhost"}
	}
	s.from = cfg.Mail.From
	if s.from == "" {
		s.from = "suricron@" + messageIDHost(host)
	}
	if _, _, err := (&mail.Message{From: s.from, To: s.to}).Envelope(); err != nil {
		return nil, exitcode.Usage(fmt.Errorf("--from/--to: %w", err))
	}
	return s, nil
}
