package rules

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/rules/archive"
	"github.com/suricron/suricron/internal/secretfile"
)

// Command is the rules-update command line (kong). Every flag can also be
// set in the [rules] table of the config file (e.g. min_rules = 2000) or
// through SURICRON_<FLAG>.
type Command struct {
	cli.Base
	cli.Service

	Action string   `arg:"" optional:"" default:"update" enum:"update,rollback,update-sources,list-sources,enable-source,disable-source,remove-source,check-versions" help:"update (the default); rollback: reinstall a kept previous ruleset, tested and reloaded; update-sources, list-sources, enable-source NAME [param=value ...], disable-source NAME, remove-source NAME, check-versions: the source index."`
	Args   []string `arg:"" optional:"" help:"enable-source: NAME [param=value ...]; disable-source, remove-source: NAME." placeholder:"ARG"`
	To     int      `help:"rollback: which previous ruleset, 1 = the one installed before the current one." default:"1" placeholder:"N"`
	Keep   int      `help:"Replaced rulesets kept in the state dir for rollback (0: none)." default:"3" placeholder:"N"`

	URL             []string      `name:"url" sep:"none" help:"Rules source (http, https or file://); repeatable. %oinkcode% and %version% are substituted. Default: ET Open (ET Pro with --oinkcode-file)." placeholder:"URL"`
	HeaderFile      []string      `sep:"none" help:"URL=FILE: send the HTTP header lines in FILE ('Name: value', e.g. 'Authorization: Bearer <token>') with the requests for that --url source; the values are never logged. Repeatable." placeholder:"URL=FILE"`
	OinkcodeFile    string        `help:"File holding the ET Pro oinkcode (never logged)." placeholder:"FILE" type:"path"`
	SuricataVersion string        `help:"Suricata version for %version% in URLs (default: ask the suricata binary, else 6.0.0)." placeholder:"X.Y.Z"`
	Conf            []string      `sep:"none" help:"oinkmaster.conf to apply (url, skipfile, disablesid, enablesid, modifysid, localsid); repeatable." placeholder:"FILE" type:"path"`
	EnableConf      string        `help:"suricata-update enable.conf." placeholder:"FILE" type:"path"`
	DisableConf     string        `help:"suricata-update disable.conf." placeholder:"FILE" type:"path"`
	DropConf        string        `help:"suricata-update drop.conf." placeholder:"FILE" type:"path"`
	ModifyConf      string        `help:"suricata-update modify.conf." placeholder:"FILE" type:"path"`
	Ignore          []string      `sep:"none" help:"Rules file base names (globs) not to load; giving any replaces the default; an empty value loads all." default:"*deleted.rules" placeholder:"GLOB"`
	Output          string        `help:"Merged rules file to install." default:"/var/lib/suricata/rules/suricata.rules" placeholder:"FILE" type:"path"`
	MinRules        int           `help:"Refuse a ruleset with fewer enabled rules than this." default:"1000" placeholder:"N"`
	MaxShrink       float64       `help:"Refuse a ruleset whose enabled rules shrink by more than this percentage." default:"50" placeholder:"PCT"`
	TestCommand     string        `help:"Command that checks the new rules before they are installed; {rules} is the candidate file, e.g. 'suricata -T -c /etc/suricata/suricata.yaml -S {rules}'." placeholder:"CMD"`
	ReloadCommand   string        `help:"Command run after a changed ruleset is installed, e.g. 'suricatasc -c reload-rules'." placeholder:"CMD"`
	ReportFormat    string        `help:"Change report format: text or json." default:"text" enum:"text,json"`
	ReportLimit     int           `help:"Rules listed per class in the text report (0: all)." default:"50" placeholder:"N"`
	DryRun          bool          `help:"Compute and print the report; write nothing."`
	Force           bool          `help:"Install even when --min-rules or --max-shrink object, and rebuild when nothing changed."`
	Quiet           bool          `short:"q" help:"Print nothing on success (for cron)."`
	Offline         bool          `help:"Use only the cached tarballs; no network."`
	Timeout         time.Duration `help:"Timeout of each download." default:"2m"`
	MaxDownload     int64         `help:"Largest accepted download in bytes." default:"536870912" placeholder:"BYTES"`
	OutputsFlags

	IndexURL       string   `help:"update-sources: where to download the source index from." default:"https://www.openinfosecfoundation.org/rules/index.yaml" placeholder:"URL"`
	Enabled        bool     `help:"list-sources: list the enabled sources (and --url, --local) instead of the index."`
	SecretFile     []string `sep:"none" help:"enable-source: PARAM=FILE, a secret parameter (e.g. secret-code=/etc/suricron/etpro.code) read from FILE at each run, never from the command line. Repeatable." placeholder:"PARAM=FILE"`
	HTTPHeaderFile string   `name:"http-header-file" help:"enable-source: file of HTTP header lines ('Authorization: Bearer <token>') sent with the source's requests; read at each run, never logged." placeholder:"FILE"`

	ReportDiff bool `help:"Text report: under each modified rule, the part that changed, old and new, wrapped at 78 columns (oinkmaster -m)."`

	Local            []string `sep:"none" help:"Local rules merged after the sources: a file, a directory (its *.rules) or a glob; repeatable. A path that names nothing is an error." placeholder:"PATH"`
	SuricataRulesDir string   `help:"Directory of Suricata's distribution rules (decoder-events.rules, stream-events.rules, ...), loaded as suricata-update does; 'none' loads none. Default: /usr/share/suricata/rules, else /etc/suricata/rules, when present." placeholder:"DIR"`
}

// Run is called by cli.Main.
func (c *Command) Run(ctx context.Context, env *cli.Env) error {
	cfg := Config{
		URLs: c.URL, SuricataVersion: c.SuricataVersion, OinkmasterConfs: c.Conf,
		EnableConf: c.EnableConf, DisableConf: c.DisableConf, DropConf: c.DropConf, ModifyConf: c.ModifyConf,
		Output: c.Output, StateDir: c.StateDir, MinRules: c.MinRules, MaxShrink: c.MaxShrink,
		TestCommand: c.TestCommand, ReloadCommand: c.ReloadCommand, ReportFormat: c.ReportFormat,
		ReportLimit: c.ReportLimit, DryRun: c.DryRun, Force: c.Force, Quiet: c.Quiet, Offline: c.Offline,
		MaxDownload: c.MaxDownload, Limits: archive.DefaultLimits(), UserAgent: "suricron-rules-update",
		Keep: c.Keep, OutputsConfig: c.OutputsFlags.config(fileExists),
		Local: c.Local, SuricataRulesDir: c.SuricataRulesDir, ReportDiff: c.ReportDiff,
	}
	switch c.SuricataRulesDir {
	case "none":
		cfg.SuricataRulesDir = ""
	case "":
		cfg.SuricataRulesDir = FindDistRuleDir(DefaultDistRuleDirs)
	}
	cfg.Ignore = []string{}
	for _, g := range c.Ignore {
		if g != "" {
			cfg.Ignore = append(cfg.Ignore, g)
		}
	}
	for _, hf := range c.HeaderFile {
		// The URL may itself contain '=' (query strings): the file is
		// after the last one.
		i := strings.LastIndexByte(hf, '=')
		if i <= 0 || i == len(hf)-1 {
			return exitcode.Usagef("--header-file %q: want URL=FILE", hf)
		}
		text, err := secretfile.Read(hf[i+1:])
		if err != nil {
			return err
		}
		if cfg.SourceHeaders == nil {
			cfg.SourceHeaders = map[string]string{}
		}
		cfg.SourceHeaders[hf[:i]] = text
	}
	if c.OinkcodeFile != "" {
		code, err := secretfile.Read(c.OinkcodeFile)
		if err != nil {
			return err
		}
		cfg.Oinkcode = code
	}
	deps := Deps{
		HTTP:          &http.Client{Timeout: c.Timeout},
		Now:           time.Now,
		Stdout:        env.Stdout,
		Logger:        env.Logger,
		DetectVersion: DetectSuricataVersion,
		Metrics:       env.Metrics,
	}
	switch c.Action {
	case "update", "rollback":
		if len(c.Args) > 0 {
			return exitcode.Usagef("%s takes no arguments, got %q", c.Action, c.Args)
		}
	default:
		return Sources(ctx, cfg, deps, c.Action, c.Args, SourceOptions{IndexURL: c.IndexURL, Enabled: c.Enabled,
			SecretFiles: c.SecretFile, HeaderFile: c.HTTPHeaderFile})
	}
	if c.Action == "rollback" {
		return Rollback(ctx, cfg, deps, c.To)
	}
	return Run(ctx, cfg, deps)
}

// NewCommand returns rules-update's kong model for cli.Main (every
// cmd/X/main.go passes its package's NewCommand).
func NewCommand() *Command { return &Command{} }
