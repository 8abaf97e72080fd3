package rules

import (
	"path"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/suricron/suricron/internal/rules/archive"
	"github.com/suricron/suricron/internal/rules/policy"
	"github.com/suricron/suricron/internal/rules/rule"
)

// fileFilter says which archive members are loaded as rules files: named
// *.rules, not an oinkmaster skipfile, not matching an --ignore glob.
type fileFilter struct {
	ignore []*regexp.Regexp
	skip   map[string]bool
}

func newFileFilter(ignore, skipFiles []string) (*fileFilter, error) {
	f := &fileFilter{skip: map[string]bool{}}
	for _, g := range ignore {
		re, err := policy.Glob(g)
		if err != nil {
			return nil, err
		}
		f.ignore = append(f.ignore, re)
	}
	for _, s := range skipFiles {
		f.skip[s] = true
	}
	return f, nil
}

func (f *fileFilter) loads(name string) bool {
	base := path.Base(name)
	if base == "classification.config" || !strings.HasSuffix(name, ".rules") || f.skip[base] {
		return false
	}
	for _, re := range f.ignore {
		if re.MatchString(base) {
			return false
		}
	}
	return true
}

// parseJob is the parse of one rules file. Whoever claims it first runs
// it: a background worker started while the archive is still being
// decompressed, or buildRuleset when it needs the result, so neither waits
// for a queued job the other could run.
type parseJob struct {
	file    archive.File
	claimed atomic.Bool
	done    chan struct{}
	rules   []*rule.Rule
	errs    []*rule.LineError
}

func newParseJob(f archive.File) *parseJob {
	return &parseJob{file: f, done: make(chan struct{})}
}

// run parses the file unless someone else already claimed it.
func (j *parseJob) run() {
	if !j.claimed.CompareAndSwap(false, true) {
		return
	}
	j.rules, j.errs = rule.ParseFile(j.file.Data, j.file.Name)
	close(j.done)
}

// wait returns once the file is parsed, parsing it itself if nobody has.
func (j *parseJob) wait() {
	j.run()
	<-j.done
}

// earlyParser parses rules files in the background as unpack produces
// them. It leaves one core to the decompressor (which is on the critical
// path); with one core it still overlaps the two.
type earlyParser struct {
	filter *fileFilter
	sem    chan struct{}
}

func newEarlyParser(filter *fileFilter) *earlyParser {
	return &earlyParser{filter: filter, sem: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))}
}

// start returns the job for f, already queued, or nil when f is not a
// rules file that will be loaded.
func (p *earlyParser) start(f archive.File) *parseJob {
	if p == nil || !p.filter.loads(f.Name) {
		return nil
	}
	j := newParseJob(f)
	go func() {
		p.sem <- struct{}{}
		defer func() { <-p.sem }()
		j.run()
	}()
	return j
}
