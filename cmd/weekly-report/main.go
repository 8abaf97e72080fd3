// Command weekly-report folds Suricata's eve.json into small per-day
// aggregates (hourly: --collect-only) and renders a week of them as text,
// markdown, JSON or an HTML mail with charts (weekly); or, ad hoc, reports
// on given files without any state. See internal/report.
package main

import (
	"os"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/fleet"
	"github.com/suricron/suricron/internal/report"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(cli.Main(cli.Options{
		Name:        "weekly-report",
		Section:     "report",
		Description: "Weekly Suricata report: alert summary, unusual ports, capture health, local network. Exit codes: 0 ok (also a week without data), 1 failure, 2 usage or config, 65 corrupt state or aggregates, 75 lock busy or mail server unreachable, 130 interrupted.",
		Version:     version,
		Args:        os.Args[1:],
	}, report.NewCommand(fleet.NewSource)))
}
