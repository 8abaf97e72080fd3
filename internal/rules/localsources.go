package rules

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/printable"
	"github.com/suricron/suricron/internal/rules/source"
	"github.com/suricron/suricron/internal/secretfile"
)

// SourceOptions are the flags of the source-index subcommands.
type SourceOptions struct {
	// IndexURL is where update-sources downloads the index from.
	IndexURL string
	// Enabled makes list-sources list the enabled sources only.
	Enabled bool
	// SecretFiles are enable-source's PARAM=FILE secret parameters.
	SecretFiles []string
	// HeaderFile holds enable-source's HTTP header lines for the source.
	HeaderFile string
}

// DefaultSource is enabled with the first source from the index unless
// that source replaces it, as suricata-update does.
const DefaultSource = "et/open"

func (r *run) indexPath() string { return filepath.Join(r.cfg.StateDir, "rules-update.index.yaml") }
func (r *run) storePath() string { return filepath.Join(r.cfg.StateDir, "rules-update.sources.json") }

// sourceErr gives the source package's errors their exit codes: a hostile
// or broken index or store is bad data (65), an operator mistake 2.
func sourceErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, source.ErrUsage):
		return exitcode.Usage(err)
	case errors.Is(err, source.ErrBadIndex):
		return exitcode.Data(err)
	}
	return err
}

// Sources runs one source-index subcommand: update-sources, list-sources,
// enable-source, disable-source, remove-source or check-versions.
func Sources(ctx context.Context, cfg Config, deps Deps, action string, args []string, o SourceOptions) (err error) {
	deps.defaults()
	r := &run{cfg: cfg, deps: deps, log: deps.Logger}
	r.scrubber()
	defer func() { err = cleanError(r.secrets.Error(err)) }()
	want := map[string]int{"update-sources": 0, "list-sources": 0, "check-versions": 0,
		"enable-source": -1, "disable-source": 1, "remove-source": 1}
	n, ok := want[action]
	switch {
	case !ok:
		return exitcode.Usagef("unknown action %q", action)
	case n >= 0 && len(args) != n:
		return exitcode.Usagef("%s takes %d argument(s), got %d", action, n, len(args))
	case n < 0 && len(args) < 1:
		return exitcode.Usagef("%s NAME [param=value ...]", action)
	}
	switch action {
	case "update-sources":
		return r.updateSources(ctx, o.IndexURL)
	case "list-sources":
		return r.listSources(o.Enabled)
	case "check-versions":
		return r.checkVersions(ctx)
	}
	unlock, err := r.lockState()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := source.LoadStore(r.storePath())
	if err != nil {
		return sourceErr(err)
	}
	name := args[0]
	switch action {
	case "enable-source":
		err = r.enableSource(ctx, st, name, args[1:], o)
	case "disable-source":
		e := st.Get(name)
		if e == nil {
			return exitcode.Usagef("disable-source %s: no such enabled source (see list-sources --enabled)", printable.String(name))
		}
		e.Disabled = true
		r.log.Info("source disabled; its parameters are kept for enable-source", "source", name)
	case "remove-source":
		if !st.Remove(name) {
			return exitcode.Usagef("remove-source %s: no such source (see list-sources --enabled)", printable.String(name))
		}
		r.log.Info("source removed", "source", name)
	}
	if err != nil {
		return err
	}
	return st.Save(r.storePath())
}

// loadIndex reads the index update-sources stored.
func (r *run) loadIndex() (*source.Index, error) {
	b, err := os.ReadFile(r.indexPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, exitcode.Usagef("no source index in %s: run 'rules-update update-sources' first", r.cfg.StateDir)
	}
	if err != nil {
		return nil, err
	}
	ix, err := source.ParseIndex(r.indexPath(), b)
	return ix, sourceErr(err)
}

func (r *run) updateSources(ctx context.Context, indexURL string) error {
	if indexURL == "" {
		indexURL = source.DefaultIndexURL
	}
	shown := r.redact(indexURL)
	data, err := r.download(ctx, indexURL)
	if err != nil {
		return fmt.Errorf("index %s: %w", shown, err)
	}
	ix, err := source.ParseIndex(shown, data)
	if err != nil {
		// The index stored before stays as it was.
		return sourceErr(err)
	}
	if r.cfg.DryRun {
		r.log.Info("index checked, not stored (--dry-run)", "url", shown, "sources", len(ix.Sources))
		return nil
	}
	unlock, err := r.lockState()
	if err != nil {
		return err
	}
	defer unlock()
	if err := atomicfile.Write(r.indexPath(), data, 0o600); err != nil {
		return err
	}
	r.log.Info("source index updated", "url", shown, "sources", len(ix.Sources))
	return nil
}

// download gets an index over http(s) or from a file:// URL, capped.
func (r *run) download(ctx context.Context, u string) ([]byte, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return nil, exitcode.Usagef("bad URL: %v", err)
	}
	var body io.ReadCloser
	switch pu.Scheme {
	case "file":
		f, err := os.Open(pu.Path)
		if err != nil {
			return nil, exitcode.Usage(err)
		}
		body = f
	case "http", "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, exitcode.Usage(err)
		}
		req.Header.Set("User-Agent", r.cfg.UserAgent)
		resp, err := r.deps.HTTP.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return nil, exitcode.TempFail(err)
		}
		switch {
		case resp.StatusCode == http.StatusOK:
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			resp.Body.Close()
			return nil, exitcode.TempFail(fmt.Errorf("HTTP %s", resp.Status))
		default:
			resp.Body.Close()
			return nil, exitcode.Data(fmt.Errorf("HTTP %s", resp.Status))
		}
		body = resp.Body
	default:
		return nil, exitcode.Usagef("index URL scheme %q: want http, https or file", pu.Scheme)
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, source.MaxIndexSize+1))
	if err != nil {
		return nil, exitcode.TempFail(err)
	}
	if len(data) > source.MaxIndexSize {
		return nil, exitcode.Data(fmt.Errorf("larger than the %d byte index cap: %w", source.MaxIndexSize, source.ErrBadIndex))
	}
	return data, nil
}

func (r *run) listSources(enabled bool) error {
	w := r.deps.Stdout
	p := printable.String
	if enabled {
		st, err := source.LoadStore(r.storePath())
		if err != nil {
			return sourceErr(err)
		}
		for _, u := range r.cfg.URLs {
			fmt.Fprintf(w, "url: %s\n", p(r.redact(u)))
		}
		for _, l := range r.cfg.Local {
			fmt.Fprintf(w, "local: %s\n", p(l))
		}
		for _, e := range st.Sources {
			state := "enabled"
			if e.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(w, "source: %s (%s)\n", p(e.Name), state)
		}
		if len(r.cfg.URLs)+len(r.cfg.Local)+len(st.Sources) == 0 {
			fmt.Fprintln(w, "no sources configured: a run fetches ET Open")
		}
		return nil
	}
	ix, err := r.loadIndex()
	if err != nil {
		return err
	}
	for _, name := range ix.Names() {
		e := ix.Sources[name]
		fmt.Fprintf(w, "Name: %s\n", p(name))
		for _, f := range [][2]string{{"Vendor", e.Vendor}, {"Summary", e.Summary}, {"License", e.License},
			{"Min-version", e.MinVersion}, {"Replaces", strings.Join(e.Replaces, ", ")},
			{"Parameters", strings.Join(sortedKeys(e.Parameters), ", ")}, {"Subscription", e.SubscribeURL},
			{"Deprecated", e.Deprecated}, {"Obsolete", e.Obsolete}} {
			if f[1] != "" {
				fmt.Fprintf(w, "  %s: %s\n", f[0], p(strings.TrimSpace(f[1])))
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// suricataVersion is --suricata-version, else the installed engine's.
func (r *run) suricataVersion(ctx context.Context) string {
	if r.cfg.SuricataVersion == "" && r.deps.DetectVersion != nil {
		r.cfg.SuricataVersion = r.deps.DetectVersion(ctx)
	}
	return r.cfg.SuricataVersion
}

func (r *run) checkVersions(ctx context.Context) error {
	ix, err := r.loadIndex()
	if err != nil {
		return err
	}
	v := r.suricataVersion(ctx)
	if v == "" {
		return exitcode.Usagef("check-versions: no --suricata-version and no suricata binary answered -V")
	}
	msg, _, err := ix.CheckVersion(v)
	if err != nil {
		return sourceErr(err)
	}
	fmt.Fprintln(r.deps.Stdout, msg)
	return nil
}

func (r *run) enableSource(ctx context.Context, st *source.Store, name string, args []string, o SourceOptions) error {
	ix, err := r.loadIndex()
	if err != nil {
		return err
	}
	entry, ok := ix.Sources[name]
	if !ok {
		return exitcode.Usagef("enable-source %s: no such source in the index (see list-sources)", printable.String(name))
	}
	e := source.Enabled{Name: name, Params: map[string]string{}, SecretFiles: map[string]string{}}
	if old := st.Get(name); old != nil {
		// Re-enabling keeps what was given before; new values replace it.
		e = *old
		e.Disabled = false
		e.Params = maps0(old.Params)
		e.SecretFiles = maps0(old.SecretFiles)
	}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return exitcode.Usagef("enable-source %s: %q: want param=value", name, printable.String(a))
		}
		if source.IsSecret(k) {
			// Never echo it: it is on the command line already, which is
			// the problem.
			return exitcode.Usagef("enable-source %s: %s is a secret and must not be on the command line (ps, shell history): use --secret-file %s=FILE", name, k, k)
		}
		e.Params[k] = v
	}
	for _, sf := range o.SecretFiles {
		k, f, ok := strings.Cut(sf, "=")
		if !ok || k == "" || f == "" {
			return exitcode.Usagef("--secret-file %q: want PARAM=FILE", sf)
		}
		if _, err := secretfile.Read(f); err != nil {
			return err
		}
		abs, err := filepath.Abs(f)
		if err != nil {
			return exitcode.Usage(err)
		}
		delete(e.Params, k)
		e.SecretFiles[k] = abs
	}
	if o.HeaderFile != "" {
		if _, err := secretfile.Read(o.HeaderFile); err != nil {
			return err
		}
		abs, err := filepath.Abs(o.HeaderFile)
		if err != nil {
			return exitcode.Usage(err)
		}
		e.HeaderFile = abs
	}
	for _, p := range sortedKeys(entry.Parameters) {
		if _, ok := e.Params[p]; ok {
			continue
		}
		if _, ok := e.SecretFiles[p]; ok {
			continue
		}
		how := p + "=VALUE"
		if source.IsSecret(p) {
			how = "--secret-file " + p + "=FILE"
		}
		return exitcode.Usagef("enable-source %s needs parameter %s (%s): give %s", name, p, printable.String(entry.Parameters[p].Prompt), how)
	}
	if entry.MinVersion != "" {
		minV, okMin := source.ParseVersion(entry.MinVersion)
		v := r.suricataVersion(ctx)
		cur, okCur := source.ParseVersion(v)
		switch {
		case !okMin || !okCur:
			r.log.Warn("cannot check the source's minimum Suricata version", "source", name, "min_version", printable.String(entry.MinVersion), "suricata", v)
		case cur.Less(minV) && !r.cfg.Force:
			return exitcode.Usagef("enable-source %s needs Suricata %s or newer, this is %s (--force to enable anyway)", name, minV, cur)
		}
	}
	if entry.SubscribeURL != "" {
		r.log.Info("the source needs a subscription", "source", name, "subscribe", printable.String(entry.SubscribeURL))
	}
	if len(st.Sources) == 0 && name != DefaultSource && !slices.Contains(entry.Replaces, DefaultSource) {
		if _, ok := ix.Sources[DefaultSource]; ok {
			r.log.Info("enabling the default source too, as suricata-update does (disable-source to drop it)", "source", DefaultSource)
			st.Put(source.Enabled{Name: DefaultSource})
		}
	}
	for _, rep := range entry.Replaces {
		if st.Remove(rep) {
			r.log.Info("source removed: replaced by the one enabled", "removed", printable.String(rep), "source", name)
		}
	}
	if len(e.Params) == 0 {
		e.Params = nil
	}
	if len(e.SecretFiles) == 0 {
		e.SecretFiles = nil
	}
	st.Put(e)
	r.log.Info("source enabled", "source", name)
	return nil
}

func maps0(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// noChecksumURLs keys noChecksum like the fetcher looks it up: by the
// configured URL, version filled in (known only after configure).
func (r *run) noChecksumURLs() map[string]bool {
	out := make(map[string]bool, len(r.noChecksum))
	for u := range r.noChecksum {
		out[r.configured(u)] = true
	}
	return out
}

// indexSources resolves the enabled index sources into URL templates for
// a run, registers their secrets and header files, and returns the URLs.
func (r *run) indexSources() ([]string, error) {
	st, err := source.LoadStore(r.storePath())
	if err != nil {
		return nil, sourceErr(err)
	}
	active := st.Active()
	if len(active) == 0 {
		return nil, nil
	}
	ix, err := r.loadIndex()
	if err != nil {
		return nil, err
	}
	var urls []string
	for _, e := range active {
		entry, ok := ix.Sources[e.Name]
		switch {
		case !ok:
			r.log.Warn("enabled source is no longer in the index; not fetched", "source", e.Name)
			continue
		case entry.Obsolete != "":
			r.log.Warn("source is obsolete; not fetched", "source", e.Name, "why", printable.String(entry.Obsolete))
			continue
		case entry.Deprecated != "":
			r.log.Warn("source is deprecated", "source", e.Name, "why", printable.String(entry.Deprecated))
		}
		params := maps0(e.Params)
		for k, f := range e.SecretFiles {
			v, err := secretfile.Read(f)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", e.Name, err)
			}
			r.secrets.Add(v, "[redacted]")
			r.secrets.Add(url.PathEscape(v), "[redacted]")
			params[k] = v
		}
		u, secrets, err := source.Resolve(entry.URL, params, "")
		if err != nil {
			return nil, sourceErr(fmt.Errorf("source %s: %w", e.Name, err))
		}
		if r.urlSecrets == nil {
			r.urlSecrets = map[string]map[string]string{}
		}
		r.urlSecrets[u] = secrets
		if entry.Checksum != nil && !*entry.Checksum {
			if r.noChecksum == nil {
				r.noChecksum = map[string]bool{}
			}
			r.noChecksum[u] = true
		}
		if e.HeaderFile != "" {
			text, err := secretfile.Read(e.HeaderFile)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", e.Name, err)
			}
			hs := make(map[string]string, len(r.cfg.SourceHeaders)+1)
			for k, v := range r.cfg.SourceHeaders {
				hs[k] = v
			}
			hs[u] = text
			r.cfg.SourceHeaders = hs
		}
		r.log.Debug("index source", "source", e.Name, "url", r.redact(u))
		urls = append(urls, u)
	}
	return urls, nil
}
