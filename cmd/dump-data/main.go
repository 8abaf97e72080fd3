// Command dump-data previews what telemetry-send uploads next (-p: the
// exact bytes), or the events of a time window, without touching state or
// network. See internal/telemetry.
package main

import (
	"os"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/telemetry"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(cli.Main(cli.Options{
		Name:        "dump-data",
		Section:     "telemetry",
		Description: "Print the alerts telemetry-send would upload next (-p: masked, byte for byte), or those of the last -t SECONDS. Never writes state or uses the network. Exit codes: 0 ok, 1 failure, 2 usage or missing SID list, 65 corrupt state.",
		Version:     version,
		Args:        os.Args[1:],
	}, telemetry.NewDumpCommand()))
}
