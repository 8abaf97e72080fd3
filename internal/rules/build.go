package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/suricron/suricron/internal/rules/archive"
	"github.com/suricron/suricron/internal/rules/policy"
	"github.com/suricron/suricron/internal/rules/rule"
)

// sourceFiles is what one source contributed after unpacking.
type sourceFiles struct {
	name  string // redacted URL, for messages
	files []archive.File
	// jobs[i], when set, is the parse of files[i] that unpack started.
	jobs []*parseJob
}

// ruleset is the outcome of merging and filtering all sources.
type ruleset struct {
	set            *rule.Set
	loaded         int // every parsed rule, duplicates included (suricata-update's "Loaded")
	files          int // rules files parsed
	stats          policy.Stats
	rules          []*rule.Rule // the merged file's rules, in order
	classification string
	warnings       []error
	// disabledBy counts the rules suricata.yaml disabled, per reason.
	disabledBy []DisabledBy
	// enabledCommented counts the rules -e enabled.
	enabledCommented int
	duplicates       int // rules seen again under the same gid:sid
	// unusedModify names the modify lines ("file line N") that changed no rule.
	unusedModify []string
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
	return buildRulesetWith(srcs, ignore, pol, local, nil)
}

// buildRulesetWith is buildRuleset with the suricata.yaml checks and -e
// (x may be nil).
func buildRulesetWith(srcs []sourceFiles, ignore []string, pol *policy.Policy, local *rule.Set, x *buildExtras) (*ruleset, error) {
	type entry struct {
		src int
		job *parseJob
	}
	var entries []entry
	rs := &ruleset{}
	classes := &classMerge{index: map[string]int{}}
	filter, err := newFileFilter(ignore, pol.SkipFiles)
	if err != nil {
		return nil, err
	}
	for i, s := range srcs {
		for k, f := range s.files {
			if path.Base(f.Name) == "classification.config" {
				classes.add(s.name, f.Data)
				continue
			}
			if !filter.loads(f.Name) {
				continue
			}
			var job *parseJob
			if k < len(s.jobs) {
				job = s.jobs[k]
			}
			if job == nil {
				job = newParseJob(f)
			}
			entries = append(entries, entry{src: i, job: job})
		}
	}
	rs.classification = classes.String()
	rs.warnings = append(rs.warnings, classes.warnings...)
	sort.SliceStable(entries, func(a, b int) bool { return entries[a].job.file.Name < entries[b].job.file.Name })
	total := 0
	for _, e := range entries {
		if c := e.job.file.Candidates; c >= 0 {
			total += c
		} else {
			total += strings.Count(e.job.file.Data, "\n")
		}
	}
	rs.set = rule.NewSet(total)
	// Files parse independently: helpers parse on the other cores whatever
	// nobody has claimed yet, while this goroutine waits for (or itself
	// parses) the files in name order and merges them, so the result does
	// not depend on scheduling.
	for w := 1; w < min(runtime.GOMAXPROCS(0), len(entries)); w++ {
		go func() {
			for _, e := range entries {
				e.job.run()
			}
		}()
	}
	for _, e := range entries {
		e.job.wait()
		for _, le := range e.job.errs {
			rs.warnings = append(rs.warnings, fmt.Errorf("%s: %w", srcs[e.src].name, le))
		}
		rs.files++
		rs.loaded += len(e.job.rules)
		for _, r := range e.job.rules {
			if old := rs.set.Get(r.Key()); old != nil {
				rs.duplicate(old, r)
			}
			rs.set.Add(r)
		}
	}
	// -e first: a localsid rule keeps its installed state, commented or not.
	x.enableCommented(rs.set)
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
	applied := pol
	if x != nil && x.conf != nil {
		p := *pol
		p.Disable = append(slices.Clip(pol.Disable), protoMatcher{x.conf})
		applied = &p
	}
	st, errs := applied.ApplyWith(rs.set, x.lateChecks())
	rs.disabledBy = x.disabledBy()
	if x != nil {
		rs.enabledCommented = x.enabledAll
	}
	rs.stats = st
	rs.warnings = append(rs.warnings, errs...)
	for _, mod := range pol.Modify {
		if mod.Changed == 0 {
			rs.unusedModify = append(rs.unusedModify, mod.Where)
		}
	}
	if rs.duplicates > maxDuplicateWarnings {
		rs.warnings = append(rs.warnings, fmt.Errorf("%d more duplicate rules (higher rev kept)", rs.duplicates-maxDuplicateWarnings))
	}
	rs.rules = rs.set.Rules()
	return rs, nil
}

// duplicate warns, as suricata-update does, that r's gid:sid was seen
// before; the higher rev won (a tie keeps the first).
func (rs *ruleset) duplicate(old, r *rule.Rule) {
	rs.duplicates++
	if rs.duplicates > maxDuplicateWarnings {
		// Overlapping sources repeat thousands of rules: a summary follows.
		return
	}
	kept := old
	if r.Rev > old.Rev {
		kept = r
	}
	rs.warnings = append(rs.warnings, fmt.Errorf("duplicate rule %s: rev %d in %s and rev %d in %s; keeping rev %d from %s",
		r.Key(), old.Rev, old.Group, r.Rev, r.Group, kept.Rev, kept.Group))
}

// maxDuplicateWarnings is how many duplicates are warned about one by one.
const maxDuplicateWarnings = 10

// writeChunk is how much formatted text writeTo gathers per Write.
const writeChunk = 256 << 10

// writeTo renders the merged file into w in writeChunk pieces. Building
// the whole file (18 MB for ET Open) in one buffer first accounted for
// about 4,700 of the 14,700 page faults of a cold run; streaming costs a
// second formatting pass only when there is an old file to compare with.
func (rs *ruleset) writeTo(w io.Writer) error {
	buf := make([]byte, 0, writeChunk+64<<10)
	for _, r := range rs.rules {
		buf = r.AppendFormat(buf)
		buf = append(buf, '\n')
		if len(buf) >= writeChunk {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		_, err := w.Write(buf)
		return err
	}
	return nil
}

// sameAs reports whether the merged file would be byte-identical to old.
func (rs *ruleset) sameAs(old []byte) bool {
	c := &compareWriter{old: old}
	if err := rs.writeTo(c); err != nil {
		return false
	}
	return c.off == len(old)
}

// compareWriter checks what is written against old, failing at the first
// difference so that a changed ruleset stops the comparison early.
type compareWriter struct {
	old []byte
	off int
}

var errDiffers = errors.New("differs")

func (c *compareWriter) Write(p []byte) (int, error) {
	if len(p) > len(c.old)-c.off || !bytes.Equal(p, c.old[c.off:c.off+len(p)]) {
		return 0, errDiffers
	}
	c.off += len(p)
	return len(p), nil
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

// classMerge merges the classification.config of every source, in source
// order, as suricata-update does: one line per short name, in the order
// names first appear; when two sources define a name, the higher priority
// number wins (a tie keeps the first) and a real conflict is warned about.
type classMerge struct {
	lines    []string
	prio     []int
	index    map[string]int
	warnings []error
}

func (m *classMerge) add(src, data string) {
	for no, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		_, def, ok := strings.Cut(line, ":")
		fields := strings.Split(strings.TrimSpace(def), ",")
		prio, err := 0, error(nil)
		if ok && len(fields) == 3 {
			prio, err = strconv.Atoi(strings.TrimSpace(fields[2]))
		}
		if !ok || len(fields) != 3 || err != nil || !strings.HasPrefix(line, "config classification") {
			m.warnings = append(m.warnings, fmt.Errorf("%s: classification.config line %d: not \"config classification: name,description,priority\"; skipped", src, no+1))
			continue
		}
		key := strings.TrimSpace(fields[0])
		i, seen := m.index[key]
		if !seen {
			m.index[key] = len(m.lines)
			m.lines = append(m.lines, line)
			m.prio = append(m.prio, prio)
			continue
		}
		if prio > m.prio[i] {
			m.warnings = append(m.warnings, fmt.Errorf("%s: classification %q defined again with priority %d (was %d); keeping %d", src, key, prio, m.prio[i], prio))
			m.lines[i], m.prio[i] = line, prio
		} else if prio < m.prio[i] {
			m.warnings = append(m.warnings, fmt.Errorf("%s: classification %q defined again with priority %d; keeping %d", src, key, prio, m.prio[i]))
		}
	}
}

// String is the merged file; "" when no source had one.
func (m *classMerge) String() string {
	if len(m.lines) == 0 {
		return ""
	}
	return strings.Join(m.lines, "\n") + "\n"
}
