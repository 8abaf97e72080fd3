// Command eve-ship inserts new Suricata eve.json records into ClickHouse
// (alerts, stats, events tables) from its checkpoint, for a fleet store and
// the fleet report. See internal/ship.
package main

import (
	"os"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/ship"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(cli.Main(cli.Options{
		Name:        "eve-ship",
		Section:     "ship",
		Description: "Insert new eve.json records into ClickHouse (unmasked: it is the operator's own store), or print/apply the tables (schema). Exit codes: 0 ok, 1 failure, 2 usage, credentials or missing tables, 65 corrupt state, 75 lock busy or ClickHouse unreachable (nothing committed, retried next run), 130 interrupted.",
		Version:     version,
		Args:        os.Args[1:],
	}, ship.NewCommand()))
}
