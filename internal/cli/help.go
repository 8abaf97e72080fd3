package cli

import (
	"fmt"
	"strings"

	"github.com/alecthomas/kong"
)

// helpValue is a flag's help text with its default and environment
// variable. kong shows a default only in place of a missing placeholder, so
// --output=FILE would hide where the rules go; here every non-empty default
// is named, except a long list (weekly-report's expected ports) that would
// not fit a terminal line; --check-config prints it.
func helpValue(v *kong.Value) string {
	help := strings.TrimSuffix(v.Help, ".")
	var notes []string
	if v.HasDefault && v.Default != "" && v.Tag.PlaceHolder != "" && len(v.Default) <= 50 && !kong.HasInterpolatedVar(v.OrigHelp, "default") {
		notes = append(notes, "default "+v.Default)
	}
	if len(v.Tag.Envs) > 0 && !kong.HasInterpolatedVar(v.OrigHelp, "env") {
		notes = append(notes, "$"+strings.Join(v.Tag.Envs, ", $"))
	}
	if len(notes) > 0 {
		if help != "" {
			help += " "
		}
		help += "(" + strings.Join(notes, "; ") + ")"
	}
	if strings.HasSuffix(v.Help, ".") {
		help += "."
	}
	return help
}

// examples close each command's --help: the lines an operator copies.
var examples = map[string]string{
	"rules-update": `rules-update --dry-run                 # what would change, nothing written
rules-update -q --disable-conf /etc/suricata/disable.conf \
  --test-command 'suricata -T -c /etc/suricata/suricata.yaml -S {rules}' \
  --reload-command 'suricatasc -c reload-rules'
rules-update --check-config            # settings, their sources, file checks`,
	"alert-digest": `alert-digest --dry-run --start beginning   # the next digest, sent nowhere
alert-digest --to soc@example.org --smtp smtps://mail.example.org:465
alert-digest --every 5m                     # service mode, without cron
alert-digest --check-config`,
	"telemetry-send": `telemetry-send --token-file /etc/suricron/telemetry.token   # send new alerts
telemetry-send heartbeat
telemetry-send status
dump-data -p | head                         # what the next upload contains`,
	"dump-data": `dump-data -p | head          # exactly what telemetry-send uploads next
dump-data -l /var/log/suricata -t 600 -L 20   # the last 10 minutes, unmasked`,
	"weekly-report": `weekly-report --collect-only          # hourly, from cron
weekly-report --mail --to soc@example.org   # Mondays: the previous ISO week
weekly-report --files '/var/log/suricata/eve.json*' --since 2w
weekly-report --week 2026-W46 --format json --out /tmp/w46.json`,
	"eve-ship": `eve-ship schema --apply                 # create the tables once
eve-ship --clickhouse-url https://ch.example.org:8443 \
  --clickhouse-password-file /etc/suricron/clickhouse.password
eve-ship --event-types alert,stats,anomaly,flow --every 1m`,
}

// helpPrinter is kong's help followed by the command's examples.
func helpPrinter(name string) kong.HelpPrinter {
	return func(options kong.HelpOptions, ctx *kong.Context) error {
		if err := kong.DefaultHelpPrinter(options, ctx); err != nil {
			return err
		}
		if ex, ok := examples[name]; ok {
			fmt.Fprintf(ctx.Stdout, "\nExamples:\n")
			for _, l := range strings.Split(ex, "\n") {
				fmt.Fprintf(ctx.Stdout, "  %s\n", l)
			}
		}
		return nil
	}
}
