// Command telemetry-send uploads masked Suricata alerts to the ET Pro
// Telemetry service or any HTTP collector, sends the hourly heartbeat and
// shows the sensor status. See internal/telemetry.
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
		Name:        "telemetry-send",
		Section:     "telemetry",
		Description: "Upload masked alerts of the telemetry SID list (send, the default), send a heartbeat, or show the sensor status. Exit codes: 0 ok, 1 failure, 2 usage or missing token/SID list (nothing sent), 65 corrupt state, 75 lock busy or server unreachable (retried next run), 130 interrupted.",
		Version:     version,
		Args:        os.Args[1:],
	}, telemetry.NewSendCommand(version)))
}
