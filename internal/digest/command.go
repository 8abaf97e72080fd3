package digest

import (
	"context"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/mail"
)

// Command is alert-digest's kong model: its flags, with the shared groups,
// and their mapping onto Config. It lives beside Config, as the models of
// rules-update, telemetry-send and eve-ship do, so that cmd/alert-digest
// only wires it to cli.Main.
type Command struct {
	cli.Common
	cli.Service

	mail.Options
	Delivery

	MinSeverity  int     `help:"Only alerts at least this severe: 1 (high) to 3 (low); 0 = all." default:"0" placeholder:"N"`
	SID          []int64 `name:"sid" help:"Only these signature ids (repeatable)." placeholder:"N"`
	ExcludeSID   []int64 `name:"exclude-sid" help:"Leave out these signature ids (repeatable)." placeholder:"N"`
	Match        string  `help:"Only alerts whose signature matches this regular expression (RE2)." placeholder:"REGEX"`
	SuppressFile string  `help:"Suppress file: lines 'SID [ADDR|CIDR|src=…|dst=…] [until=YYYY-MM-DD]'." placeholder:"FILE"`
	MaxGroups    int     `help:"Signature sections in the mail; every other signature is still listed by name and count." default:"100" placeholder:"N"`
	LinkTemplate string  `help:"Per-group link, e.g. a Kibana or EveBox URL with {flow_id} {sid} {src} {dst} {from} {to} {from_ms} {to_ms} (a ±60 min window)." placeholder:"URL"`
	RulesReport  string  `help:"rules-update's JSON report (--report-format json): alerts of the rules it added or changed are marked 'fresh rule'. Default STATE_DIR/rules-update.report.json; a missing file marks nothing." placeholder:"FILE"`
	DryRun       bool    `help:"Print the message on stdout exactly as it would be sent; send nothing, keep the state."`
	Start        string  `help:"Where a first run (no state yet) begins: end (only new alerts), beginning (of the live file), all (rotated files too)." default:"end" enum:"end,beginning,all"`
	ResetState   bool    `help:"Discard the saved position (even a corrupt one) and start per --start."`
}

// NewCommand returns alert-digest's kong model for cli.Main.
func NewCommand() *Command { return &Command{} }

// Run is one alert-digest run (kong calls it).
func (c *Command) Run(ctx context.Context, env *cli.Env) error {
	return Run(ctx, c.config(), Deps{Stdout: env.Stdout, Logger: env.Logger, Metrics: env.Metrics})
}

func (c *Command) config() Config {
	return Config{
		Eve: c.Eve, Rotated: c.Rotated, StateDir: c.StateDir, Start: c.Start, ResetState: c.ResetState, DryRun: c.DryRun,
		MinSeverity: c.MinSeverity, SIDs: c.SID, ExcludeSIDs: c.ExcludeSID, Match: c.Match,
		SuppressFile: c.SuppressFile, MaxGroups: c.MaxGroups, LinkTemplate: c.LinkTemplate, RulesReport: c.RulesReport,
		Mail: c.Options, MaxLineBytes: c.MaxLineBytes, Deliver: c.Delivery,
	}
}
