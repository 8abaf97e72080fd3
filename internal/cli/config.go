package cli

import (
	"fmt"
	"os"
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
var knownSections = map[string]bool{"rules": true, "digest": true, "telemetry": true, "report": true}

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
		if ok := asDecodeError(err, &de); ok {
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

func asDecodeError(err error, de **toml.DecodeError) bool {
	d, ok := err.(*toml.DecodeError)
	if ok {
		*de = d
	}
	return ok
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

// Resolve implements kong.Resolver.
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
	switch x := v.(type) {
	case int64:
		return fmt.Sprint(x), nil
	case float64:
		return fmt.Sprint(x), nil
	case bool:
		return x, nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		if f.IsSlice() {
			return strings.Join(parts, string(f.Tag.Sep)), nil
		}
		return nil, fmt.Errorf("config file %s: key %s: a list is not allowed here", r.path, key)
	case map[string]any:
		return nil, fmt.Errorf("config file %s: key %s: a table is not allowed here", r.path, key)
	default:
		return fmt.Sprint(x), nil
	}
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

// profileFromArgs finds --profile before kong parses, like
// configPathFromArgs, falling back to SURICRON_PROFILE.
func profileFromArgs(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return ""
		case a == "--"+ProfileFlag:
			if i+1 < len(args) {
				return args[i+1]
			}
			return ""
		case strings.HasPrefix(a, "--"+ProfileFlag+"="):
			return strings.TrimPrefix(a, "--"+ProfileFlag+"=")
		}
	}
	return os.Getenv(EnvPrefix + "_PROFILE")
}

// envResolver gives SURICRON_* variables precedence over the config file.
// kong applies env values as defaults, before resolvers, so without this a
// file would beat the environment (kong issues #249, #351).
type envResolver struct{}

func (envResolver) Validate(*kong.Application) error { return nil }

func (envResolver) Resolve(_ *kong.Context, _ *kong.Path, f *kong.Flag) (any, error) {
	for _, e := range f.Envs {
		if v, ok := os.LookupEnv(e); ok {
			return v, nil
		}
	}
	return nil, nil
}

// configPathFromArgs finds --config/-c before kong parses, so the file can be
// installed as a resolver. It mirrors kong's syntax: "-c F", "-cF",
// "--config F", "--config=F".
func configPathFromArgs(args []string) (string, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return "", false
		case a == "-c" || a == "--config":
			if i+1 < len(args) {
				return args[i+1], true
			}
			return "", false
		case strings.HasPrefix(a, "--config="):
			return strings.TrimPrefix(a, "--config="), true
		case strings.HasPrefix(a, "-c") && !strings.HasPrefix(a, "--"):
			return a[2:], true
		}
	}
	if v, ok := os.LookupEnv(EnvPrefix + "_CONFIG"); ok && v != "" {
		return v, true
	}
	return DefaultConfigPath, false
}
