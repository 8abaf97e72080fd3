package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// commit is the git commit the binary was built from, set by make build
// (-X github.com/suricron/suricron/internal/cli.commit=…); without it the
// revision the Go toolchain stamped (go build in a clone) is used.
var commit string

// buildCommit returns the commit, shortened, or "unknown".
func buildCommit() string {
	c := commit
	if c == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	if len(c) > 12 {
		c = c[:12]
	}
	if c == "" {
		c = "unknown"
	}
	return c
}

// versionLine is what --version prints: the command, its semantic
// version, the commit and the Go toolchain, all an operator or a bug report
// needs.
func versionLine(name, version string) string {
	if version == "" {
		version = "dev"
	}
	return fmt.Sprintf("%s %s (commit %s, %s)", name, version, buildCommit(), runtime.Version())
}
