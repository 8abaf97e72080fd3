// Package source is rules-update's source index (the index.yaml format
// suricata-update documents: named rule sources with a URL template,
// parameters, min-version, license, vendor, summary) and the store of the
// sources an operator enabled from it, kept in the state dir.
//
// The index comes from the network, so it is treated as hostile: its size
// is capped, source names must be safe as file names, and a source URL
// must be http or https (a "file:///etc/shadow" source would otherwise
// turn a rules run into a file read).
package source

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultIndexURL is the index suricata-update uses.
const DefaultIndexURL = "https://www.openinfosecfoundation.org/rules/index.yaml"

// MaxIndexSize caps an index download or file: OISF's is about 15 KB.
const MaxIndexSize = 1 << 20

// ErrBadIndex marks an index (or store) that must not be used.
var ErrBadIndex = errors.New("bad source index")

// ErrUsage marks an operator error: unknown source, missing parameter.
var ErrUsage = errors.New("usage")

// Parameter is one value a source's URL needs (e.g. secret-code).
type Parameter struct {
	Prompt string `yaml:"prompt"`
}

// Entry is one source of the index.
type Entry struct {
	URL          string               `yaml:"url"`
	Vendor       string               `yaml:"vendor"`
	Summary      string               `yaml:"summary"`
	Description  string               `yaml:"description"`
	License      string               `yaml:"license"`
	MinVersion   string               `yaml:"min-version"`
	Parameters   map[string]Parameter `yaml:"parameters"`
	Replaces     []string             `yaml:"replaces"`
	SubscribeURL string               `yaml:"subscribe-url"`
	Deprecated   string               `yaml:"deprecated"`
	Obsolete     string               `yaml:"obsolete"`
	Tags         []string             `yaml:"tags"`
	Checksum     *bool                `yaml:"checksum"`
}

// Index is a parsed, validated source index.
type Index struct {
	Version  int              `yaml:"version"`
	Sources  map[string]Entry `yaml:"sources"`
	Versions struct {
		Suricata map[string]string `yaml:"suricata"`
	} `yaml:"versions"`
}

// nameRE is what a source name may look like ("et/open", "tgreen/hunting"):
// no "..", no leading "/" or "-", nothing a shell or a path would
// interpret.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]*(/[A-Za-z0-9][A-Za-z0-9_.+-]*)*$`)

// ValidName reports whether name can name a source.
func ValidName(name string) bool {
	return len(name) <= 128 && nameRE.MatchString(name) && !strings.Contains(name, "..")
}

// placeholderRE finds the %(name)s placeholders of a URL template.
var placeholderRE = regexp.MustCompile(`%\(([^)]*)\)s`)

// ParseIndex parses and validates an index; where names the file or URL
// it came from, for messages ("where: yaml: line 3: ...").
func ParseIndex(where string, data []byte) (*Index, error) {
	if len(data) > MaxIndexSize {
		return nil, fmt.Errorf("index %s: %d bytes, more than the %d byte cap: %w", where, len(data), MaxIndexSize, ErrBadIndex)
	}
	var ix Index
	if err := yaml.Unmarshal(data, &ix); err != nil {
		return nil, fmt.Errorf("index %s: %v: %w", where, err, ErrBadIndex)
	}
	if len(ix.Sources) == 0 {
		return nil, fmt.Errorf("index %s: no \"sources:\" mapping: %w", where, ErrBadIndex)
	}
	for _, name := range ix.Names() {
		e := ix.Sources[name]
		if !ValidName(name) {
			return nil, fmt.Errorf("index %s: source name %q is not a safe name (letters, digits, ._+- and /, no ..): %w", where, name, ErrBadIndex)
		}
		if err := checkTemplate(e.URL); err != nil {
			return nil, fmt.Errorf("index %s: source %s: %w: %w", where, name, err, ErrBadIndex)
		}
		for p := range e.Parameters {
			if !ValidName(p) || strings.Contains(p, "/") {
				return nil, fmt.Errorf("index %s: source %s: parameter name %q is not safe: %w", where, name, p, ErrBadIndex)
			}
		}
	}
	return &ix, nil
}

// checkTemplate requires an http(s) URL once placeholders are filled in.
func checkTemplate(tmpl string) error {
	if tmpl == "" {
		return errors.New("no url")
	}
	u, err := url.Parse(placeholderRE.ReplaceAllString(tmpl, "x"))
	if err != nil {
		return fmt.Errorf("url %q: %v", tmpl, err)
	}
	return checkURL(u)
}

func checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url scheme %q refused (only http and https sources come from an index)", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("url has no host")
	}
	return nil
}

// Names returns the source names in order.
func (ix *Index) Names() []string {
	out := make([]string, 0, len(ix.Sources))
	for n := range ix.Sources {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// IsSecret reports whether a parameter holds a secret (suricata-update's
// rule: the name starts with "secret", e.g. secret-code).
func IsSecret(param string) bool { return strings.HasPrefix(param, "secret") }

// Resolve fills in a URL template. Plain parameters and __version__ (when
// version is not "") are substituted; secret parameters stay as their %(name)s placeholder so the
// result can be logged, hashed and used as a cache key, and secrets maps
// each placeholder to its value for the request itself.
func Resolve(tmpl string, params map[string]string, version string) (configured string, secrets map[string]string, err error) {
	secrets = map[string]string{}
	var missing []string
	configured = placeholderRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-2]
		if name == "__version__" {
			if version == "" {
				// Left for the caller, which knows how to find it out.
				return m
			}
			return version
		}
		v, ok := params[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		if IsSecret(name) {
			secrets[m] = url.PathEscape(v)
			return m
		}
		return url.PathEscape(v)
	})
	if len(missing) > 0 {
		return "", nil, fmt.Errorf("missing parameter %s: %w", strings.Join(missing, ", "), ErrUsage)
	}
	actual := strings.ReplaceAll(configured, "%(__version__)s", "0.0.0")
	for ph, v := range secrets {
		actual = strings.ReplaceAll(actual, ph, v)
	}
	u, err := url.Parse(actual)
	if err == nil {
		err = checkURL(u)
	}
	if err != nil {
		return "", nil, fmt.Errorf("resolved URL: %v: %w", err, ErrBadIndex)
	}
	return configured, secrets, nil
}

// Version is a parsed X.Y.Z Suricata version (missing parts are 0).
type Version [3]int

// ParseVersion parses "7.0.17", "6.0" or "7.0.3-dev"; ok is false for
// anything else.
func ParseVersion(s string) (v Version, ok bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "-+ "); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

// Less reports whether v is older than w.
func (v Version) Less(w Version) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// Short is "major.minor", the key of the index's versions table.
func (v Version) Short() string { return fmt.Sprintf("%d.%d", v[0], v[1]) }

// CheckVersion compares the installed Suricata version with the index's
// versions table, as suricata-update check-versions does, and returns one
// line of advice and whether the installed version is current.
func (ix *Index) CheckVersion(installed string) (string, bool, error) {
	if strings.Contains(installed, "dev") {
		return fmt.Sprintf("development version of Suricata %s: no version check", installed), true, nil
	}
	cur, ok := ParseVersion(installed)
	if !ok {
		return "", false, fmt.Errorf("suricata version %q: want X.Y.Z: %w", installed, ErrUsage)
	}
	recText := ix.Versions.Suricata["recommended"]
	rec, ok := ParseVersion(recText)
	if !ok {
		return "", false, fmt.Errorf("the index has no usable versions.suricata.recommended (%q); run update-sources: %w", recText, ErrBadIndex)
	}
	if rec.Less(cur) {
		return fmt.Sprintf("Suricata %s is newer than the recommended %s", cur, rec), true, nil
	}
	upText, ok := ix.Versions.Suricata[cur.Short()]
	up, parsed := ParseVersion(upText)
	switch {
	case !ok || !parsed:
		return fmt.Sprintf("Suricata %s has reached end of life: upgrade to %s", cur, rec), false, nil
	case up == cur:
		return fmt.Sprintf("Suricata %s is up to date", cur), true, nil
	case up == rec:
		return fmt.Sprintf("Suricata %s is outdated: upgrade to %s", cur, rec), false, nil
	}
	return fmt.Sprintf("Suricata %s is outdated: upgrade to %s or %s", cur, up, rec), false, nil
}
