// Package suricataconf reads a suricata.yaml the way Suricata's own loader
// sees it, for what rules-update needs from it: which app-layer protocols
// are turned off, whether ja3 fingerprints are off, and which address and
// port variables exist. suricata-update asks a suricata binary for the same
// information (suricata --dump-config); reading the file with a YAML
// library (go.yaml.in/yaml/v3) works on a host without Suricata (a build
// box, a container) and gives the same flattened view: "a.b.c" keys with
// scalar values, later keys and included files overriding earlier ones.
package suricataconf

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits bound what a hostile or broken file can cost. Real suricata.yaml
// files are about 80 KiB with some 1,500 keys.
type Limits struct {
	MaxFileBytes int64 // per file, the main one and each include
	MaxFiles     int   // files read in total, includes counted
	MaxDepth     int   // nesting of include inside include
	MaxKeys      int   // flattened keys (aliases can multiply them)
}

// DefaultLimits are generous for any real configuration.
func DefaultLimits() Limits {
	return Limits{MaxFileBytes: 16 << 20, MaxFiles: 64, MaxDepth: 16, MaxKeys: 1 << 20}
}

// ErrLimit is wrapped by errors from a file that exceeds a Limits bound.
var ErrLimit = errors.New("over the limit")

// Config is the flattened configuration.
type Config struct {
	// File is the main file as given.
	File string
	// values maps every node's dotted key to its scalar value ("" for a
	// mapping or a sequence), as suricata --dump-config lists them.
	values map[string]string
	// files are all files read, the main one first.
	files []string
}

// Load reads path and the files it includes.
func Load(path string, lim Limits) (*Config, error) {
	if lim == (Limits{}) {
		lim = DefaultLimits()
	}
	l := &loader{lim: lim, dir: filepath.Dir(path), c: &Config{File: path, values: map[string]string{}}}
	if err := l.file(path, "", nil); err != nil {
		return nil, err
	}
	return l.c, nil
}

type loader struct {
	lim Limits
	dir string // the main file's directory: Suricata resolves includes from it
	c   *Config
}

// file parses one file into the tree under prefix. chain holds the files
// being included around it, to detect loops.
func (l *loader) file(path, prefix string, chain []string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	for _, p := range chain {
		if p == abs {
			return fmt.Errorf("%s: include loop: %s", path, strings.Join(append(chain, abs), " -> "))
		}
	}
	if len(chain) > l.lim.MaxDepth {
		return fmt.Errorf("%s: includes nested deeper than %d: %w", path, l.lim.MaxDepth, ErrLimit)
	}
	if len(l.c.files) >= l.lim.MaxFiles {
		return fmt.Errorf("%s: more than %d files included: %w", path, l.lim.MaxFiles, ErrLimit)
	}
	l.c.files = append(l.c.files, path)
	data, err := readCapped(path, l.lim.MaxFileBytes)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3 says "yaml: line N: ..."; the file name makes it usable.
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: line %d: the document is not a mapping", path, root.Line)
	}
	return l.node(root, prefix, path, append(chain, abs), 0)
}

func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes: %w", path, max, ErrLimit)
	}
	return data, nil
}

// maxNest bounds the nesting of mappings and sequences (and alias hops),
// so that a self-referencing alias cannot recurse forever.
const maxNest = 64

// node flattens n under key. Suricata's loader treats an "include" key at
// any level as "parse these files into this mapping", and a value tagged
// !include as "this value is that file".
func (l *loader) node(n *yaml.Node, key, file string, chain []string, nest int) error {
	if nest > maxNest {
		return fmt.Errorf("%s: line %d: %s: nested deeper than %d", file, n.Line, key, maxNest)
	}
	if n.Kind == yaml.AliasNode {
		return l.node(n.Alias, key, file, chain, nest+1)
	}
	if n.Tag == "!include" && n.Kind == yaml.ScalarNode {
		l.set(key, "")
		return l.include(n.Value, key, file, n.Line, chain)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		v := n.Value
		if n.Tag == "!!null" && (v == "~" || v == "null" || v == "Null" || v == "NULL") {
			v = ""
		}
		return l.set(key, v)
	case yaml.MappingNode:
		if key != "" {
			if err := l.set(key, ""); err != nil {
				return err
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.AliasNode {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s: line %d: a key must be a plain value", file, k.Line)
			}
			if k.Tag == "!!merge" {
				// "<<: *defaults" merges the aliased mapping(s) here.
				if err := l.node(v, key, file, chain, nest+1); err != nil {
					return err
				}
				continue
			}
			if k.Value == "include" {
				if err := l.includes(v, key, file, chain); err != nil {
					return err
				}
				continue
			}
			if err := l.node(v, join(key, k.Value), file, chain, nest+1); err != nil {
				return err
			}
		}
		return nil
	case yaml.SequenceNode:
		if err := l.set(key, ""); err != nil {
			return err
		}
		for i, e := range n.Content {
			if err := l.node(e, join(key, strconv.Itoa(i)), file, chain, nest+1); err != nil {
				return err
			}
		}
		return nil
	}
	return nil
}

// includes handles "include: file" and "include: [a, b]".
func (l *loader) includes(v *yaml.Node, key, file string, chain []string) error {
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.ScalarNode:
		return l.include(v.Value, key, file, v.Line, chain)
	case yaml.SequenceNode:
		for _, e := range v.Content {
			if e.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s: line %d: include: want file names", file, e.Line)
			}
			if err := l.include(e.Value, key, file, e.Line, chain); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%s: line %d: include: want a file name or a list of them", file, v.Line)
}

func (l *loader) include(name, key, file string, line int, chain []string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%s: line %d: include: empty file name", file, line)
	}
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(l.dir, p)
	}
	if err := l.file(p, key, chain); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: line %d: include %s: %w", file, line, name, err)
		}
		return err
	}
	return nil
}

func (l *loader) set(key, val string) error {
	if _, ok := l.c.values[key]; !ok && len(l.c.values) >= l.lim.MaxKeys {
		return fmt.Errorf("%s: more than %d keys: %w", l.c.File, l.lim.MaxKeys, ErrLimit)
	}
	l.c.values[key] = val
	return nil
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// Files lists the files read, the main one first.
func (c *Config) Files() []string { return c.files }

// Has reports whether key exists (as a scalar or as a parent node).
func (c *Config) Has(key string) bool {
	_, ok := c.values[key]
	return ok
}

// Get returns key's scalar value.
func (c *Config) Get(key string) (string, bool) {
	v, ok := c.values[key]
	return v, ok
}

// Keys lists every key, sorted.
func (c *Config) Keys() []string {
	out := make([]string, 0, len(c.values))
	for k := range c.values {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var protoEnabled = regexp.MustCompile(`^app-layer\.protocols\.([^.]+)\.enabled$`)

// isTrue is Suricata's ConfValIsTrue.
func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "yes", "true", "on":
		return true
	}
	return false
}

// DisabledProtocols lists, sorted, the app-layer protocols whose
// app-layer.protocols.X.enabled is neither true nor "detection-only"
// (detection-only still runs the rules). Protocols configured per
// transport (dns.tcp.enabled) are not whole-protocol switches and, as in
// suricata-update, do not count.
func (c *Config) DisabledProtocols() []string {
	var out []string
	for k, v := range c.values {
		m := protoEnabled.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		if isTrue(v) || strings.EqualFold(v, "detection-only") {
			continue
		}
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

// JA3Off reports whether app-layer.protocols.tls.ja3-fingerprints is set
// to something other than true or "auto". Left out it means "auto" (on as
// rules need it) since Suricata 5.
func (c *Config) JA3Off() bool {
	v, ok := c.values["app-layer.protocols.tls.ja3-fingerprints"]
	if !ok || v == "" {
		return false
	}
	return !isTrue(v) && !strings.EqualFold(v, "auto")
}

// HasAddressVar reports whether vars.address-groups.NAME exists.
func (c *Config) HasAddressVar(name string) bool { return c.Has("vars.address-groups." + name) }

// HasPortVar reports whether vars.port-groups.NAME exists.
func (c *Config) HasPortVar(name string) bool { return c.Has("vars.port-groups." + name) }
