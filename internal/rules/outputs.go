package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/rules/rule"
	"github.com/suricron/suricron/internal/rules/sidmsg"
	"github.com/suricron/suricron/internal/rules/suricataconf"
	"github.com/suricron/suricron/internal/rules/threshold"
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
	// ThresholdIn is a threshold.in template; ThresholdOut the
	// threshold.config made from it ("": beside the rules).
	ThresholdIn, ThresholdOut string
	// SIDMsgMap and SIDMsgMap2 are the sid-msg.map files (v1, v2) to write.
	SIDMsgMap, SIDMsgMap2 string
}

// OutputsFlags are the command-line flags of OutputsConfig; Command
// embeds them.
type OutputsFlags struct {
	SuricataConf       string `help:"suricata.yaml (its include: files too): rules for app-layer protocols it turns off, ja3 rules when ja3-fingerprints is off, and rules using address or port variables it does not define are written disabled. Default /etc/suricata/suricata.yaml when present; 'none' reads none." placeholder:"FILE"`
	EnableAllCommented bool   `help:"Enable every rule the archive ships commented out, before the policy files run (oinkmaster -e; they are off for a reason)."`
	ThresholdIn        string `help:"threshold.in template (suricata-update's): lines with re:REGEX instead of gen_id/sig_id are repeated for every enabled rule the regex matches; other lines are copied." placeholder:"FILE" type:"path"`
	ThresholdOut       string `help:"threshold.config written from --threshold-in (default: threshold.config beside --output)." placeholder:"FILE" type:"path"`
	SIDMsgMap          string `name:"sid-msg-map" help:"Write a sid-msg.map (v1: sid || msg || references) of all rules." placeholder:"FILE" type:"path"`
	SIDMsgMap2         string `name:"sid-msg-map-2" help:"Write a v2 sid-msg.map (gid || sid || rev || classtype || priority || msg || references)." placeholder:"FILE" type:"path"`
}

// config resolves the flags; statDefault tells whether the default
// suricata.yaml exists (injected so tests never read the host's).
func (f OutputsFlags) config(statDefault func(string) bool) OutputsConfig {
	oc := OutputsConfig(f)
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
			return nil, exitcode.Usagef("--suricata-conf: %w", err)
		}
		return nil, exitcode.Usage(fmt.Errorf("--suricata-conf: %w", err))
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
	fmt.Fprintf(fp, "enable-all-commented=%v\nsid-msg-map=%q\nsid-msg-map-2=%q\n", c.EnableAllCommented, c.SIDMsgMap, c.SIDMsgMap2)
	if c.ThresholdIn != "" {
		b, err := os.ReadFile(c.ThresholdIn)
		if err != nil {
			return exitcode.Usagef("--threshold-in: %w", err)
		}
		// A regex that does not compile stops the run before anything
		// is fetched or written.
		if _, err := threshold.Process(c.ThresholdIn, string(b), nil); err != nil {
			return exitcode.Usagef("--threshold-in: %w", err)
		}
		r.thresholdIn = string(b)
		fmt.Fprintf(fp, "threshold-in %s %d\nthreshold-out=%q\n", c.ThresholdIn, len(b), r.thresholdOut())
		fp.Write(b)
	}
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
			return exitcode.Usagef("--suricata-conf: %w", err)
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

func (r *run) thresholdOut() string {
	if r.cfg.ThresholdOut != "" {
		return r.cfg.ThresholdOut
	}
	return filepath.Join(filepath.Dir(r.cfg.Output), "threshold.config")
}

// writeOutputs writes threshold.config and the sid-msg maps from the
// built rules, each atomically and only when its content changed; it
// reports whether one changed (Suricata must reload to see it).
func (r *run) writeOutputs(rs *ruleset) (changed bool, err error) {
	type out struct {
		path string
		data func() ([]byte, error)
	}
	var outs []out
	if r.cfg.ThresholdIn != "" {
		outs = append(outs, out{r.thresholdOut(), func() ([]byte, error) {
			res, err := threshold.Process(r.cfg.ThresholdIn, r.thresholdIn, rs.rules)
			if err != nil {
				return nil, exitcode.Usagef("--threshold-in: %w", err)
			}
			for _, line := range res.Unmatched {
				r.log.Warn("threshold.in re: line matched no enabled rule; it produces nothing", "file", r.cfg.ThresholdIn, "line", line)
			}
			r.log.Info("threshold.config generated", "file", r.thresholdOut(), "from_re", res.Generated)
			return res.Data, nil
		}})
	}
	for i, p := range []string{r.cfg.SIDMsgMap, r.cfg.SIDMsgMap2} {
		if p == "" {
			continue
		}
		version := i + 1
		outs = append(outs, out{p, func() ([]byte, error) {
			var b bytes.Buffer
			err := sidmsg.Write(&b, rs.rules, version)
			return b.Bytes(), err
		}})
	}
	for _, o := range outs {
		data, err := o.data()
		if err != nil {
			return changed, err
		}
		if old, err := os.ReadFile(o.path); err == nil && bytes.Equal(old, data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(o.path), 0o755); err != nil {
			return changed, err
		}
		if err := atomicfile.Write(o.path, data, 0o644); err != nil {
			return changed, err
		}
		changed = true
	}
	return changed, nil
}
