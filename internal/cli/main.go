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

	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/metrics"
)

// Base is the flag group every command embeds, directly (rules-update,
// which never reads eve.json) or through Common. The flags are in the
// "shared" help group, listed after the command's own.
type Base struct {
	Config    string           `short:"c" help:"TOML config file (an absent default file is fine; a named file must exist)." default:"${config_default}" placeholder:"FILE" env:"-" group:"shared"`
	StateDir  string           `help:"Directory for checkpoints, locks and caches." default:"/var/lib/suricron" config:"state_dir" placeholder:"DIR" group:"shared"`
	LogLevel  string           `help:"Log level: debug, info, warn, error. The default stays quiet on success, as cron mails whatever a job prints." default:"warn" enum:"debug,info,warn,error" config:"log_level" group:"shared"`
	LogFormat string           `help:"Log format on stderr: text or json." default:"text" enum:"text,json" config:"log_format" group:"shared"`
	Version   kong.VersionFlag `help:"Print the command name, version, commit and Go version, and exit." env:"-" group:"shared"`
	// CheckConfig is a command-line-only action: a config file that set it
	// would turn every cron run into a check.
	// HelpMan and Completion write the man page and shell completions from
	// this binary's own model; tools/package ships their output.
	HelpMan     bool   `name:"help-man" hidden:"" help:"Print the man page (roff) and exit." env:"-" config:"-"`
	Completion  string `hidden:"" help:"Print the completion script for bash, zsh or fish and exit." placeholder:"SHELL" env:"-" config:"-"`
	CheckConfig bool   `name:"check-config" help:"Load the configuration, check every file it names (readable, secret files' owner and mode, eve.json readable by this user), print the effective settings with their source (default, file, env, flag), and exit: 0 ok, 2 a problem." env:"-" config:"-" group:"shared"`
}

// EveFlags locate eve.json and its rotated files.
type EveFlags struct {
	Eve     string   `help:"Suricata eve.json (the live file; rotated eve.json.1, .2.gz… beside it are found by content)." default:"/var/log/suricata/eve.json" config:"eve.path" placeholder:"PATH" group:"shared"`
	Rotated []string `name:"eve-rotated" help:"More patterns of rotated eve files, e.g. logrotate's olddir (/var/log/suricata/old/eve.json*); eve.json.* and eve.json-* beside --eve are always searched." config:"eve.rotated" placeholder:"GLOB" group:"shared"`
	// MaxLineBytes belongs to the eve flags: every reader of eve.json
	// frames lines with the same limit.
	MaxLineBytes int `name:"max-line-bytes" help:"Longest eve.json line read, in bytes (4096 to 1073741824); a longer line is skipped with a warning naming its file and line, and counted." default:"16777216" config:"eve.max_line_bytes" placeholder:"BYTES" group:"shared"`
}

// Common is Base plus the eve.json flags: the group of every command that
// reads eve.json.
type Common struct {
	Base
	EveFlags
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

	// The config file becomes a resolver once kong has parsed the command
	// line (so -qc FILE counts as much as --config=FILE) and before it
	// resolves the unset flags. The environment comes after it: the last
	// resolver's value wins, so env beats file.
	src := sources{}
	var cfgPath string
	var cfgLoaded bool
	beforeResolve := func(kctx *kong.Context) error {
		path, explicit := configFile(kctx)
		res, err := loadConfig(path, opts.Section, explicit, profileName(kctx))
		if err != nil {
			return err
		}
		cfgPath = path
		if res != nil {
			cfgLoaded = true
			res.sources = src
			kctx.AddResolver(res)
		}
		kctx.AddResolver(envResolver{sources: src})
		return nil
	}
	exited := -1
	parser, err := kong.New(cmd,
		kong.Name(opts.Name),
		kong.Description(opts.Description),
		kong.Vars{"version": versionLine(opts.Name, opts.Version), "config_default": DefaultConfigPath},
		kong.DefaultEnvars(EnvPrefix),
		kong.WithBeforeResolve(beforeResolve),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exited = code }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.ExplicitGroups([]kong.Group{{Key: "shared", Title: "Shared flags (every command):"}}),
		kong.ValueFormatter(helpValue),
		kong.Help(helpPrinter(opts.Name)),
	)
	if err != nil {
		return fail(fmt.Errorf("flag definitions: %w", err)) // a bug in a struct tag
	}
	kctx, err := parser.Parse(opts.Args)
	if exited >= 0 {
		// --help or --version printed and asked to exit; kong's usage
		// exit (80) becomes our 2.
		if exited != 0 {
			return exitcode.ExitUsage
		}
		return exitcode.ExitOK
	}
	if err != nil {
		return fail(exitcode.Usage(err))
	}
	common := findCommon(cmd)
	switch {
	case common.HelpMan:
		writeMan(stdout, parser.Model, opts.Version)
		return exitcode.ExitOK
	case common.Completion != "":
		if err := writeCompletion(stdout, parser.Model, common.Completion); err != nil {
			return fail(err)
		}
		return exitcode.ExitOK
	}
	if common.CheckConfig {
		if checkConfig(stdout, opts.Name, kctx, src, cfgPath, cfgLoaded) > 0 {
			return exitcode.ExitUsage
		}
		return exitcode.ExitOK
	}
	logger, err := NewLogger(stderr, common.LogLevel, common.LogFormat)
	if err != nil {
		return fail(exitcode.Usage(err))
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
				code = exitcode.ExitInterrupted
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
		err = exitcode.WithCode(exitcode.ExitInterrupted, err)
	}
	if err != nil {
		return fail(err)
	}
	return exitcode.ExitOK
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

// Commoner is implemented by structs embedding Base (or Common).
type Commoner interface{ CommonFlags() *Base }

// CommonFlags lets Main find the embedded group without reflection.
func (c *Base) CommonFlags() *Base { return c }

func findCommon(cmd any) *Base {
	if c, ok := cmd.(Commoner); ok {
		return c.CommonFlags()
	}
	return &Base{LogLevel: "warn", LogFormat: "text"}
}
