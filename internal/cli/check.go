package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"golang.org/x/sys/unix"

	"github.com/suricron/suricron/internal/printable"
	"github.com/suricron/suricron/internal/redact"
	"github.com/suricron/suricron/internal/secretfile"
)

// sources records where each flag's value came from, for --check-config.
// The resolvers write it in kong's order (file, then environment), so the
// last writer is the source that won, as it is for the value.
type sources map[*kong.Flag]string

// Source names printed by --check-config.
const (
	srcDefault = "default"
	srcFlag    = "flag"
)

// flagSource says where f's value came from: the command line, the
// environment, the config file or the default.
func (s sources) flagSource(kctx *kong.Context, f *kong.Flag) string {
	for _, p := range kctx.Path {
		if p.Flag == f && !p.Resolved {
			return srcFlag
		}
	}
	if src, ok := s[f]; ok {
		return src
	}
	return srcDefault
}

// Flags whose value names a file the command writes (only the directory
// must exist), a directory, or a program; the others with a FILE or PATH
// placeholder are read.
var (
	outputFlags = map[string]bool{"output": true, "out": true, "metrics-file": true}
	dirFlags    = map[string]bool{"state-dir": true, "log": true}
	progFlags   = map[string]bool{"sendmail": true}
	skipFlags   = map[string]bool{"help": true, "version": true, "check-config": true}
)

// isSecretFlag: the flags that name a file holding a password, token or
// oinkcode. Their files must not be readable by other users.
func isSecretFlag(name string) bool {
	return strings.HasSuffix(name, "password-file") || strings.HasSuffix(name, "token-file") || strings.HasSuffix(name, "oinkcode-file")
}

func isReadFlag(f *kong.Flag) bool {
	switch {
	case f.PlaceHolder == "FILE" || f.PlaceHolder == "PATH" || f.Tag.Type == "path" || f.Tag.Type == "existingfile":
		return true
	}
	for _, suffix := range []string{"-file", "-yaml", "-log"} {
		if strings.HasSuffix(f.Name, suffix) {
			return true
		}
	}
	return false
}

// checkResult is one line of the --check-config report.
type checkResult struct {
	flag, path, msg string
	problem         bool
}

// checkConfig prints the effective settings of the selected command with
// their source, then checks every file they name, and returns the number
// of problems. Secrets never appear: secret files are read only to be
// scrubbed from the other values, and every value goes through the one
// scrubber (URL passwords, token= queries).
func checkConfig(w io.Writer, name string, kctx *kong.Context, src sources, cfgPath string, cfgLoaded bool) int {
	flags := kctx.Flags()
	secrets := redact.New()
	for _, f := range flags {
		if isSecretFlag(f.Name) {
			if p, _ := kctx.FlagValue(f).(string); p != "" {
				if s, err := secretfile.Read(p); err == nil {
					secrets.Add(s, "[redacted]")
				}
			}
		}
	}
	show := func(s string) string { return printable.String(secrets.String(s)) }

	fmt.Fprintf(w, "%s: effective settings\n", name)
	switch {
	case cfgLoaded:
		fmt.Fprintf(w, "  config file %s (loaded)\n", show(cfgPath))
	default:
		fmt.Fprintf(w, "  config file %s (absent; defaults, environment and flags only)\n", show(cfgPath))
	}
	width := 0
	for _, f := range flags {
		if n := len(f.Name); n > width && !f.Hidden {
			width = n
		}
	}
	var results []checkResult
	for _, f := range flags {
		if skipFlags[f.Name] || f.Hidden || f.Name == "config" {
			continue
		}
		v := kctx.FlagValue(f)
		fmt.Fprintf(w, "  --%-*s %s  (%s)\n", width, f.Name, show(formatValue(v)), src.flagSource(kctx, f))
		if p, ok := v.(string); ok && p != "" {
			if r, ok := checkFile(f, p, src.flagSource(kctx, f) == srcDefault); ok {
				results = append(results, r)
			}
		}
	}
	problems := 0
	fmt.Fprintf(w, "%s: checks\n", name)
	sort.SliceStable(results, func(i, j int) bool { return results[i].problem && !results[j].problem })
	for _, r := range results {
		label := "ok     "
		if r.problem {
			label = "PROBLEM"
			problems++
		}
		fmt.Fprintf(w, "  %s --%s %s: %s\n", label, r.flag, show(r.path), show(r.msg))
	}
	if problems > 0 {
		fmt.Fprintf(w, "%s: %d problem(s); the configuration is not usable as it is\n", name, problems)
	} else {
		fmt.Fprintf(w, "%s: configuration ok\n", name)
	}
	return problems
}

func formatValue(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = fmt.Sprintf("%q", fmt.Sprint(rv.Index(i).Interface()))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if s, ok := v.(string); ok {
		if s == "" {
			return `""`
		}
		return s
	}
	return fmt.Sprint(v)
}

// checkFile checks the file one flag names. A default path that is absent
// is reported but is not a problem (the sensor may not use that feature),
// except eve.json, which every command but rules-update reads.
func checkFile(f *kong.Flag, p string, isDefault bool) (checkResult, bool) {
	r := checkResult{flag: f.Name, path: p}
	missingOK := isDefault && f.Name != "eve"
	switch {
	case dirFlags[f.Name]:
		fi, err := os.Stat(p)
		if err != nil {
			if os.IsNotExist(err) && unix.Access(filepath.Dir(p), unix.W_OK|unix.X_OK) == nil {
				r.msg = "absent; will be created"
				return r, true
			}
			r.msg, r.problem = errText(err), !missingOK
			return r, true
		}
		if !fi.IsDir() {
			r.msg, r.problem = "not a directory", true
			return r, true
		}
		if f.Name == "state-dir" {
			if err := unix.Access(p, unix.W_OK|unix.X_OK); err != nil {
				r.msg, r.problem = "not writable by this user: "+errText(err), true
				return r, true
			}
			r.msg = "writable directory"
			return r, true
		}
		if err := unix.Access(p, unix.R_OK|unix.X_OK); err != nil {
			r.msg, r.problem = "not readable by this user: "+errText(err), true
			return r, true
		}
		r.msg = "readable directory"
		return r, true
	case outputFlags[f.Name]:
		dir := filepath.Dir(p)
		if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
			r.msg, r.problem = "directory "+dir+" not writable by this user: "+errText(err), true
			return r, true
		}
		r.msg = "directory writable"
		return r, true
	case progFlags[f.Name]:
		if err := unix.Access(p, unix.X_OK); err != nil {
			r.msg, r.problem = "not executable: "+errText(err), true
			return r, true
		}
		r.msg = "executable"
		return r, true
	case isSecretFlag(f.Name):
		return checkSecretFile(r, p), true
	case isReadFlag(f):
		fh, err := os.Open(p)
		if err != nil {
			if os.IsNotExist(err) && missingOK {
				r.msg = "absent (default path; needed only if this feature is used)"
				return r, true
			}
			r.msg, r.problem = "not readable by this user: "+errText(err), true
			return r, true
		}
		defer fh.Close()
		if fi, err := fh.Stat(); err == nil && fi.IsDir() {
			r.msg, r.problem = "a directory, not a file", true
			return r, true
		}
		r.msg = "readable"
		return r, true
	}
	return r, false
}

// checkSecretFile: readable, not empty, owned by this user or root, and
// neither readable nor writable by others (nor writable by the group).
func checkSecretFile(r checkResult, p string) checkResult {
	if _, err := secretfile.Read(p); err != nil {
		r.msg, r.problem = errText(err), true
		return r
	}
	fi, err := os.Stat(p)
	if err != nil {
		r.msg, r.problem = errText(err), true
		return r
	}
	mode := fi.Mode().Perm()
	if mode&0o027 != 0 {
		r.msg, r.problem = fmt.Sprintf("mode %04o lets other users read or change the secret; chmod 0600 (or 0640 with a trusted group)", mode), true
		return r
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if uid := uint32(os.Geteuid()); st.Uid != uid && st.Uid != 0 {
			r.msg, r.problem = fmt.Sprintf("owned by uid %d, not by this user (uid %d) or root", st.Uid, uid), true
			return r
		}
	}
	r.msg = fmt.Sprintf("secret readable, mode %04o", mode)
	return r
}

// errText is an error without the path, which the report already shows.
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
