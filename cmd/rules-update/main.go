// Command rules-update downloads Suricata rule tarballs (ET Open, ET Pro or
// any URL), applies oinkmaster.conf and suricata-update style policy, and
// installs one tested suricata.rules atomically. See internal/rules.
package main

import (
	"os"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/rules"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(cli.Main(cli.Options{
		Name:        "rules-update",
		Section:     "rules",
		Description: "Download, filter, test and install Suricata rules. Exit codes: 0 ok or no change, 1 failure (test or reload), 2 usage, 65 rejected download or guard, 75 lock busy or source unreachable, 130 interrupted.",
		Version:     version,
		Args:        os.Args[1:],
	}, &rules.Command{}))
}
