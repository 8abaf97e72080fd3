package policy

import (
	"regexp"
	"strings"

	"github.com/suricron/suricron/internal/rules/rule"
)

// Stats counts what Apply did, in suricata-update's terms: a rule counts
// once per class however many lines matched it.
type Stats struct {
	Disabled int
	Enabled  int
	Dropped  int
	Modified int
	// Flowbits is the number of rules enabled (as noalert) because an
	// enabled rule tests a flowbit only they set.
	Flowbits int
	// Keys per class, for the report.
	DisabledKeys, EnabledKeys, DroppedKeys, ModifiedKeys, FlowbitKeys []rule.Key
}

var leadingWord = regexp.MustCompile(`^\w+`)

// Apply runs disable, enable, drop and modify over every rule of s, then
// resolves flowbit dependencies. Modifications that would produce an
// invalid rule are skipped and returned as errors (the run goes on).
func (p *Policy) Apply(s *rule.Set) (Stats, []error) {
	return p.ApplyWith(s, nil)
}

// ApplyWith is Apply with late run after modify and before flowbit
// resolution, where suricata-update disables ja3 rules and rules using
// variables suricata.yaml lacks; it returns how many rules it disabled,
// which count in Stats.Disabled as suricata-update counts them.
func (p *Policy) ApplyWith(s *rule.Set, late func(*rule.Set) []rule.Key) (Stats, []error) {
	var st Stats
	var errs []error
	for _, mod := range p.Modify {
		mod.Changed = 0
	}
	s.Each(func(r *rule.Rule) *rule.Rule {
		orig := r
		enabled, dropped, modified := false, false, false
		for _, m := range p.Disable {
			if r.Enabled && m.Match(r) {
				r.Enabled = false
				st.Disabled++
				st.DisabledKeys = append(st.DisabledKeys, r.Key())
			}
		}
		for _, m := range p.Enable {
			if !r.Enabled && m.Match(r) {
				r.Enabled = true
				enabled = true
			}
		}
		for _, m := range p.Drop {
			// Flowbit setters marked noalert must keep their action, or
			// the rules that depend on them start dropping traffic.
			if !r.NoAlert && m.Match(r) {
				if nr := toDrop(r); nr != nil {
					r = nr
				}
				dropped = true
			}
		}
		for _, mod := range p.Modify {
			if mod.Matcher.Match(r) {
				nr, err := mod.Apply(r)
				if err != nil {
					errs = append(errs, err)
				}
				if nr != r {
					mod.Changed++
				}
				r = nr
				modified = true
			}
		}
		if enabled {
			st.Enabled++
			st.EnabledKeys = append(st.EnabledKeys, r.Key())
		}
		if dropped {
			st.Dropped++
			st.DroppedKeys = append(st.DroppedKeys, r.Key())
		}
		if modified {
			st.Modified++
			st.ModifiedKeys = append(st.ModifiedKeys, r.Key())
		}
		if r != orig {
			return r
		}
		return nil
	})
	if late != nil {
		keys := late(s)
		st.Disabled += len(keys)
		st.DisabledKeys = append(st.DisabledKeys, keys...)
	}
	st.FlowbitKeys = ResolveFlowbits(s)
	st.Flowbits = len(st.FlowbitKeys)
	return st, errs
}

func toDrop(r *rule.Rule) *rule.Rule {
	nr, err := rule.Parse(leadingWord.ReplaceAllString(r.Raw, "drop"), r.Group)
	if err != nil || nr == nil {
		return nil
	}
	nr.Enabled = r.Enabled
	return nr
}

var setters = map[string]bool{"set": true, "setx": true, "unset": true, "toggle": true}
var getters = map[string]bool{"isset": true, "isnotset": true}

func splitFlowbit(fb string) (op, name string) {
	op, name, _ = strings.Cut(fb, ",")
	return strings.TrimSpace(op), strings.TrimSpace(name)
}

// ResolveFlowbits enables, with noalert, every disabled rule that sets a
// flowbit some enabled rule tests, repeating until nothing changes. It
// returns the keys of the rules it enabled.
func ResolveFlowbits(s *rule.Set) []rule.Key {
	var enabled []rule.Key
	rules := s.Rules()
	// Each pass enables at least one rule or stops, so len+1 bounds it.
	for pass := 0; pass <= len(rules); pass++ {
		required := map[string]bool{}
		for _, r := range rules {
			if !r.Enabled {
				continue
			}
			for _, fb := range r.Flowbits {
				if op, name := splitFlowbit(fb); getters[op] {
					required[name] = true
				}
			}
		}
		changed := false
		for _, r := range rules {
			if r.Enabled {
				continue
			}
			for _, fb := range r.Flowbits {
				if op, name := splitFlowbit(fb); setters[op] && required[name] {
					r.Enabled = true
					r.NoAlert = true
					enabled = append(enabled, r.Key())
					changed = true
					break
				}
			}
		}
		if !changed {
			break
		}
	}
	return enabled
}
