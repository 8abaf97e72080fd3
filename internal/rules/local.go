package rules

import (
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/rules/archive"
)

// DistRuleFiles are the rules files of Suricata's distribution that
// suricata-update 1.2.7 loads from the dist rules directory: exactly this
// list, not every *.rules there (Suricata 7 ships ftp-, http2-, mqtt-,
// quic-, rfb- and ssh-events.rules too, which 1.2.7 leaves out; 1.3.x
// adds all but ftp-events). Keeping 1.2.7's list, the anchor installed by
// Debian, keeps the merged file byte-identical to its output.
var DistRuleFiles = []string{
	"app-layer-events.rules",
	"decoder-events.rules",
	"dhcp-events.rules",
	"dnp3-events.rules",
	"dns-events.rules",
	"files.rules",
	"http-events.rules",
	"ipsec-events.rules",
	"kerberos-events.rules",
	"modbus-events.rules",
	"nfs-events.rules",
	"ntp-events.rules",
	"smb-events.rules",
	"smtp-events.rules",
	"stream-events.rules",
	"tls-events.rules",
}

// DefaultDistRuleDirs are searched, in order, for Suricata's distribution
// rules when no directory is configured, as suricata-update does
// (datarootdir first, then sysconfdir).
var DefaultDistRuleDirs = []string{"/usr/share/suricata/rules", "/etc/suricata/rules"}

// FindDistRuleDir returns the first of dirs that exists, or "".
func FindDistRuleDir(dirs []string) string {
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	return ""
}

// localFiles reads the --local paths: a file, a directory (its *.rules,
// not recursively) or a glob. Each file is named by its real path, the
// name suricata-update gives it, because the merge orders files by name
// and group:/filename: matchers see it. A path that names nothing is a
// usage error naming it: a typo must not silently drop local rules.
func localFiles(paths []string, limits archive.Limits, fp hash.Hash) ([]archive.File, error) {
	var out []archive.File
	seen := map[string]bool{}
	add := func(flagPath, p string) error {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			real, err = filepath.Abs(real)
		}
		if err != nil {
			return exitcode.Usagef("--local %s: %w", flagPath, err)
		}
		if seen[real] {
			// Named twice (a directory and a glob over it): once is enough.
			return nil
		}
		seen[real] = true
		f, err := readLocal(real, limits)
		if err != nil {
			return exitcode.Usagef("--local %s: %w", flagPath, err)
		}
		fmt.Fprintf(fp, "local %s %d\n", real, len(f.Data))
		fp.Write([]byte(f.Data))
		out = append(out, f)
		return nil
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		switch {
		case err == nil && fi.IsDir():
			ents, err := os.ReadDir(p)
			if err != nil {
				return nil, exitcode.Usagef("--local %s: %w", p, err)
			}
			for _, e := range ents {
				if !strings.HasSuffix(e.Name(), ".rules") {
					continue
				}
				full := filepath.Join(p, e.Name())
				if st, err := os.Stat(full); err != nil || !st.Mode().IsRegular() {
					continue
				}
				if err := add(p, full); err != nil {
					return nil, err
				}
			}
		case err == nil:
			if err := add(p, p); err != nil {
				return nil, err
			}
		case errors.Is(err, fs.ErrNotExist):
			matches, gerr := filepath.Glob(p)
			if gerr != nil {
				return nil, exitcode.Usagef("--local %s: bad pattern: %w", p, gerr)
			}
			n := 0
			for _, m := range matches {
				if st, err := os.Stat(m); err != nil || !st.Mode().IsRegular() {
					continue
				}
				n++
				if err := add(p, m); err != nil {
					return nil, err
				}
			}
			if n == 0 {
				return nil, exitcode.Usagef("--local %s: no such file or directory, and no file matches it as a pattern", p)
			}
		default:
			return nil, exitcode.Usagef("--local %s: %w", p, err)
		}
	}
	return out, nil
}

// readLocal reads one rules file whole, within the archive's per-file
// cap so that a mistaken path (a disk image, /dev/zero) cannot exhaust
// memory.
func readLocal(p string, limits archive.Limits) (archive.File, error) {
	fh, err := os.Open(p)
	if err != nil {
		return archive.File{}, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return archive.File{}, err
	}
	if !fi.Mode().IsRegular() {
		return archive.File{}, fmt.Errorf("%s is not a regular file", p)
	}
	if limits.MaxFileSize > 0 && fi.Size() > limits.MaxFileSize {
		return archive.File{}, fmt.Errorf("%s: %d bytes, more than the %d byte cap of one rules file", p, fi.Size(), limits.MaxFileSize)
	}
	b := make([]byte, fi.Size())
	if _, err := fh.ReadAt(b, 0); err != nil && fi.Size() > 0 {
		return archive.File{}, fmt.Errorf("read %s: %w", p, err)
	}
	return archive.File{Name: p, Data: string(b), Candidates: -1}, nil
}

// distFiles reads the DistRuleFiles present in dir, named by their path in
// dir as suricata-update names them. A missing file is normal (older
// Suricata versions ship fewer).
func distFiles(dir string, limits archive.Limits, fp hash.Hash) ([]archive.File, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return nil, exitcode.Usagef("--suricata-rules-dir %s: %w", dir, err)
	}
	var out []archive.File
	for _, name := range DistRuleFiles {
		p := filepath.Join(dir, name)
		f, err := readLocal(p, limits)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, exitcode.Usagef("--suricata-rules-dir: %w", err)
		}
		fmt.Fprintf(fp, "dist %s %d\n", p, len(f.Data))
		fp.Write([]byte(f.Data))
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// extraSources returns the local and distribution rules as sources, to be
// merged with the downloaded ones (files in name order, like everything).
func (r *run) extraSources() []sourceFiles {
	var out []sourceFiles
	if len(r.dist) > 0 {
		out = append(out, sourceFiles{name: "suricata rules dir " + r.cfg.SuricataRulesDir, files: r.dist})
	}
	if len(r.local) > 0 {
		out = append(out, sourceFiles{name: "local", files: r.local})
	}
	return out
}
