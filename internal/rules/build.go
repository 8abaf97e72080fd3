package rules

import (
	"bytes"
	"fmt"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/suricron/suricron/internal/rules/archive"
	"github.com/suricron/suricron/internal/rules/policy"
	"github.com/suricron/suricron/internal/rules/rule"
)

// sourceFiles is what one source contributed after unpacking.
type sourceFiles struct {
	name  string // redacted URL, for messages
	files []archive.File
}

// ruleset is the outcome of merging and filtering all sources.
type ruleset struct {
	set            *rule.Set
	loaded         int // every parsed rule, duplicates included (suricata-update's "Loaded")
	files          int // rules files parsed
	stats          policy.Stats
	output         []byte
	classification string
	warnings       []error
}

// keepMember selects the archive members worth holding in memory.
func keepMember(name string) bool {
	return strings.HasSuffix(name, ".rules") || path.Base(name) == "classification.config"
}

// buildRuleset parses the rules files of all sources in file-name order
// (suricata-update's order, which fixes the output order), applies the
// policy and renders the merged file. local supplies the installed rules
// for oinkmaster localsid.
func buildRuleset(srcs []sourceFiles, ignore []string, pol *policy.Policy, local *rule.Set) (*ruleset, error) {
	type entry struct {
		src  int
		file archive.File
	}
	var entries []entry
	rs := &ruleset{}
	ignoreRE := make([]interface{ MatchString(string) bool }, 0, len(ignore))
	for _, g := range ignore {
		re, err := policy.Glob(g)
		if err != nil {
			return nil, err
		}
		ignoreRE = append(ignoreRE, re)
	}
	skip := map[string]bool{}
	for _, s := range pol.SkipFiles {
		skip[s] = true
	}
	for i, s := range srcs {
		for _, f := range s.files {
			base := path.Base(f.Name)
			if base == "classification.config" {
				if rs.classification == "" {
					rs.classification = f.Data
				}
				continue
			}
			if !strings.HasSuffix(f.Name, ".rules") || skip[base] {
				continue
			}
			ignored := false
			for _, re := range ignoreRE {
				if re.MatchString(base) {
					ignored = true
					break
				}
			}
			if !ignored {
				entries = append(entries, entry{src: i, file: f})
			}
		}
	}
	sort.SliceStable(entries, func(a, b int) bool { return entries[a].file.Name < entries[b].file.Name })
	total := 0
	for _, e := range entries {
		total += strings.Count(e.file.Data, "\n")
	}
	size := 0
	for _, e := range entries {
		size += len(e.file.Data)
	}
	rs.set = rule.NewSet(total)
	// Files parse independently; parse them on all cores, then merge in
	// name order so the result does not depend on scheduling.
	type parsed struct {
		rules []*rule.Rule
		errs  []*rule.LineError
	}
	results := make([]parsed, len(entries))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(entries)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i].rules, results[i].errs = rule.ParseFile(entries[i].file.Data, entries[i].file.Name)
			}
		}()
	}
	for i := range entries {
		work <- i
	}
	close(work)
	wg.Wait()
	for i, res := range results {
		for _, le := range res.errs {
			rs.warnings = append(rs.warnings, fmt.Errorf("%s: %w", srcs[entries[i].src].name, le))
		}
		rs.files++
		rs.loaded += len(res.rules)
		for _, r := range res.rules {
			rs.set.Add(r)
		}
	}
	if local != nil {
		for _, sid := range pol.LocalSIDs {
			if old := local.Get(rule.Key{GID: 1, SID: sid}); old != nil {
				cp := *old
				if !rs.set.Replace(&cp) {
					rs.set.Add(&cp)
				}
			}
		}
	}
	st, errs := pol.Apply(rs.set)
	rs.stats = st
	rs.warnings = append(rs.warnings, errs...)
	var out bytes.Buffer
	out.Grow(size)
	for _, r := range rs.set.Rules() {
		out.WriteString(r.Format())
		out.WriteByte('\n')
	}
	rs.output = out.Bytes()
	return rs, nil
}

// countEnabled returns enabled and disabled rules of s.
func countEnabled(s *rule.Set) (enabled, disabled int) {
	if s == nil {
		return 0, 0
	}
	for _, r := range s.Rules() {
		if r.Enabled {
			enabled++
		} else {
			disabled++
		}
	}
	return enabled, disabled
}
