package telemetry

import (
	"context"
	"time"

	"github.com/suricron/suricron/internal/cli"
)

// SelectFlags are shared by telemetry-send and dump-data, under the same
// config keys ([telemetry]), so a preview uses the sensor's real settings.
type SelectFlags struct {
	SIDsFile     string   `name:"sids-file" help:"telemetry_sids.txt from the ET telemetry ruleset; missing or empty means nothing is sent." default:"/var/lib/suricata/rules/telemetry_sids.txt" placeholder:"FILE"`
	AllAlerts    bool     `help:"Share every alert, not only the SIDs of the telemetry list (explicit opt-out of the list)."`
	HomeNet      string   `help:"HOME_NET as a Suricata address expression (\"[10.0.0.0/8,!10.9.0.0/16]\"); default: HOME_NET of --suricata-yaml." placeholder:"EXPR"`
	SuricataYAML string   `name:"suricata-yaml" help:"suricata.yaml to read HOME_NET and address variables from." placeholder:"FILE"`
	LocalNet     []string `help:"Extra local networks to mask (CIDR), besides HOME_NET, interfaces and private ranges." placeholder:"CIDR"`
	NoInterfaces bool     `help:"Do not add this host's interface networks to the local set (for replaying another sensor's logs)."`
	Protocol     string   `help:"Upload protocol: etpro (ET Pro Telemetry API) or ndjson (JSON Lines batches to any collector)." default:"etpro" enum:"etpro,ndjson"`
	BatchSize    int      `help:"Events per batch (one checkpoint commit; one POST with ndjson)." default:"100"`
	MaxEvents    int      `help:"Most events per run; the rest goes next run." default:"10000"`
	MaxBytes     int64    `help:"Most serialised bytes per run." default:"33554432"`
	Start        string   `help:"Where a first run (no state) begins: end, beginning or all." default:"end" enum:"end,beginning,all"`
}

func (f SelectFlags) selection() Selection {
	return Selection{SIDsFile: f.SIDsFile, AllAlerts: f.AllAlerts, HomeNet: f.HomeNet, SuricataYAML: f.SuricataYAML,
		LocalNets: f.LocalNet, NoInterfaces: f.NoInterfaces, Protocol: f.Protocol, BatchSize: f.BatchSize,
		MaxEvents: f.MaxEvents, MaxBytes: f.MaxBytes}
}

// ServerFlags reach the service.
type ServerFlags struct {
	Endpoint    string        `help:"Service base URL (etpro), or the collector URL (ndjson)." default:"https://opnsense.emergingthreats.net" placeholder:"URL"`
	TokenFile   string        `help:"File holding the telemetry token (never pass the token itself)." placeholder:"FILE"`
	Timeout     time.Duration `help:"Timeout of one HTTP request." default:"10s"`
	Retries     int           `help:"Tries per request on network errors, 408, 429 and 5xx." default:"5"`
	RetryWait   time.Duration `help:"First retry wait; doubles each try, with jitter; Retry-After wins when longer." default:"1s"`
	RetryMax    time.Duration `help:"Longest single retry wait." default:"60s"`
	Compress    string        `help:"ndjson body compression: gzip, zstd or none." default:"gzip" enum:"gzip,zstd,none"`
	Concurrency int           `help:"etpro: parallel POSTs over kept-alive connections." default:"4"`
	MaxTime     time.Duration `help:"Time budget of one run's uploads." default:"50s"`
	AllowPlain  bool          `name:"allow-plain-http" help:"Allow a plain http:// endpoint, which sends the token in clear (a loopback host is always allowed)."`
	ResetState  bool          `help:"Discard the checkpoint (even a corrupt one) and start per --start."`
}

func (f ServerFlags) retry() Retry {
	return Retry{Attempts: f.Retries, Base: f.RetryWait, Max: f.RetryMax}
}

// HealthFlags are the heartbeat's sources.
type HealthFlags struct {
	SuricataCommand    string `help:"Suricata binary, run with -V for the heartbeat." default:"suricata"`
	PIDFile            string `name:"pid-file" help:"Suricata's pid file (running or stopped)." default:"/run/suricata.pid"`
	RulesetVersionFile string `help:"telemetry_version.json of the ruleset." default:"/var/lib/suricata/rules/telemetry_version.json"`
	RulesFile          string `help:"Installed rules, counted for total_enabled_rules." default:"/var/lib/suricata/rules/suricata.rules"`
	StatsLog           string `help:"Suricata stats.log for the capture counters." default:"/var/log/suricata/stats.log"`
}

// SendCommand is telemetry-send's kong model.
type SendCommand struct {
	cli.Common
	cli.Service
	SelectFlags
	ServerFlags
	HealthFlags

	Send      sendCmd      `cmd:"" default:"withargs" help:"Upload new alerts since the last run (default)."`
	Heartbeat heartbeatCmd `cmd:"" help:"POST sensor health to /api/v1/telemetry."`
	Status    statusCmd    `cmd:"" help:"Print the sensor status (ACTIVE, DORMANT, DISABLED) from /api/v1/sensorinfo."`

	version string
}

// NewSendCommand wires the subcommands to the shared flags.
func NewSendCommand(version string) *SendCommand {
	c := &SendCommand{version: version}
	c.Send.root, c.Heartbeat.root, c.Status.root = c, c, c
	return c
}

func (c *SendCommand) deps(env *cli.Env) Deps {
	return Deps{Stdout: env.Stdout, Logger: env.Logger, Metrics: env.Metrics}
}

type sendCmd struct{ root *SendCommand }

func (s *sendCmd) Run(ctx context.Context, env *cli.Env) error {
	c := s.root
	return Run(ctx, Config{
		Selection: c.selection(), Eve: c.Eve, Rotated: c.Rotated, StateDir: c.StateDir, Start: c.Start, ResetState: c.ResetState,
		MaxLineBytes: c.MaxLineBytes, Endpoint: c.Endpoint, TokenFile: c.TokenFile, Compress: c.Compress, Concurrency: c.Concurrency,
		Timeout: c.Timeout, MaxTime: c.MaxTime, Retry: c.retry(), Version: c.version, AllowPlainHTTP: c.AllowPlain,
	}, c.deps(env))
}

type heartbeatCmd struct{ root *SendCommand }

func (h *heartbeatCmd) Run(ctx context.Context, env *cli.Env) error {
	c := h.root
	return RunHeartbeat(ctx, HeartbeatConfig{
		Endpoint: c.Endpoint, TokenFile: c.TokenFile, StateDir: c.StateDir, SIDsFile: c.SIDsFile,
		SuricataCommand: c.SuricataCommand, PIDFile: c.PIDFile, RulesetVersionFile: c.RulesetVersionFile,
		RulesFile: c.RulesFile, SuricataYAML: c.SuricataYAML, StatsLog: c.StatsLog,
		Timeout: c.Timeout, Retry: c.retry(), Version: c.version, AllowPlainHTTP: c.AllowPlain,
	}, c.deps(env))
}

type statusCmd struct {
	root *SendCommand

	Check      bool          `help:"Exit 1 unless the sensor is ACTIVE, its disable_date is more than --warn-days away and its last event is younger than --stale-after (for monitoring)."`
	WarnDays   int           `help:"With --check: a disable_date within this many days fails." default:"7"`
	StaleAfter time.Duration `help:"With --check: an event_received older than this fails (0: not checked)." default:"48h"`
}

func (s *statusCmd) Run(ctx context.Context, env *cli.Env) error {
	c := s.root
	return RunStatus(ctx, StatusConfig{Endpoint: c.Endpoint, TokenFile: c.TokenFile, Timeout: c.Timeout,
		Retry: c.retry(), Version: c.version, AllowPlainHTTP: c.AllowPlain,
		Check: s.Check, WarnDays: s.WarnDays, StaleAfter: s.StaleAfter}, c.deps(env))
}

// DumpCommand is dump-data's kong model. It reads the [telemetry] table
// too, so it accepts (and ignores) the upload-only keys there.
type DumpCommand struct {
	cli.Common
	SelectFlags

	Parsed bool   `short:"p" help:"Print the events masked, exactly as telemetry-send would upload them."`
	Pretty bool   `help:"Indent each event."`
	Log    string `short:"l" help:"Window mode: read DIR/eve.json* instead of the checkpoint." placeholder:"DIR" config:"-"`
	Time   int    `short:"t" help:"Window mode: events of the last SECONDS (default 3600 with -l)." placeholder:"SECONDS" config:"-"`
	Limit  int    `short:"L" help:"Print at most N events." placeholder:"N" config:"-"`

	Ignored ignoredFlags `embed:""`
}

// ignoredFlags mirror telemetry-send's upload and heartbeat flags, hidden,
// so that one [telemetry] table configures both commands.
type ignoredFlags struct {
	Endpoint           string        `hidden:""`
	TokenFile          string        `hidden:""`
	Timeout            time.Duration `hidden:""`
	Retries            int           `hidden:""`
	RetryWait          time.Duration `hidden:""`
	RetryMax           time.Duration `hidden:""`
	Compress           string        `hidden:""`
	Concurrency        int           `hidden:""`
	MaxTime            time.Duration `hidden:""`
	AllowPlain         bool          `name:"allow-plain-http" hidden:""`
	ResetState         bool          `hidden:""`
	Every              string        `hidden:""`
	Jitter             time.Duration `hidden:""`
	MetricsFile        string        `hidden:"" config:"metrics_file"`
	SuricataCommand    string        `hidden:""`
	PIDFile            string        `name:"pid-file" hidden:""`
	RulesetVersionFile string        `hidden:""`
	RulesFile          string        `hidden:""`
	StatsLog           string        `hidden:""`
}

// Run implements dump-data.
func (d *DumpCommand) Run(ctx context.Context, env *cli.Env) error {
	return RunDump(ctx, DumpConfig{
		Selection: d.selection(), Eve: d.Eve, Rotated: d.Rotated, StateDir: d.StateDir, Start: d.Start, MaxLineBytes: d.MaxLineBytes,
		Parsed: d.Parsed, Pretty: d.Pretty, LogDir: d.Log, Window: time.Duration(d.Time) * time.Second, Limit: d.Limit,
	}, Deps{Stdout: env.Stdout, Logger: env.Logger})
}

// NewDumpCommand returns dump-data's kong model for cli.Main.
func NewDumpCommand() *DumpCommand { return &DumpCommand{} }
