package report

import (
	"context"
	"os"
	"time"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/mail"
	"github.com/suricron/suricron/internal/ship"
)

// Command is weekly-report's kong model: its flags, with the shared groups,
// and their mapping onto Config and Deps (times parsed, defaults filled,
// the mail sender and the fleet source built). It lives beside Config, as
// the models of rules-update, telemetry-send and eve-ship do, so that
// cmd/weekly-report only wires it to cli.Main.
type Command struct {
	cli.Common
	cli.Service

	Files  []string `help:"Ad hoc: report on these eve files (globs; plain or .gz, any order) without reading or writing state." placeholder:"GLOB" sep:"none"`
	Week   string   `help:"ISO week to report, e.g. 2026-W46 (default: the previous week; ad hoc: the last 7 days)." placeholder:"YYYY-Www"`
	Since  timeArg  `help:"Period start: RFC 3339, YYYY-MM-DD[ HH:MM] or a duration back from now (7d, 36h)." placeholder:"T"`
	Until  timeArg  `help:"Period end (exclusive), same forms as --since; default now." placeholder:"T"`
	Format string   `help:"Output format: text, markdown, json or html." default:"text" enum:"text,markdown,json,html"`
	Out    string   `help:"Write the report to this file (atomically) instead of stdout." placeholder:"FILE"`
	Top    int      `help:"Rows per table." default:"20" placeholder:"N"`

	Mail bool `help:"Mail the report as HTML with inline charts (prints nothing unless --out is given)."`
	mail.Options

	HomeNet       string `help:"HOME_NET: a CIDR list or Suricata address expression (default: RFC 1918, ULA and link-local)." placeholder:"CIDR,…"`
	SuricataYAML  string `name:"suricata-yaml" help:"Take HOME_NET from this suricata.yaml." placeholder:"FILE"`
	ExpectedPorts string `help:"Ports that are never unusual: tcp/443, udp/53, or 53 for both." default:"tcp/22,tcp/25,53,67,68,tcp/80,tcp/110,123,tcp/143,443,tcp/465,tcp/587,tcp/853,tcp/993,tcp/995,udp/137,udp/138,udp/546,udp/547,udp/1900,udp/5353,udp/5355" placeholder:"LIST"`
	Hostname      string `help:"Sensor name in the report and subject (default: this host's name)." placeholder:"NAME"`

	CollectOnly bool   `help:"Only fold new eve lines into the aggregates (hourly cron line); render nothing."`
	Keep        int    `help:"Weeks of aggregates to keep." default:"26" placeholder:"WEEKS"`
	Start       string `help:"Where a first run (no state yet) begins: end, beginning (of the live file), all (rotated files too)." default:"end" enum:"end,beginning,all"`
	ResetState  bool   `help:"Discard the saved position (even a corrupt one) and start per --start."`

	// The fleet report: the same sections from ClickHouse (eve-ship's
	// tables), plus a per-sensor table.
	Source      string        `help:"Data source: local (this sensor's state dir) or clickhouse (the fleet, as eve-ship stores it)." default:"local" enum:"local,clickhouse"`
	Sensor      string        `help:"With --source clickhouse: report on this sensor only (default: the whole fleet)." placeholder:"NAME"`
	SilentAfter time.Duration `help:"With --source clickhouse: flag a sensor whose last event is older than this." default:"24h"`
	ship.ServerFlags

	fleet FleetSource
}

// FleetSource opens --source clickhouse: the report's days from eve-ship's
// tables. internal/fleet provides it (fleet.NewSource); it is passed in
// because fleet builds on this package and so cannot be imported by it.
type FleetSource func(FleetQuery) (Source, error)

// FleetQuery is what --source clickhouse needs to know: the server, which
// sensor (all when empty), when a sensor counts as silent, and the local
// network for the unusual-port and local-network sections.
type FleetQuery struct {
	Server                ship.Config
	Sensor                string
	SilentAfter           time.Duration
	Now                   func() time.Time
	HomeNet, SuricataYAML string
}

// NewCommand returns weekly-report's kong model for cli.Main.
func NewCommand(fleet FleetSource) *Command { return &Command{fleet: fleet} }

// Run is one weekly-report run (kong calls it).
func (c *Command) Run(ctx context.Context, env *cli.Env) error {
	loc := time.Local
	now := time.Now()
	cfg := Config{
		Files: c.Files, Week: c.Week, Format: c.Format, Out: c.Out, Top: c.Top,
		Mail: c.Mail, To: c.To, From: c.From,
		HomeNet: c.HomeNet, SuricataYAML: c.SuricataYAML, ExpectedPorts: c.ExpectedPorts,
		CollectOnly: c.CollectOnly, KeepWeeks: c.Keep, Eve: c.Eve, Rotated: c.Rotated, StateDir: c.StateDir,
		Start: c.Start, ResetState: c.ResetState, Location: loc, MaxLineBytes: c.MaxLineBytes,
	}
	var err error
	if c.Since != "" {
		if cfg.Since, err = ParseTimeArg(string(c.Since), now, loc); err != nil {
			return err
		}
	}
	if c.Until != "" {
		if cfg.Until, err = ParseTimeArg(string(c.Until), now, loc); err != nil {
			return err
		}
	}
	host := c.Hostname
	if host == "" {
		host, _ = os.Hostname()
	}
	if cfg.From == "" {
		cfg.From = mail.DefaultFrom(mail.MailnamePath, host)
	}
	if c.Source == "clickhouse" {
		src, err := c.fleet(FleetQuery{Server: c.ServerConfig(), Sensor: c.Sensor, SilentAfter: c.SilentAfter,
			Now: func() time.Time { return now }, HomeNet: c.HomeNet, SuricataYAML: c.SuricataYAML})
		if err != nil {
			return err
		}
		cfg.Source = src
		host = "fleet"
		if c.Sensor != "" {
			host = c.Sensor
		}
	}
	deps := Deps{Now: func() time.Time { return now }, Hostname: host, Stdout: env.Stdout, Logger: env.Logger, Metrics: env.Metrics}
	// Only an ad-hoc report reads gigabytes while someone waits at a
	// terminal; cron runs (stderr not a terminal) and JSON logs never see it.
	if len(c.Files) > 0 && WantProgress(env.Stderr, c.LogFormat, IsTerminal) {
		deps.Progress = TerminalProgress(env.Stderr)
	}
	if c.Mail {
		s, err := c.Options.NewSender(env.Logger)
		if err != nil {
			return err
		}
		deps.Sender = s
	}
	return Run(ctx, cfg, deps)
}
