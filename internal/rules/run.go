package rules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/checkpoint"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/metrics"
	"github.com/suricron/suricron/internal/printable"
	"github.com/suricron/suricron/internal/redact"
	"github.com/suricron/suricron/internal/rules/archive"
	"github.com/suricron/suricron/internal/rules/fetch"
	"github.com/suricron/suricron/internal/rules/policy"
	"github.com/suricron/suricron/internal/rules/rule"
	"github.com/suricron/suricron/internal/rules/suricataconf"
)

// Default source templates. %version% is the Suricata version,
// %oinkcode% the ET Pro code read from --oinkcode-file.
const (
	ETOpenURL = "https://rules.emergingthreats.net/open/suricata-%version%/emerging.rules.tar.gz"
	ETProURL  = "https://rules.emergingthreatspro.com/%oinkcode%/suricata-%version%/etpro.rules.tar.gz"
)

// Config is one run's settings (flags, config file and env merged by cmd).
type Config struct {
	URLs            []string
	Oinkcode        string // the secret itself, already read from its file
	SuricataVersion string
	OinkmasterConfs []string
	EnableConf      string
	DisableConf     string
	DropConf        string
	ModifyConf      string
	Ignore          []string // base-name globs; nil means "*deleted.rules"
	Output          string
	StateDir        string
	MinRules        int
	MaxShrink       float64 // percent
	TestCommand     string
	ReloadCommand   string
	ReportFormat    string // text or json
	ReportLimit     int
	DryRun          bool
	Force           bool
	Quiet           bool
	Offline         bool
	MaxDownload     int64
	Limits          archive.Limits
	UserAgent       string
	// Keep is how many replaced rulesets stay available to rollback.
	Keep int
	// SourceHeaders maps a source URL, as given in URLs, to the header
	// lines ("Name: value") read from its header file; the values are
	// secrets.
	SourceHeaders map[string]string
	// OutputsConfig: suricata.yaml checks, -e and the files beside the rules.
	OutputsConfig
	// Local are --local rules files, directories (their *.rules) or
	// globs, merged after the sources.
	Local []string
	// ReportDiff adds a minimised old/new diff of each modified rule to
	// the text report (oinkmaster -m).
	ReportDiff bool
	// SuricataRulesDir holds Suricata's distribution rules (DistRuleFiles);
	// "" loads none.
	SuricataRulesDir string
}

// Deps are the run's connections to the outside world.
type Deps struct {
	HTTP   *http.Client
	Now    func() time.Time
	Stdout io.Writer
	Logger *slog.Logger
	// Shell runs a test or reload command line; nil means /bin/sh -c.
	Shell func(ctx context.Context, cmdline string, env []string) ([]byte, error)
	// DetectVersion returns the installed Suricata's version, "" if unknown.
	DetectVersion func(ctx context.Context) string
	// Metrics receives the rule counts for --metrics-file; nil: none.
	Metrics *metrics.Registry
	// Rename installs the tested temp file; nil means os.Rename. Tests
	// inject a crash right after it.
	Rename func(oldpath, newpath string) error
}

// defaults fills the Deps a caller left nil; Run and Rollback call it
// first.
func (d *Deps) defaults() {
	if d.Logger == nil {
		d.Logger = deps0Logger()
	}
	if d.Now == nil {
		d.Now = timeNow
	}
	if d.Stdout == nil {
		d.Stdout = io.Discard
	}
	if d.Shell == nil {
		d.Shell = shell
	}
	if d.HTTP == nil {
		d.HTTP = &http.Client{Timeout: 2 * time.Minute}
	}
}

// DefaultSuricataVersion is assumed when no suricata binary is found, as
// suricata-update 1.3 does.
const DefaultSuricataVersion = "6.0.0"

const stateVersion = 1

type state struct {
	Version     int           `json:"version"`
	Fingerprint string        `json:"fingerprint"`
	Sources     []sourceState `json:"sources"`
	Output      outputState   `json:"output"`
	RulesTotal  int           `json:"rules_total"`
	Enabled     int           `json:"enabled"`
	Disabled    int           `json:"disabled"`
	// ReloadPending is set when the rules were installed but the reload
	// failed, so the next run reloads even if nothing else changed.
	ReloadPending bool `json:"reload_pending,omitempty"`
}

type sourceState struct {
	Key string `json:"key"`
	MD5 string `json:"md5"`
}

type outputState struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	MtimeNS int64  `json:"mtime_ns"`
}

type run struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	// secrets is the one scrubber (oinkcode, header tokens, URL
	// passwords); redact is its String method.
	secrets *redact.Secrets
	redact  func(string) string
	fp      string
	pol     *policy.Policy
	urls    []string // configured (placeholder) form
	// suriconf is the parsed --suricata-conf, nil without one.
	suriconf *suricataconf.Config
	// thresholdIn is the --threshold-in template's text.
	thresholdIn string
	// headers per configured URL, from SourceHeaders.
	headers map[string]map[string]string
	// local and dist are the --local and distribution rules files.
	local, dist []archive.File
	// urlSecrets maps an index source's URL (with placeholders) to its
	// secret placeholders' values, for actual.
	urlSecrets map[string]map[string]string
	// noChecksum are index sources without a .md5 sidecar (URL template).
	noChecksum map[string]bool
}

// Run performs one update. Errors carry cli exit codes: 2 for bad
// configuration, 65 for a rejected download or guard, 75 when the lock is
// busy or a source is unreachable, 1 for a failed test or reload.
func Run(ctx context.Context, cfg Config, deps Deps) (err error) {
	deps.defaults()
	r := &run{cfg: cfg, deps: deps, log: deps.Logger}
	r.scrubber()
	defer func() {
		// Errors reach stderr and cron mail: no secret, and no raw control
		// or bidi character from a rule or a command's output.
		err = cleanError(r.secrets.Error(err))
	}()
	if err := r.configure(ctx); err != nil {
		return err
	}
	if !cfg.DryRun {
		unlock, err := r.lockState()
		if err != nil {
			return err
		}
		defer unlock()
	}
	return r.update(ctx)
}

func (r *run) cacheDir() string { return filepath.Join(r.cfg.StateDir, "rules-update.cache") }
func (r *run) statePath() string {
	return filepath.Join(r.cfg.StateDir, "rules-update.state.json")
}

// configure reads and parses every config file and resolves the sources,
// and computes the fingerprint that lets an unchanged run stop early.
func (r *run) configure(ctx context.Context) error {
	c := r.cfg
	if c.Output == "" {
		return exitcode.Usagef("--output is empty")
	}
	if c.ReportFormat != "" && c.ReportFormat != "text" && c.ReportFormat != "json" {
		return exitcode.Usagef("--report-format %q: want text or json", c.ReportFormat)
	}
	if c.MaxShrink < 0 || c.MaxShrink > 100 {
		return exitcode.Usagef("--max-shrink %v: want 0..100", c.MaxShrink)
	}
	if c.Ignore == nil {
		r.cfg.Ignore = []string{"*deleted.rules"}
	}
	if r.cfg.Limits == (archive.Limits{}) {
		r.cfg.Limits = archive.DefaultLimits()
	}
	if r.cfg.MaxDownload <= 0 {
		r.cfg.MaxDownload = 512 << 20
	}
	fp := sha256.New()
	fmt.Fprintf(fp, "v%d\noutput=%s\nignore=%q\n", stateVersion, c.Output, r.cfg.Ignore)
	pol := &policy.Policy{}
	readConf := func(kind, p string) (string, error) {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", exitcode.Usagef("%s: %w", kind, err)
		}
		fmt.Fprintf(fp, "%s %s %d\n", kind, p, len(b))
		fp.Write(b)
		return string(b), nil
	}
	for _, p := range c.OinkmasterConfs {
		data, err := readConf("oinkmaster.conf", p)
		if err != nil {
			return err
		}
		op, err := policy.ParseOinkmasterFile(p, data, func(inc string) (string, error) { return readConf("oinkmaster.conf include", inc) })
		if err != nil {
			return exitcode.Usage(err)
		}
		pol.Disable = append(pol.Disable, op.Disable...)
		pol.Enable = append(pol.Enable, op.Enable...)
		pol.Modify = append(pol.Modify, op.Modify...)
		pol.SkipFiles = append(pol.SkipFiles, op.SkipFiles...)
		pol.LocalSIDs = append(pol.LocalSIDs, op.LocalSIDs...)
		pol.URLs = append(pol.URLs, op.URLs...)
	}
	for _, m := range []struct {
		kind, path string
		dst        *[]policy.Matcher
	}{{"enable.conf", c.EnableConf, &pol.Enable}, {"disable.conf", c.DisableConf, &pol.Disable}, {"drop.conf", c.DropConf, &pol.Drop}} {
		if m.path == "" {
			continue
		}
		data, err := readConf(m.kind, m.path)
		if err != nil {
			return err
		}
		ms, err := policy.ParseMatchConf(m.path, data)
		if err != nil {
			return exitcode.Usage(err)
		}
		*m.dst = append(*m.dst, ms...)
	}
	if c.ModifyConf != "" {
		data, err := readConf("modify.conf", c.ModifyConf)
		if err != nil {
			return err
		}
		mods, err := policy.ParseModifyConf(c.ModifyConf, data)
		if err != nil {
			return exitcode.Usage(err)
		}
		pol.Modify = append(pol.Modify, mods...)
	}
	if err := r.configureOutputs(fp); err != nil {
		return err
	}
	r.pol = pol
	var err error
	if r.local, err = localFiles(c.Local, r.cfg.Limits, fp); err != nil {
		return err
	}
	if c.SuricataRulesDir != "" {
		if r.dist, err = distFiles(c.SuricataRulesDir, r.cfg.Limits, fp); err != nil {
			return err
		}
	}
	urls := c.URLs
	if len(urls) == 0 {
		urls = pol.URLs
	}
	fromIndex, err := r.indexSources()
	if err != nil {
		return err
	}
	urls = append(slices.Clip(urls), fromIndex...)
	if len(urls) == 0 {
		if c.Oinkcode != "" {
			urls = []string{ETProURL}
		} else {
			urls = []string{ETOpenURL}
		}
	}
	for _, u := range urls {
		if strings.Contains(u, "%oinkcode%") && c.Oinkcode == "" {
			return exitcode.Usagef("source %s needs --oinkcode-file", u)
		}
		if (strings.Contains(u, "%version%") || strings.Contains(u, "%(__version__)s")) && r.cfg.SuricataVersion == "" {
			// Say which version the URL was built for and why: a wrong
			// guess silently installs rules for another engine.
			if r.deps.DetectVersion != nil {
				r.cfg.SuricataVersion = r.deps.DetectVersion(ctx)
			}
			if r.cfg.SuricataVersion != "" {
				r.log.Info("source URL built for the installed Suricata", "version", r.cfg.SuricataVersion, "from", "suricata -V")
			} else {
				r.cfg.SuricataVersion = DefaultSuricataVersion
				r.log.Warn("no --suricata-version and no suricata binary on PATH answered -V: assuming Suricata "+
					DefaultSuricataVersion+" (as suricata-update does) for the source URL", "version", DefaultSuricataVersion)
			}
		}
		fmt.Fprintf(fp, "url=%s\n", r.configured(u))
		for _, v := range fetch.QuerySecrets(u) {
			r.secrets.Add(v, "[redacted]")
		}
	}
	r.urls = urls
	if err := r.sourceHeaders(); err != nil {
		return err
	}
	for _, u := range urls {
		for name := range r.headers[r.configured(u)] {
			// A changed token must not force a rebuild, a new header must.
			fmt.Fprintf(fp, "header %s %s\n", r.configured(u), name)
		}
	}
	r.fp = hex.EncodeToString(fp.Sum(nil))
	return nil
}

var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// sourceHeaders parses SourceHeaders, registers every value as a secret
// and keys the headers by configured URL for the fetcher.
func (r *run) sourceHeaders() error {
	r.headers = map[string]map[string]string{}
	for src, text := range r.cfg.SourceHeaders {
		found := false
		for _, u := range r.urls {
			if u == src || r.configured(u) == src {
				found = true
				src = r.configured(u)
			}
		}
		if !found {
			return exitcode.Usagef("header file for %s: no such source (give the URL exactly as in --url)", r.redact(src))
		}
		h := map[string]string{}
		for i, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			name, val, ok := strings.Cut(line, ":")
			name, val = strings.TrimSpace(name), strings.TrimSpace(val)
			if !ok || !headerName.MatchString(name) || val == "" || strings.ContainsAny(val, "\r\x00") {
				// The line itself is a secret: name only its number.
				return exitcode.Usagef("header file for %s line %d: want \"Name: value\"", r.redact(src), i+1)
			}
			r.secrets.Add(val, "[redacted]")
			if _, cred, ok := strings.Cut(val, " "); ok {
				r.secrets.Add(strings.TrimSpace(cred), "[redacted]")
			}
			h[name] = val
		}
		r.headers[src] = h
	}
	return nil
}

// configured is the URL with the version filled in but the oinkcode
// placeholder kept: safe to log, store and hash.
func (r *run) configured(u string) string {
	u = strings.ReplaceAll(u, "%(__version__)s", r.cfg.SuricataVersion)
	return strings.ReplaceAll(u, "%version%", r.cfg.SuricataVersion)
}

func (r *run) actual(u string) string {
	a := strings.ReplaceAll(r.configured(u), "%oinkcode%", r.cfg.Oinkcode)
	for ph, v := range r.urlSecrets[u] {
		a = strings.ReplaceAll(a, ph, v)
	}
	return a
}

func (r *run) readState() *state {
	b, err := os.ReadFile(r.statePath())
	if err != nil {
		return nil
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil || s.Version != stateVersion {
		// The state is only an optimisation: losing it costs a rebuild.
		r.log.Warn("ignoring unreadable state; doing a full update", "file", r.statePath(), "err", err)
		return nil
	}
	return &s
}

func statOutput(p string) outputState {
	fi, err := os.Stat(p)
	if err != nil {
		return outputState{Path: p}
	}
	return outputState{Path: p, Size: fi.Size(), MtimeNS: fi.ModTime().UnixNano()}
}

func (r *run) update(ctx context.Context) error {
	c := r.cfg
	fetcher := &fetch.Fetcher{
		Client: r.deps.HTTP, CacheDir: r.cacheDir(), UserAgent: c.UserAgent, MaxBytes: c.MaxDownload,
		Offline: c.Offline, Logger: r.log, Now: r.deps.Now, Redact: r.redact, Headers: r.headers,
		NoChecksum: r.noChecksumURLs(),
	}
	prev := r.readState()
	results := make([]*fetch.Result, len(r.urls))
	allSame := true
	for i, u := range r.urls {
		res, err := fetcher.Fetch(ctx, r.configured(u), r.actual(u))
		if err != nil {
			return classifyFetch(err)
		}
		results[i] = res
		if !res.NotModified {
			allSame = false
		}
		r.log.Debug("source checked", "url", r.redact(r.configured(u)), "not_modified", res.NotModified, "md5", res.Meta.MD5)
	}
	cur := make([]sourceState, len(results))
	for i, res := range results {
		cur[i] = sourceState{Key: res.Key, MD5: res.Meta.MD5}
	}
	if allSame && !c.Force && prev != nil && prev.Fingerprint == r.fp && slices.Equal(prev.Sources, cur) &&
		prev.Output == statOutput(c.Output) {
		return r.noChange(ctx, prev)
	}

	filter, err := newFileFilter(c.Ignore, r.pol.SkipFiles)
	if err != nil {
		return exitcode.Usage(err)
	}
	early := newEarlyParser(filter)
	srcs := make([]sourceFiles, len(results))
	bodies := make([][]byte, len(results))
	for i, res := range results {
		body := res.Body
		if res.NotModified {
			b, _, err := fetcher.LoadCached(res.Key)
			if err != nil {
				return classifyFetch(err)
			}
			body = b
		}
		bodies[i] = body
		name := r.redact(r.configured(r.urls[i]))
		src, err := r.unpack(name, body, early)
		if err != nil {
			return err
		}
		srcs[i] = src
	}
	srcs = append(srcs, r.extraSources()...)

	oldBytes, oldSet, err := readInstalled(c.Output)
	if err != nil {
		return err
	}
	rs, err := buildRulesetWith(srcs, c.Ignore, r.pol, oldSet, r.extras())
	if err != nil {
		return exitcode.Usage(err)
	}
	for _, w := range rs.warnings {
		r.log.Warn("rule skipped or not modified", "err", cleanText(r.redact(w.Error())))
	}
	for _, where := range rs.unusedModify {
		r.log.Warn("modify line changed no rule: its matcher matched nothing or its pattern never applied", "where", printable.String(where))
	}
	rep := diffSets(oldSet, rs.set, rs.stats, c.Output)
	rep.Loaded = rs.loaded
	r.reportOutputs(rep, rs)
	rep.DryRun = c.DryRun
	rep.showDiff = c.ReportDiff
	rep.Changed = oldBytes == nil || !rs.sameAs(oldBytes)
	r.log.Info("rules built", "loaded", rs.loaded, "total", rep.RulesTotal, "enabled", rep.Enabled,
		"disabled_by_policy", rs.stats.Disabled, "flowbit_enabled", rs.stats.Flowbits,
		"added", rep.Added, "removed", rep.Removed, "modified", rep.Modified)

	if err := r.guard(rep, oldSet, rs.set); err != nil {
		return err
	}
	if c.DryRun {
		return r.print(rep)
	}
	reloadPending := prev != nil && prev.ReloadPending
	// The files rules need go in first: the test command loads them.
	deps, err := r.collectDeps(rs, bodies)
	if err != nil {
		return err
	}
	if depsChanged, err := r.installDeps(deps); err != nil {
		return err
	} else if depsChanged && !rep.Changed {
		reloadPending = true
	}
	if rep.Changed || c.Force {
		tmp, err := r.prepare(ctx, rs.writeTo)
		if err != nil {
			return err
		}
		// Durably "reload pending" before the rename: a crash after it
		// must not leave Suricata on the old rules while the next runs
		// see an up-to-date file and say "no change". The empty
		// fingerprint also makes the next run rebuild instead of taking
		// the fast path.
		pending := &state{Version: stateVersion, ReloadPending: true}
		if prev != nil {
			*pending = *prev
			pending.Fingerprint = ""
			pending.ReloadPending = true
		}
		if err := r.writeState(pending); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("record pending reload, %s kept unchanged: %w", c.Output, err)
		}
		r.saveHistory()
		if err := r.commit(tmp); err != nil {
			return err
		}
		reloadPending = true
	}
	installed := func(err error) error {
		if !reloadPending {
			return err
		}
		return fmt.Errorf("rules installed in %s, reload pending (the next run does it): %w", c.Output, err)
	}
	if rs.classification != "" {
		if err := writeIfChanged(filepath.Join(filepath.Dir(c.Output), "classification.config"), []byte(rs.classification)); err != nil {
			return installed(err)
		}
	}
	if outChanged, err := r.writeOutputs(rs); err != nil {
		return installed(err)
	} else if outChanged {
		reloadPending = true
	}
	for i, res := range results {
		if !res.NotModified || fetcher.CachedMeta(res.Key) == nil {
			// The cache only saves a download; failing to write it must
			// not stop the reload of rules already installed.
			if err := fetcher.Store(res.Key, bodies[i], res.Meta); err != nil {
				r.log.Warn("cannot cache the download; the next run fetches it again", "err", r.redact(err.Error()))
			}
		}
	}
	st := &state{Version: stateVersion, Fingerprint: r.fp, Sources: cur, Output: statOutput(c.Output),
		RulesTotal: rep.RulesTotal, Enabled: rep.Enabled, Disabled: rep.Disabled, ReloadPending: reloadPending}
	if err := r.writeState(st); err != nil {
		return installed(err)
	}
	if reloadPending {
		if err := r.reload(ctx, st); err != nil {
			return err
		}
	}
	return r.print(rep)
}

// noChange is the fast path: nothing upstream, in the config or in the
// installed file changed since the last good run.
func (r *run) noChange(ctx context.Context, prev *state) error {
	if prev.ReloadPending && !r.cfg.DryRun {
		if err := r.reload(ctx, prev); err != nil {
			return err
		}
	}
	r.log.Info("no change", "output", r.cfg.Output)
	rep := &Report{RulesTotal: prev.RulesTotal, Enabled: prev.Enabled, Disabled: prev.Disabled,
		Output: r.cfg.Output, DryRun: r.cfg.DryRun, SIDs: SIDLists{Added: []string{}, Removed: []string{},
			Modified: []string{}, Enabled: []string{}, Disabled: []string{}, Dropped: []string{}}}
	return r.print(rep)
}

func (r *run) print(rep *Report) error {
	rep.record(r.deps.Metrics)
	if r.cfg.Quiet {
		return nil
	}
	if r.cfg.ReportFormat == "json" {
		return rep.writeJSON(r.deps.Stdout)
	}
	return rep.writeText(r.deps.Stdout, r.cfg.ReportLimit)
}

// unpack reads one source's tarball. Rules files that will be loaded start
// parsing (early, may be nil) as soon as they are decompressed; files that
// will not be loaded (e.g. emerging-deleted.rules) are not kept.
func (r *run) unpack(name string, body []byte, early *earlyParser) (sourceFiles, error) {
	src := sourceFiles{name: name}
	n := 0 // .rules members, loaded or not
	mode := func(member string) archive.Mode {
		if !strings.HasSuffix(member, ".rules") {
			if keepMember(member) {
				return archive.Whole
			}
			return archive.Skip
		}
		n++
		if early == nil || early.filter.loads(member) {
			// Only the lines the parser can use stay in memory.
			return archive.RuleLines
		}
		return archive.Skip
	}
	each := func(_ int, f archive.File) {
		src.jobs = append(src.jobs, early.start(f))
	}
	a, err := archive.ReadEachMode(bytes.NewReader(body), r.cfg.Limits, mode, each)
	if err != nil {
		// A single .rules file served as is (e.g. a local ruleset URL).
		if strings.HasSuffix(name, ".rules") && !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) && !looksLikeHTML(body) {
			return sourceFiles{name: name, files: []archive.File{{Name: filepath.Base(name), Data: string(body)}}}, nil
		}
		return src, exitcode.Data(fmt.Errorf("source %s: %w", name, err))
	}
	if n == 0 {
		return src, exitcode.Data(fmt.Errorf("source %s: %w: no .rules files among %d entries", name, archive.ErrRejected, a.Entries))
	}
	src.files = a.Files
	return src, nil
}

func looksLikeHTML(b []byte) bool {
	head := strings.ToLower(strings.TrimSpace(string(b[:min(len(b), 512)])))
	return strings.HasPrefix(head, "<!doctype") || strings.HasPrefix(head, "<html") || strings.Contains(head, "<body")
}

// guard refuses rulesets that are too small or shrank too much; --force
// overrides (and says so).
func (r *run) guard(rep *Report, old, cur *rule.Set) error {
	var problems []string
	if back := wentBack(old, cur); len(back) > 0 {
		// An old tarball (a stale mirror, a cache restored from backup,
		// the 2017 ET tarball over today's) would silently undo years of
		// fixes: suricata-update installs it as "modified".
		sample := make([]string, 0, 10)
		for _, b := range back[:min(len(back), cap(sample))] {
			sample = append(sample, b.String())
		}
		more := ""
		if len(back) > len(sample) {
			more = fmt.Sprintf(" and %d more", len(back)-len(sample))
		}
		r.log.Warn("rules went back in revision against the installed file", "count", len(back),
			"rules", printable.String(strings.Join(sample, ", ")+more))
		first := strings.Join(sample[:min(3, len(sample))], ", ")
		if len(back) > 3 {
			first += ", ..."
		}
		problems = append(problems, fmt.Sprintf("the source went back in time: %d rules have a lower rev than installed (%s)",
			len(back), printable.String(first)))
	}
	if rep.Enabled < r.cfg.MinRules {
		problems = append(problems, fmt.Sprintf("only %d enabled rules, fewer than --min-rules %d", rep.Enabled, r.cfg.MinRules))
	}
	if oldEnabled, _ := countEnabled(old); oldEnabled > 0 {
		shrink := 100 * float64(oldEnabled-rep.Enabled) / float64(oldEnabled)
		if shrink > r.cfg.MaxShrink {
			problems = append(problems, fmt.Sprintf("enabled rules would shrink by %.1f%% (%d -> %d), more than --max-shrink %g%%",
				shrink, oldEnabled, rep.Enabled, r.cfg.MaxShrink))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	if r.cfg.Force {
		r.log.Warn("guard overridden by --force", "problems", strings.Join(problems, "; "))
		return nil
	}
	return exitcode.Data(fmt.Errorf("ruleset refused, %s (use --force to install anyway)", strings.Join(problems, "; ")))
}

// revBack is a rule whose rev is lower than the installed one's.
type revBack struct {
	key      rule.Key
	old, new int
	group    string
}

func (b revBack) String() string {
	return fmt.Sprintf("%s rev %d -> %d (%s)", b.key, b.old, b.new, b.group)
}

// wentBack lists, in sid order, the rules of cur whose rev is lower than
// in old.
func wentBack(old, cur *rule.Set) []revBack {
	if old == nil {
		return nil
	}
	var out []revBack
	for _, n := range cur.Rules() {
		if o := old.Get(n.Key()); o != nil && n.Rev < o.Rev {
			out = append(out, revBack{key: n.Key(), old: o.Rev, new: n.Rev, group: path.Base(n.Group)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].key.GID != out[j].key.GID {
			return out[i].key.GID < out[j].key.GID
		}
		return out[i].key.SID < out[j].key.SID
	})
	return out
}

// readInstalled reads and parses the currently installed rules file.
func readInstalled(p string) ([]byte, *rule.Set, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("read installed rules: %w", err)
	}
	return parseInstalled(b)
}

// parseInstalled parses an installed (or kept) merged rules file.
func parseInstalled(b []byte) ([]byte, *rule.Set, error) {
	rules, _ := rule.ParseFile(string(b), "")
	s := rule.NewSet(len(rules))
	for _, x := range rules {
		s.Add(x)
	}
	return b, s, nil
}

func deps0Logger() *slog.Logger { return slog.New(slog.DiscardHandler) }

var timeNow = time.Now

func (r *run) writeState(st *state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(r.statePath(), append(b, '\n'), 0o600)
}

func writeIfChanged(p string, data []byte) error {
	if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return atomicfile.Write(p, data, 0o644)
}

func classifyFetch(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, fetch.ErrBadData), errors.Is(err, fetch.ErrUnavailable):
		return err // cli.ExitCode: 130, 65, 75
	case errors.Is(err, context.DeadlineExceeded):
		return exitcode.TempFail(err)
	}
	return err
}

// cleanText is printable.String applied to each line of s, so that a
// multi-line message (a test command's output) keeps its line breaks.
func cleanText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = printable.String(l)
	}
	return strings.Join(lines, "\n")
}

// cleanError presents err's text through cleanText while keeping the
// chain (and its exit code) for errors.As.
func cleanError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if c := cleanText(msg); c != msg {
		return &cleanedError{msg: c, err: err}
	}
	return err
}

type cleanedError struct {
	msg string
	err error
}

func (e *cleanedError) Error() string { return e.msg }
func (e *cleanedError) Unwrap() error { return e.err }

// lockState makes sure the state dir is private (2 when others may write
// it), takes the run lock (75 when another run holds it) and removes
// leftovers of a killed run; update and rollback both start here.
func (r *run) lockState() (unlock func() error, err error) {
	if err := atomicfile.PrivateDir(r.cfg.StateDir); err != nil {
		return nil, err // atomicfile.ErrUnsafeDir: cli.ExitCode makes it 2
	}
	lock, err := checkpoint.TryLock(filepath.Join(r.cfg.StateDir, "rules-update.lock"))
	if err != nil {
		if errors.Is(err, checkpoint.ErrLocked) {
			return nil, fmt.Errorf("another rules-update is running: %w", err)
		}
		return nil, err
	}
	r.removeLeftovers()
	return lock.Unlock, nil
}
