package cli

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
	toml "github.com/pelletier/go-toml/v2"
)

// DefaultConfigPath is read when --config is not given; its absence is fine.
const DefaultConfigPath = "/etc/suricron/suricron.toml"

// EnvPrefix prefixes every environment variable a flag can be set from:
// --min-severity of alert-digest is SURICRON_MIN_SEVERITY.
const EnvPrefix = "SURICRON"

// Tables shared by several commands; each command also owns one table named
// by its section (rules, digest, telemetry, report).
var sharedTables = map[string]bool{"eve": true, "mail": true}

// knownSections are the command tables; a command ignores the others' tables
// so that one file serves all five binaries.
var knownSections = map[string]bool{"rules": true, "digest": true, "telemetry": true, "report": true, "ship": true}

// configResolver resolves flags from one TOML file. A flag's key is its
// `config:"table.key"` tag when present (shared flags: eve.path, mail.to,
// state_dir), otherwise "<section>.<flag name with - as _>".
//
// A command with a --profile flag (alert-digest) also reads
// [<section>.profile.NAME] for --profile NAME: there a key is the flag name
// with - as _ (min_severity, to, webhook_url_file) and overrides whatever
// the rest of the file says for that flag; keys it does not name are
// inherited.
type configResolver struct {
	path    string
	section string
	profile string // --profile, "" for none
	data    map[string]any
	sources sources // records the flags this file set, for --check-config
}

// loadConfig reads path. explicit means the operator named the file, so a
// missing file is an error rather than "no config".
func loadConfig(path, section string, explicit bool, profile string) (*configResolver, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) && !explicit {
			return nil, nil
		}
		return nil, fmt.Errorf("config file: %w", err)
	}
	var m map[string]any
	if err := toml.Unmarshal(b, &m); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("config file %s line %d column %d: %s", path, row, col, de.Error())
		}
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return &configResolver{path: path, section: section, profile: profile, data: m}, nil
}

// ProfileFlag is the flag that selects a [<section>.profile.NAME] table.
const ProfileFlag = "profile"

// profileKey is f's key inside a profile table.
func profileKey(f *kong.Flag) string { return strings.ReplaceAll(f.Name, "-", "_") }

// noProfileKey are flags a profile table cannot set.
var noProfileKey = map[string]bool{"config": true, ProfileFlag: true, "version": true, "help": true}

func (r *configResolver) profileTable() (map[string]any, bool) {
	v, ok := r.lookup(r.section + "." + ProfileFlag)
	if !ok {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

func (r *configResolver) key(f *kong.Flag) string {
	if k := f.Tag.Get("config"); k == "-" {
		return "" // never from the file (--profile itself)
	} else if k != "" {
		return k
	}
	return r.section + "." + strings.ReplaceAll(f.Name, "-", "_")
}

func (r *configResolver) lookup(key string) (any, bool) {
	var cur any = r.data
	for _, part := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Resolve implements kong.Resolver. A TOML list means what the flag given
// once per element means, whatever the flag's separator: it is handed to
// kong as a list, never joined into one string (a sep:"none" flag would
// take the joined string as one element). Every value is decoded once here
// with the flag's own mapper, so a type error names the file and the key
// rather than only the flag.
func (r *configResolver) Resolve(_ *kong.Context, _ *kong.Path, f *kong.Flag) (any, error) {
	key := r.key(f)
	if key == "" {
		return nil, nil
	}
	v, ok := r.lookup(key)
	if r.profile != "" && !noProfileKey[f.Name] {
		if pv, pok := r.lookup(r.section + "." + ProfileFlag + "." + r.profile + "." + profileKey(f)); pok {
			v, ok, key = pv, true, r.section+".profile."+r.profile+"."+profileKey(f)
		}
	}
	if !ok {
		return nil, nil
	}
	var val any
	switch x := v.(type) {
	case int64, float64:
		val = fmt.Sprint(x)
	case bool:
		val = x
	case []any:
		if !f.IsSlice() {
			return nil, fmt.Errorf("config file %s: key %s: a list is not allowed here", r.path, displayKey(key))
		}
		elems := make([]any, len(x))
		for i, e := range x {
			if s, isStr := e.(string); isStr && f.Tag.Type == "path" {
				e = kong.ExpandPath(s)
			}
			elems[i] = e
		}
		val = elems
	case map[string]any:
		return nil, fmt.Errorf("config file %s: key %s: a table is not allowed here", r.path, displayKey(key))
	default:
		val = fmt.Sprint(x)
	}
	if err := decodeCheck(f, val); err != nil {
		return nil, fmt.Errorf("config file %s: key %s: %w", r.path, displayKey(key), err)
	}
	if r.sources != nil {
		r.sources[f] = "file"
	}
	return val, nil
}

// decodeCheck decodes val into a throw-away value of the flag's type with
// the flag's mapper, the same way kong will right after.
func decodeCheck(f *kong.Flag, val any) error {
	target := reflect.New(f.Target.Type()).Elem()
	return f.Mapper.Decode(&kong.DecodeContext{Value: f.Value, Scan: kong.Scan().PushTyped(val, kong.FlagValueToken)}, target)
}

// displayKey spells a dotted key the way the file does: "[digest] min_severity".
func displayKey(key string) string {
	if i := strings.IndexByte(key, '.'); i > 0 {
		return "[" + key[:i] + "] " + key[i+1:]
	}
	return key
}

// Validate implements kong.Resolver: every key in the tables this command
// reads must name one of its flags, so a typo is an error, not a silent
// default. Other commands' tables are left to those commands.
func (r *configResolver) Validate(app *kong.Application) error {
	allowed := map[string]bool{}
	inProfile := map[string]bool{}
	hasProfiles := false
	tables := map[string]bool{r.section: true}
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, f := range n.Flags {
			if f.Name == ProfileFlag {
				hasProfiles = true
			}
			if !noProfileKey[f.Name] {
				inProfile[profileKey(f)] = true
			}
			k := r.key(f)
			if k == "" {
				continue
			}
			allowed[k] = true
			if i := strings.IndexByte(k, '.'); i > 0 {
				tables[k[:i]] = true
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(app.Node)
	var unknown []string
	for k, v := range r.data {
		sub, isTable := v.(map[string]any)
		switch {
		case !isTable:
			if !allowed[k] {
				unknown = append(unknown, k)
			}
		case tables[k]:
			for kk, vv := range sub {
				if k == r.section && kk == ProfileFlag && hasProfiles {
					unknown = append(unknown, r.profileKeys(vv, inProfile)...)
					continue
				}
				if !allowed[k+"."+kk] {
					unknown = append(unknown, "["+k+"] "+kk)
				}
			}
		case knownSections[k] || sharedTables[k]:
			// Another command's table.
		default:
			unknown = append(unknown, "["+k+"]")
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("config file %s: unknown key %s", r.path, strings.Join(unknown, ", "))
	}
	if r.profile != "" && hasProfiles {
		if pt, _ := r.profileTable(); pt[r.profile] == nil {
			// A mistyped profile would quietly start a new checkpoint
			// with the wrong filters: refuse it.
			return fmt.Errorf("config file %s: --profile %s: no [%s.profile.%s] table", r.path, r.profile, r.section, r.profile)
		}
	}
	return nil
}

// profileKeys checks the [<section>.profile] table: only tables, each
// holding only flag names.
func (r *configResolver) profileKeys(v any, inProfile map[string]bool) []string {
	var unknown []string
	profiles, ok := v.(map[string]any)
	if !ok {
		return []string{"[" + r.section + "] profile (want [" + r.section + ".profile.NAME] tables)"}
	}
	for name, pv := range profiles {
		keys, ok := pv.(map[string]any)
		if !ok {
			unknown = append(unknown, "["+r.section+".profile] "+name+" (want a table)")
			continue
		}
		for kk := range keys {
			if !inProfile[kk] {
				unknown = append(unknown, "["+r.section+".profile."+name+"] "+kk)
			}
		}
	}
	return unknown
}

// profileName is the --profile value kong parsed (or SURICRON_PROFILE):
// read from kong's own parse, like configFile, so every spelling counts.
func profileName(kctx *kong.Context) string {
	for _, p := range kctx.Path {
		if p.Flag != nil && p.Flag.Name == ProfileFlag && !p.Resolved {
			if s, ok := kctx.FlagValue(p.Flag).(string); ok {
				return s
			}
		}
	}
	return os.Getenv(EnvPrefix + "_PROFILE")
}

// envResolver gives SURICRON_* variables precedence over the config file.
// kong applies env values as defaults, before resolvers, so without this a
// file would beat the environment (kong issues #249, #351).
type envResolver struct{ sources sources }

func (envResolver) Validate(*kong.Application) error { return nil }

func (r envResolver) Resolve(_ *kong.Context, _ *kong.Path, f *kong.Flag) (any, error) {
	for _, e := range f.Envs {
		if v, ok := os.LookupEnv(e); ok {
			if r.sources != nil {
				r.sources[f] = "env " + e
			}
			return v, nil
		}
	}
	return nil, nil
}

// configFile returns the --config value kong parsed (in any spelling kong
// accepts, clustered short flags included) and whether the operator named
// it: on the command line or through SURICRON_CONFIG.
func configFile(kctx *kong.Context) (string, bool) {
	for _, p := range kctx.Path {
		if p.Flag != nil && p.Flag.Name == "config" && !p.Resolved {
			if s, ok := kctx.FlagValue(p.Flag).(string); ok {
				return s, true
			}
		}
	}
	if v, ok := os.LookupEnv(EnvPrefix + "_CONFIG"); ok && v != "" {
		return v, true
	}
	return DefaultConfigPath, false
}
