// Command package builds the suricron Debian package with nfpm, from the
// binaries `make build` left in bin/ and the files under contrib/ and
// cron.d/:
//
//	go run ./tools/package -version 1.2.3 -bin bin -out dist
//
// writes dist/suricron_1.2.3_amd64.deb and prints its path. It runs from
// the repository root (make package does that).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

func main() {
	path, err := run(os.Args[1:], os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "package: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

func run(args []string, stderr io.Writer) (string, error) {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "0.0.0", "package version (a git describe string is turned into a Debian version)")
	binDir := fs.String("bin", "bin", "directory holding the built commands")
	outDir := fs.String("out", "dist", "output directory")
	root := fs.String("root", ".", "repository root (contrib/, cron.d/, README.md)")
	arch := fs.String("arch", "amd64", "Debian architecture of the binaries")
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	v := DebianVersion(*version)
	docDir, err := os.MkdirTemp("", "suricron-package-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(docDir)
	docs, err := writeDocs(docDir, *binDir, *root, v, time.Now())
	if err != nil {
		return "", fmt.Errorf("man pages and completions (run make build first): %w", err)
	}
	info, err := packageInfo(v, *arch, *binDir, *root, docs)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return "", err
	}
	target := filepath.Join(*outDir, fmt.Sprintf("suricron_%s_%s.deb", v, *arch))
	tmp := target + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("build %s: %w", target, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", err
	}
	// Renamed only when complete, so a failed build never leaves a
	// truncated .deb that a later dpkg -i would try.
	return target, os.Rename(tmp, target)
}

// DebianVersion maps `git describe --tags --always --dirty` output to a
// version dpkg accepts and orders sensibly: v1.2.3 → 1.2.3,
// v1.2.3-4-gabc → 1.2.3+4.gabc, a bare hash → 0.0.0~gitabc (sorts before
// any release), -dirty → +dirty.
func DebianVersion(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if s == "" {
		return "0.0.0"
	}
	if s[0] < '0' || s[0] > '9' {
		s = "0.0.0~git" + s
	}
	s = strings.NewReplacer("-", "+", "_", ".").Replace(s)
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s = s[:i+1] + strings.ReplaceAll(s[i+1:], "+", ".")
	}
	// What dpkg accepts as upstream_version here: a digit first, then
	// alphanumerics and . + ~ (no hyphen: that would start a revision).
	if !regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`).MatchString(s) {
		return "0.0.0~invalid"
	}
	return s
}

func packageInfo(version, arch, binDir, root string, docs []generated) (*nfpm.Info, error) {
	var contents files.Contents
	add := func(src, dst, typ string, mode os.FileMode) error {
		if _, err := os.Stat(src); err != nil {
			return err
		}
		contents = append(contents, &files.Content{Source: src, Destination: dst, Type: typ,
			FileInfo: &files.ContentFileInfo{Mode: mode, Owner: "root", Group: "root"}})
		return nil
	}
	var errs []error
	// The binaries the package installs into /usr/bin.
	for _, c := range commandNames {
		errs = append(errs, add(filepath.Join(binDir, c), "/usr/bin/"+c, files.TypeFile, 0o755))
	}
	for _, d := range docs {
		errs = append(errs, add(d.src, d.dst, files.TypeFile, 0o644))
	}
	// Conffiles: an operator's edits survive upgrades (dpkg asks).
	errs = append(errs,
		add(filepath.Join(root, "cron.d", "suricron"), "/etc/cron.d/suricron", files.TypeConfigNoReplace, 0o644),
		add(filepath.Join(root, "contrib", "suricron.toml"), "/etc/suricron/suricron.toml", files.TypeConfigNoReplace, 0o644),
		add(filepath.Join(root, "contrib", "sysusers.d", "suricron.conf"), "/usr/lib/sysusers.d/suricron.conf", files.TypeFile, 0o644),
		add(filepath.Join(root, "contrib", "suricron.toml"), "/usr/share/doc/suricron/examples/suricron.toml", files.TypeFile, 0o644),
	)
	units, err := filepath.Glob(filepath.Join(root, "contrib", "systemd", "suricron-*"))
	if err != nil {
		return nil, err
	}
	if len(units) == 0 {
		errs = append(errs, errors.New("no systemd units in contrib/systemd"))
	}
	for _, u := range units {
		errs = append(errs, add(u, "/usr/lib/systemd/system/"+filepath.Base(u), files.TypeFile, 0o644))
	}
	if _, err := os.Stat(filepath.Join(root, "README.md")); err == nil {
		errs = append(errs, add(filepath.Join(root, "README.md"), "/usr/share/doc/suricron/README.md", files.TypeFile, 0o644))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("package contents (run make build first): %w", err)
	}
	info := &nfpm.Info{
		Name:        "suricron",
		Arch:        arch,
		Platform:    "linux",
		Version:     version,
		Section:     "net",
		Priority:    "optional",
		Maintainer:  "suricron maintainers <suricron@localhost>",
		Description: description(),
		Homepage:    "https://github.com/suricron/suricron",
		License:     "UNDECLARED (see /usr/share/doc/suricron/copyright)",
		Overridables: nfpm.Overridables{
			Depends:    []string{"passwd"},
			Recommends: []string{"cron | systemd-sysv", "default-mta | mail-transport-agent"},
			Suggests:   []string{"suricata", "prometheus-node-exporter"},
			Contents:   contents,
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(root, "contrib", "debian", "postinst"),
				PostRemove:  filepath.Join(root, "contrib", "debian", "postrm"),
			},
		},
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return nil, err
	}
	return info, nil
}

// description names every packaged command (from commandNames, so a new
// command cannot be left out of it, as eve-ship was).
func description() string {
	list := strings.Join(commandNames[:len(commandNames)-1], ", ") + " and " + commandNames[len(commandNames)-1]
	return "Suricata sensor jobs for cron\n" + list + ":\nsmall commands that read eve.json from where they stopped, do one job\nand exit, run from /etc/cron.d/suricron or the systemd timers."
}
