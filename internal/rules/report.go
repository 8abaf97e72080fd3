package rules

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/suricron/suricron/internal/metrics"
	"github.com/suricron/suricron/internal/printable"
	"github.com/suricron/suricron/internal/rules/policy"
	"github.com/suricron/suricron/internal/rules/rule"
)

// Report is the change report; its JSON form is the DESIGN §4 contract.
type Report struct {
	RulesTotal int    `json:"rules_total"`
	Enabled    int    `json:"enabled"`
	Disabled   int    `json:"disabled"`
	Added      int    `json:"added"`
	Removed    int    `json:"removed"`
	Modified   int    `json:"modified"`
	Changed    bool   `json:"changed"`
	Output     string `json:"output"`
	DryRun     bool   `json:"dry_run"`
	// Loaded counts every parsed rule before de-duplication.
	Loaded int `json:"loaded"`
	// Applied is what the policy did in this run (suricata-update's
	// "Disabled/Enabled/Dropped/Modified N rules", flowbit enables).
	Applied Applied `json:"applied"`
	// SIDs lists gid:sid per change class against the previously
	// installed file: enabled/disabled/dropped are subsets of modified.
	SIDs SIDLists `json:"sids"`
	// DisabledBy counts the rules suricata.yaml disabled, per reason.
	DisabledBy []DisabledBy `json:"disabled_by,omitempty"`
	// EnabledCommented counts the rules --enable-all-commented enabled.
	EnabledCommented int `json:"enabled_commented,omitempty"`

	// showDiff adds minDiff's lines under each modified rule (text only).
	showDiff bool
	// keys per class, turned into SIDs only when a report is printed.
	keys     [6][]rule.Key
	old, cur *rule.Set
}

// Applied counts policy actions.
type Applied struct {
	Disabled int `json:"disabled"`
	Enabled  int `json:"enabled"`
	Dropped  int `json:"dropped"`
	Modified int `json:"modified"`
	Flowbits int `json:"flowbits"`
}

// SIDLists holds "gid:sid" strings per class, sorted numerically.
type SIDLists struct {
	Added    []string `json:"added"`
	Removed  []string `json:"removed"`
	Modified []string `json:"modified"`
	Enabled  []string `json:"enabled"`
	Disabled []string `json:"disabled"`
	Dropped  []string `json:"dropped"`
}

// diffSets compares the installed rules (old, may be nil) with the new set.
// Like suricata-update, a rule is modified when its formatted text differs,
// so enabling or disabling counts as a modification.
func diffSets(old, cur *rule.Set, st policy.Stats, output string) *Report {
	r := &Report{Output: output, old: old, cur: cur}
	r.RulesTotal = cur.Len()
	r.Enabled, r.Disabled = countEnabled(cur)
	r.Applied = Applied{Disabled: st.Disabled, Enabled: st.Enabled, Dropped: st.Dropped, Modified: st.Modified, Flowbits: st.Flowbits}
	k := &r.keys
	for _, n := range cur.Rules() {
		var o *rule.Rule
		if old != nil {
			o = old.Get(n.Key())
		}
		if o == nil {
			k[classAdded] = append(k[classAdded], n.Key())
			continue
		}
		if o.Enabled == n.Enabled && o.NoAlert == n.NoAlert && o.Raw == n.Raw || o.Format() == n.Format() {
			continue
		}
		k[classModified] = append(k[classModified], n.Key())
		switch {
		case n.Enabled && !o.Enabled:
			k[classEnabled] = append(k[classEnabled], n.Key())
		case !n.Enabled && o.Enabled:
			k[classDisabled] = append(k[classDisabled], n.Key())
		}
		if n.Action == "drop" && o.Action != "drop" {
			k[classDropped] = append(k[classDropped], n.Key())
		}
	}
	if old != nil {
		for _, o := range old.Rules() {
			if cur.Get(o.Key()) == nil {
				k[classRemoved] = append(k[classRemoved], o.Key())
			}
		}
	}
	r.Added, r.Removed, r.Modified = len(k[classAdded]), len(k[classRemoved]), len(k[classModified])
	return r
}

const (
	classAdded = iota
	classRemoved
	classModified
	classEnabled
	classDisabled
	classDropped
)

// fillSIDs renders the key lists as sorted "gid:sid" strings.
func (r *Report) fillSIDs() {
	for i := range r.keys {
		sortKeys(r.keys[i])
	}
	r.SIDs = SIDLists{Added: keyStrings(r.keys[classAdded]), Removed: keyStrings(r.keys[classRemoved]),
		Modified: keyStrings(r.keys[classModified]), Enabled: keyStrings(r.keys[classEnabled]),
		Disabled: keyStrings(r.keys[classDisabled]), Dropped: keyStrings(r.keys[classDropped])}
}

func sortKeys(ks []rule.Key) {
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].GID != ks[j].GID {
			return ks[i].GID < ks[j].GID
		}
		return ks[i].SID < ks[j].SID
	})
}

func keyStrings(ks []rule.Key) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.String()
	}
	return out
}

// writeJSON prints the report as one indented JSON object.
func (r *Report) writeJSON(w io.Writer) error {
	r.fillSIDs()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeText prints an oinkmaster-style report. limit caps the sids listed
// per class (0 = all) so a first install does not mail 30,000 lines.
func (r *Report) writeText(w io.Writer, limit int) error {
	var b strings.Builder
	state := "updated"
	switch {
	case r.DryRun && r.Changed:
		state = "would be updated (dry run)"
	case !r.Changed:
		state = "no change"
	}
	fmt.Fprintf(&b, "[***] rules-update: %s %s [***]\n", printable.String(r.Output), state)
	if !r.Changed {
		// Counts of a run that did nothing (the fast path loads no rules)
		// only mislead: "policy: loaded 0".
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "total: %d; enabled: %d; disabled: %d; added: %d; removed: %d; modified: %d\n",
		r.RulesTotal, r.Enabled, r.Disabled, r.Added, r.Removed, r.Modified)
	fmt.Fprintf(&b, "policy: loaded %d; disabled %d; enabled %d; dropped %d; modified %d; flowbit-enabled %d\n",
		r.Loaded, r.Applied.Disabled, r.Applied.Enabled, r.Applied.Dropped, r.Applied.Modified, r.Applied.Flowbits)
	if r.EnabledCommented > 0 {
		fmt.Fprintf(&b, "enabled: commented out in the archive (--enable-all-commented): %d\n", r.EnabledCommented)
	}
	for _, d := range r.DisabledBy {
		fmt.Fprintf(&b, "%s\n", printable.String(d.String()))
	}
	titles := [6]string{
		"[+++]          Added rules:          [+++]",
		"[---]         Removed rules:         [---]",
		"[///]        Modified rules:         [///]",
		"[+++]         Enabled rules:         [+++]",
		"[---]        Disabled rules:         [---]",
		"[!!!]         Dropped rules:         [!!!]",
	}
	for class, keys := range r.keys {
		if len(keys) == 0 {
			continue
		}
		sortKeys(keys)
		fmt.Fprintf(&b, "\n%s\n", titles[class])
		for i, k := range keys {
			if limit > 0 && i == limit {
				fmt.Fprintf(&b, "    ... and %d more\n", len(keys)-limit)
				break
			}
			x := r.cur.Get(k)
			if x == nil && r.old != nil {
				x = r.old.Get(k)
			}
			if x == nil {
				continue
			}
			// msg and file names come from the tarball: a raw ESC or
			// U+202E would drive the terminal or reorder the mail.
			if x.Group != "" {
				fmt.Fprintf(&b, "    %12s - %s (%s)\n", k, printable.String(x.Msg), printable.String(x.Group))
			} else {
				fmt.Fprintf(&b, "    %12s - %s\n", k, printable.String(x.Msg))
			}
			if class == classModified && r.showDiff && r.old != nil && r.cur.Get(k) != nil && r.old.Get(k) != nil {
				b.WriteString(minDiff(r.old.Get(k).Format(), x.Format(), reportWidth))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// record gives the counts to --metrics-file: a ruleset that suddenly
// shrinks or stops changing for weeks shows on a dashboard.
func (rep *Report) record(m *metrics.Registry) {
	changed := 0.0
	if rep.Changed {
		changed = 1
	}
	for _, c := range []struct {
		name, help string
		v          float64
	}{
		{"suricron_rules_total", "Rules in the installed ruleset.", float64(rep.RulesTotal)},
		{"suricron_rules_enabled", "Enabled rules in the installed ruleset.", float64(rep.Enabled)},
		{"suricron_rules_disabled", "Disabled rules in the installed ruleset.", float64(rep.Disabled)},
		{"suricron_rules_added", "Rules the last run added.", float64(rep.Added)},
		{"suricron_rules_removed", "Rules the last run removed.", float64(rep.Removed)},
		{"suricron_rules_modified", "Rules the last run modified.", float64(rep.Modified)},
		{"suricron_rules_changed", "1 when the last run changed the ruleset, else 0.", changed},
	} {
		m.Set(c.name, c.help, c.v)
	}
}
