package rules

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/suricron/suricron/internal/atomicfile"
	"github.com/suricron/suricron/internal/printable"
	"github.com/suricron/suricron/internal/rules/archive"
	"github.com/suricron/suricron/internal/rules/rule"
)

// depKeywords name the options whose value is a file a rule needs at load
// time; Suricata resolves a relative name against the rule file's
// directory, so the files go beside suricata.rules under the same
// relative name.
var depKeywords = map[string]string{
	"dataset": "dataset", "datarep": "datarep",
	"lua": "lua script", "luajit": "lua script",
	"filemd5": "filemd5 list", "filesha1": "filesha1 list", "filesha256": "filesha256 list",
}

// dep is one file an enabled rule names.
type dep struct {
	kind string // "dataset", "lua script", …
	name string // as the rule gives it, relative to the rule file
	// member is the archive path it is looked up as.
	member string
	rule   rule.Key
}

// ruleDeps lists the files r needs ("" names skipped); bad holds the
// names refused (absolute or escaping).
func ruleDeps(r *rule.Rule) (deps []dep, bad []dep) {
	r.EachOption(func(name, val string) {
		kind, ok := depKeywords[name]
		if !ok {
			return
		}
		var files []string
		switch name {
		case "dataset", "datarep":
			// set,name,type string,load file.lst[,memcap …]; state works the
			// same way (read at start, written back at exit).
			for _, el := range strings.Split(val, ",") {
				el = strings.TrimSpace(el)
				if w, rest, ok := strings.Cut(el, " "); ok && (w == "load" || w == "state") {
					files = append(files, strings.TrimSpace(rest))
				}
			}
		default:
			files = append(files, strings.TrimPrefix(strings.TrimSpace(val), "!"))
		}
		for _, f := range files {
			f = strings.Trim(f, `"`)
			if f == "" {
				continue
			}
			d := dep{kind: kind, name: f, rule: r.Key()}
			if path.IsAbs(f) || strings.Contains(f, `\`) || hasDotDot(f) {
				bad = append(bad, d)
				continue
			}
			d.member = path.Join(path.Dir(r.Group), f)
			deps = append(deps, d)
		}
	})
	return deps, bad
}

func hasDotDot(p string) bool {
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return true
		}
	}
	return false
}

// depFile is a file to install beside the rules.
type depFile struct {
	rel  string // path relative to the output dir
	data []byte
}

// collectDeps finds the files the enabled rules of rs need in the source
// archives (read again, keeping only those members) and warns about each
// one that is missing or whose name is refused.
func (r *run) collectDeps(rs *ruleset, bodies [][]byte) ([]depFile, error) {
	wanted := map[string][]dep{} // member -> deps naming it
	var refused []dep
	for _, x := range rs.rules {
		if !x.Enabled {
			continue
		}
		ds, bad := ruleDeps(x)
		refused = append(refused, bad...)
		for _, d := range ds {
			wanted[d.member] = append(wanted[d.member], d)
		}
	}
	for _, d := range refused {
		r.log.Warn("rule names a file outside its rules directory; not copied", "rule", d.rule.String(),
			"kind", d.kind, "file", printable.String(d.name))
	}
	if len(wanted) == 0 {
		return nil, nil
	}
	found := map[string][]byte{}
	for _, body := range bodies {
		if body == nil {
			continue
		}
		mode := func(member string) archive.Mode {
			if _, ok := wanted[member]; ok {
				if _, done := found[member]; !done {
					return archive.Whole
				}
			}
			return archive.Skip
		}
		a, err := archive.ReadEachMode(bytes.NewReader(body), r.cfg.Limits, mode, nil)
		if err != nil {
			// A plain .rules source is not an archive: it has no files.
			continue
		}
		for _, f := range a.Files {
			if _, done := found[f.Name]; !done {
				found[f.Name] = []byte(f.Data)
			}
		}
	}
	members := make([]string, 0, len(wanted))
	for m := range wanted {
		members = append(members, m)
	}
	sort.Strings(members)
	var out []depFile
	for _, m := range members {
		ds := wanted[m]
		data, ok := found[m]
		if !ok {
			keys := make([]string, 0, len(ds))
			for _, d := range ds {
				keys = append(keys, d.rule.String())
			}
			r.log.Warn("file a rule needs is not in the archive; Suricata will fail to load the rule", "kind", ds[0].kind,
				"file", printable.String(ds[0].name), "rules", strings.Join(keys, ","))
			continue
		}
		rel := ds[0].name
		for _, d := range ds[1:] {
			if path.Clean(d.name) != path.Clean(rel) {
				// Rules in different directories naming different
				// relative paths cannot all be satisfied by one layout.
				r.log.Warn("rules in different directories name one file differently; installing it as the first names it",
					"file", printable.String(rel), "also", printable.String(d.name))
			}
		}
		out = append(out, depFile{rel: path.Clean(rel), data: data})
	}
	return out, nil
}

// installDeps writes the files beside the rules, atomically and only
// when changed, refusing any path whose directory resolves (through a
// planted symlink) outside the output directory.
func (r *run) installDeps(files []depFile) (changed bool, err error) {
	if len(files) == 0 {
		return false, nil
	}
	outDir := filepath.Dir(r.cfg.Output)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return false, err
	}
	root, err := filepath.EvalSymlinks(outDir)
	if err != nil {
		return false, err
	}
	for _, f := range files {
		dst := filepath.Join(outDir, filepath.FromSlash(f.rel))
		dir := filepath.Dir(dst)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return changed, err
		}
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return changed, err
		}
		if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			r.log.Warn("rule file's directory leads outside the output directory (a symlink); not copied", "file", printable.String(f.rel), "dir", real)
			continue
		}
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, f.data) {
			continue
		}
		if err := atomicfile.Write(dst, f.data, 0o644); err != nil {
			return changed, err
		}
		r.log.Info("installed a file rules need", "file", dst)
		changed = true
	}
	return changed, nil
}

func (d dep) String() string { return fmt.Sprintf("%s %s (%s)", d.kind, d.name, d.rule) }
