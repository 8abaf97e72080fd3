package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/suricron/suricron/internal/rules/rule"
	"github.com/suricron/suricron/internal/rules/suricataconf"
)

// confChecks disables the rules the configured Suricata cannot load or
// would never run, as suricata-update does with suricata.yaml: rules for
// app-layer protocols turned off (in the disable phase, so enable.conf can
// still win), then, after modify and before flowbits, ja3 rules when ja3
// fingerprints are off and rules using address or port variables the
// yaml does not define (one such rule fails `suricata -T` and with it the
// whole update). It counts the rules it disabled per reason.
type confChecks struct {
	conf   *suricataconf.Config
	protos map[string]bool
	counts map[string]int
}

func newConfChecks(c *suricataconf.Config) *confChecks {
	cc := &confChecks{conf: c, protos: map[string]bool{}, counts: map[string]int{}}
	for _, p := range c.DisabledProtocols() {
		cc.protos[p] = true
	}
	return cc
}

// protoMatcher is the disable matcher for the protocols turned off; the
// policy calls it only for enabled rules, so each true disables one.
type protoMatcher struct{ cc *confChecks }

func (m protoMatcher) Match(r *rule.Rule) bool {
	p := r.Header().Proto
	if p == "" || !m.cc.protos[p] {
		return false
	}
	m.cc.counts["app-layer "+p+" off in suricata.yaml"]++
	return true
}

func (m protoMatcher) String() string { return "suricata.yaml app-layer protocols" }

// late runs the ja3 and variable checks over s and returns the keys of
// the enabled rules it disabled.
func (cc *confChecks) late(s *rule.Set) []rule.Key {
	ja3Off := cc.conf.JA3Off()
	var keys []rule.Key
	s.Each(func(r *rule.Rule) *rule.Rule {
		if !r.Enabled {
			return nil
		}
		if ja3Off && usesJA3(r) {
			r.Enabled = false
			cc.counts["ja3-fingerprints off in suricata.yaml"]++
			keys = append(keys, r.Key())
			return nil
		}
		if v := cc.missingVar(r); v != "" {
			r.Enabled = false
			cc.counts["$"+v+" not defined in suricata.yaml"]++
			keys = append(keys, r.Key())
		}
		return nil
	})
	return keys
}

// usesJA3 reports whether r has a ja3 keyword (ja3.hash, ja3.string,
// ja3s.hash, the old ja3_hash…): suricata-update's "ja3" feature.
func usesJA3(r *rule.Rule) bool {
	if !strings.Contains(r.Raw, "ja3") {
		return false
	}
	found := false
	r.EachOption(func(name, _ string) {
		if strings.HasPrefix(name, "ja3") {
			found = true
		}
	})
	return found
}

// missingVar returns the first variable of r's addresses or ports that
// suricata.yaml does not define, "" when all exist.
func (cc *confChecks) missingVar(r *rule.Rule) string {
	if !strings.Contains(r.Raw[:max(0, strings.IndexByte(r.Raw, '('))], "$") {
		return ""
	}
	h := r.Header()
	for _, f := range []struct {
		text string
		has  func(string) bool
	}{{h.SrcAddr, cc.conf.HasAddressVar}, {h.DstAddr, cc.conf.HasAddressVar},
		{h.SrcPort, cc.conf.HasPortVar}, {h.DstPort, cc.conf.HasPortVar}} {
		for _, v := range varNames(f.text) {
			if !f.has(v) {
				return v
			}
		}
	}
	return ""
}

// varNames returns the $NAME variables in a header field.
func varNames(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			return out
		}
		s = s[i+1:]
		j := 0
		for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if j > 0 {
			out = append(out, s[:j])
		}
		s = s[j:]
	}
}

// reasons returns "reason: n" lines, most rules first.
func (cc *confChecks) reasons() []DisabledBy {
	var out []DisabledBy
	for k, n := range cc.counts {
		out = append(out, DisabledBy{Reason: k, Rules: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rules != out[j].Rules {
			return out[i].Rules > out[j].Rules
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// DisabledBy is one reason suricata.yaml gave to disable rules.
type DisabledBy struct {
	Reason string `json:"reason"`
	Rules  int    `json:"rules"`
}

func (d DisabledBy) String() string { return fmt.Sprintf("disabled: %s: %d", d.Reason, d.Rules) }
