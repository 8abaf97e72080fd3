package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"

	"github.com/suricron/suricron/internal/metrics"
)

// Common is the flag group every command embeds.
type Common struct {
	Config    string           `short:"c" help:"TOML config file (an absent default file is fine; a named file must exist)." default:"${config_default}" placeholder:"FILE" env:"-"`
	Eve       string           `help:"Suricata eve.json (the live file; rotated eve.json.1, .2.gz… beside it are found by content)." default:"/var/log/suricata/eve.json" config:"eve.path" placeholder:"PATH"`
	Rotated   []string         `name:"eve-rotated" help:"More patterns of rotated eve files, e.g. logrotate's olddir (/var/log/suricata/old/eve.json*); eve.json.* and eve.json-* beside --eve are always searched." config:"eve.rotated" placeholder:"GLOB"`
	StateDir  string           `help:"Directory for checkpoints, locks and caches." default:"/var/lib/suricron" config:"state_dir" placeholder:"DIR"`
	LogLevel  string           `help:"Log level: debug, info, warn, error. The default stays quiet on success, as cron mails whatever a job prints." default:"warn" enum:"debug,info,warn,error" config:"log_level"`
	LogFormat string           `help:"Log format on stderr: text or json." default:"text" enum:"text,json" config:"log_format"`
	Version   kong.VersionFlag `help:"Print the version and exit." env:"-"`
}

// Env is what Main hands to a command's Run method (bound by kong).
type Env struct {
	Name   string
	Stdout io.Writer
	Stderr io.Writer
	Logger *slog.Logger
	// Metrics receives the run's numbers for --metrics-file; nil (all
	// recordings no-ops) when the flag is not set. Main clears it before
	// each run in service mode and writes it after each run.
	Metrics *metrics.Registry
}

// Options configure one binary for Main.
type Options struct {
	Name        string // binary name, e.g. "alert-digest"
	Section     string // config table, e.g. "digest"
	Description string
	Version     string
	Args        []string // without the program name
	Stdout      io.Writer
	Stderr      io.Writer
}

// Main parses args into cmd (a kong struct embedding Common, with a
// Run(ctx context.Context, env *cli.Env) error method on the root or on each
// subcommand), runs it under a context cancelled by SIGINT/SIGTERM, and
// returns the exit code. Usage and config errors return 2, never kong's 80.
func Main(opts Options, cmd any) int {
	stdout, stderr := opts.Stdout, opts.Stderr
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s: %s\n", opts.Name, err)
		return ExitCode(err)
	}

	cfgPath, explicit := configPathFromArgs(opts.Args)
	res, err := loadConfig(cfgPath, opts.Section, explicit, profileFromArgs(opts.Args))
	if err != nil {
		return fail(Usage(err))
	}
	resolvers := []kong.Resolver{}
	if res != nil {
		resolvers = append(resolvers, res)
	}
	resolvers = append(resolvers, envResolver{})

	exited := -1
	parser, err := kong.New(cmd,
		kong.Name(opts.Name),
		kong.Description(opts.Description),
		kong.Vars{"version": opts.Version, "config_default": DefaultConfigPath},
		kong.DefaultEnvars(EnvPrefix),
		kong.Resolvers(resolvers...),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exited = code }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	if err != nil {
		return fail(fmt.Errorf("flag definitions: %w", err)) // a bug in a struct tag
	}
	kctx, err := parser.Parse(opts.Args)
	if exited >= 0 {
		// --help or --version printed and asked to exit; kong's usage
		// exit (80) becomes our 2.
		if exited != 0 {
			return ExitUsage
		}
		return ExitOK
	}
	if err != nil {
		return fail(Usage(err))
	}
	common := findCommon(cmd)
	logger, err := NewLogger(stderr, common.LogLevel, common.LogFormat)
	if err != nil {
		return fail(Usage(err))
	}
	logger = logger.With("cmd", opts.Name)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	svc := findService(cmd)
	env := &Env{Name: opts.Name, Stdout: stdout, Stderr: stderr, Logger: logger,
		Metrics: newMetrics(svc, opts.Name, kctx.Command())}

	kctx.BindTo(ctx, (*context.Context)(nil))
	run := func(context.Context) error {
		env.Metrics.Reset()
		start := time.Now()
		err := kctx.Run(env)
		if env.Metrics != nil {
			code := ExitCode(err)
			if err != nil && ctx.Err() != nil {
				code = ExitInterrupted
			}
			writeRunMetrics(env.Metrics, svc.MetricsFile, opts.Version, start, time.Now(), code, logger)
		}
		return err
	}
	switch {
	case svc != nil && svc.Every != "":
		err = RunEvery(ctx, logger, svc.Every, run)
	case svc != nil && svc.Jitter > 0:
		if err = sleepJitter(ctx, svc.Jitter); err == nil {
			err = run(ctx)
		}
	default:
		err = run(ctx)
	}
	if err != nil && ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		err = WithCode(ExitInterrupted, err)
	}
	if err != nil {
		return fail(err)
	}
	return ExitOK
}

// NewLogger builds the stderr logger from --log-level and --log-format.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, o)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// Commoner is implemented by structs embedding Common.
type Commoner interface{ CommonFlags() *Common }

// CommonFlags lets Main find the embedded group without reflection.
func (c *Common) CommonFlags() *Common { return c }

func findCommon(cmd any) *Common {
	if c, ok := cmd.(Commoner); ok {
		return c.CommonFlags()
	}
	return &Common{LogLevel: "warn", LogFormat: "text"}
}
