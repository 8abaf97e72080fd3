package rules

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/suricron/suricron/internal/cli"
	"github.com/suricron/suricron/internal/rules/rule"
	"github.com/suricron/suricron/internal/rules/suricataconf"
)

// DefaultSuricataConf is read when --suricata-conf is not given and the
// file exists.
const DefaultSuricataConf = "/etc/suricata/suricata.yaml"

// OutputsConfig are the settings of the suricata.yaml checks and of the
// files written beside the rules; Config embeds it.
type OutputsConfig struct {
	// SuricataConf is the suricata.yaml to check rules against; "" none.
	SuricataConf string
	// EnableAllCommented enables every rule the archive ships commented
	// out before the policy runs (oinkmaster -e).
	EnableAllCommented bool
}

// OutputsFlags are the command-line flags of OutputsConfig; Command
// embeds them.
type OutputsFlags struct {
	SuricataConf       string `help:"suricata.yaml (its include: files too): rules for app-layer protocols it turns off, ja3 rules when ja3-fingerprints is off, and rules using address or port variables it does not define are written disabled. Default /etc/suricata/suricata.yaml when present; 'none' reads none." placeholder:"FILE"`
	EnableAllCommented bool   `help:"Enable every rule the archive ships commented out, before the policy files run (oinkmaster -e; they are off for a reason)."`
}

// config resolves the flags; statDefault tells whether the default
// suricata.yaml exists (injected so tests never read the host's).
func (f OutputsFlags) config(statDefault func(string) bool) OutputsConfig {
	oc := OutputsConfig{SuricataConf: f.SuricataConf, EnableAllCommented: f.EnableAllCommented}
	switch f.SuricataConf {
	case "":
		if statDefault(DefaultSuricataConf) {
			oc.SuricataConf = DefaultSuricataConf
		}
	case "none":
		oc.SuricataConf = ""
	}
	return oc
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// buildExtras are the suricata.yaml checks and -e for one build.
type buildExtras struct {
	conf      *confChecks
	enableAll bool
	// enabledAll counts the commented-out rules -e enabled.
	enabledAll int
}

// loadSuricataConf reads --suricata-conf; a bad file is a usage error (2)
// naming the file and line.
func loadSuricataConf(p string) (*suricataconf.Config, error) {
	c, err := suricataconf.Load(p, suricataconf.DefaultLimits())
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, cli.Usagef("--suricata-conf: %w", err)
		}
		return nil, cli.Usage(fmt.Errorf("--suricata-conf: %w", err))
	}
	return c, nil
}

// enableCommented is oinkmaster's -e: every rule the archive has
// commented out is enabled before the policy applies.
func (x *buildExtras) enableCommented(s *rule.Set) {
	if x == nil || !x.enableAll {
		return
	}
	s.Each(func(r *rule.Rule) *rule.Rule {
		if !r.Enabled {
			r.Enabled = true
			x.enabledAll++
		}
		return nil
	})
}

// lateChecks is the hook policy.ApplyWith runs before flowbits.
func (x *buildExtras) lateChecks() func(*rule.Set) []rule.Key {
	if x == nil || x.conf == nil {
		return nil
	}
	return x.conf.late
}

// disabledBy lists the suricata.yaml reasons with their counts.
func (x *buildExtras) disabledBy() []DisabledBy {
	if x == nil || x.conf == nil {
		return nil
	}
	return x.conf.reasons()
}

// configureOutputs reads --suricata-conf (and its includes) into the run
// and the fingerprint: a changed suricata.yaml must rebuild the rules.
func (r *run) configureOutputs(fp io.Writer) error {
	c := r.cfg.OutputsConfig
	fmt.Fprintf(fp, "enable-all-commented=%v\n", c.EnableAllCommented)
	if c.SuricataConf == "" {
		return nil
	}
	sc, err := loadSuricataConf(c.SuricataConf)
	if err != nil {
		return err
	}
	for _, f := range sc.Files() {
		b, err := os.ReadFile(f)
		if err != nil {
			return cli.Usagef("--suricata-conf: %w", err)
		}
		fmt.Fprintf(fp, "suricata.yaml %s %d\n", f, len(b))
		fp.Write(b)
	}
	r.suriconf = sc
	r.log.Debug("suricata.yaml read", "file", c.SuricataConf, "files", len(sc.Files()),
		"protocols_off", sc.DisabledProtocols(), "ja3_off", sc.JA3Off())
	return nil
}

// extras are this build's suricata.yaml checks and -e.
func (r *run) extras() *buildExtras {
	x := &buildExtras{enableAll: r.cfg.EnableAllCommented}
	if r.suriconf != nil {
		x.conf = newConfChecks(r.suriconf)
	}
	return x
}

// reportOutputs puts what suricata.yaml disabled into the report and log.
func (r *run) reportOutputs(rep *Report, rs *ruleset) {
	rep.DisabledBy = rs.disabledBy
	rep.EnabledCommented = rs.enabledCommented
	for _, d := range rs.disabledBy {
		r.log.Info("rules disabled by suricata.yaml", "reason", d.Reason, "rules", d.Rules)
	}
}
