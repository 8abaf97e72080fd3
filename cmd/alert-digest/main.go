// Command alert-digest mails a digest of the Suricata alerts that are new
// since its last run: one multipart text + HTML message per run, none when
// nothing is new. Run it from cron (or with --every); see internal/digest.
package main

import (
	"os"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/digest"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(cli.Main(cli.Options{
		Name:        "alert-digest",
		Section:     "digest",
		Description: "Mail a digest of the Suricata alerts that are new since the last run. Exit codes: 0 ok or nothing new, 1 failure, 2 usage or config, 65 corrupt state, 75 lock busy or mail server unreachable (the next run resends), 130 interrupted.",
		Version:     version,
		Args:        os.Args[1:],
	}, digest.NewCommand()))
}
