package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"github.com/suricron/suricron/internal/cli"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// commandNames are the binaries the package installs.
var commandNames = []string{"rules-update", "alert-digest", "telemetry-send", "dump-data", "weekly-report", "eve-ship"}

// generated is one file written at build time: source in the temp dir,
// destination in the package.
type generated struct{ src, dst string }

// writeDocs writes into dir what the package ships beside the binaries:
// a man page per command and the shell completions, both produced by the
// binaries themselves from their kong model (--help-man, --completion), so
// they match the flags exactly; suricron.toml(5) from the annotated example
// config; the copyright file and the Debian changelog.
func writeDocs(dir, binDir, root, version string, now time.Time) ([]generated, error) {
	var out []generated
	write := func(name, dst string, data []byte, compress bool) error {
		if compress {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			zw.ModTime = time.Unix(0, 0) // reproducible
			zw.Write(data)
			if err := zw.Close(); err != nil {
				return err
			}
			data = b.Bytes()
		}
		src := filepath.Join(dir, name)
		if err := os.WriteFile(src, data, 0o644); err != nil {
			return err
		}
		out = append(out, generated{src, dst})
		return nil
	}
	for _, c := range commandNames {
		bin := filepath.Join(binDir, c)
		man, err := exec.Command(bin, "--help-man").Output()
		if err != nil {
			return nil, fmt.Errorf("%s --help-man: %w", bin, err)
		}
		if err := write(c+".1.gz", "/usr/share/man/man1/"+c+".1.gz", man, true); err != nil {
			return nil, err
		}
		for _, sh := range []struct{ shell, dst string }{
			{"bash", "/usr/share/bash-completion/completions/" + c},
			{"zsh", "/usr/share/zsh/vendor-completions/_" + c},
			{"fish", "/usr/share/fish/vendor_completions.d/" + c + ".fish"},
		} {
			script, err := exec.Command(bin, "--completion", sh.shell).Output()
			if err != nil {
				return nil, fmt.Errorf("%s --completion %s: %w", bin, sh.shell, err)
			}
			if err := write(c+"."+sh.shell, sh.dst, script, false); err != nil {
				return nil, err
			}
		}
	}
	example, err := os.ReadFile(filepath.Join(root, "contrib", "suricron.toml"))
	if err != nil {
		return nil, err
	}
	if err := write("suricron.toml.5.gz", "/usr/share/man/man5/suricron.toml.5.gz", configManPage(version, example), true); err != nil {
		return nil, err
	}
	if err := write("copyright", "/usr/share/doc/suricron/copyright", []byte(copyrightText(now)), false); err != nil {
		return nil, err
	}
	if err := write("changelog.Debian.gz", "/usr/share/doc/suricron/changelog.Debian.gz", []byte(changelogText(version, now)), true); err != nil {
		return nil, err
	}
	return out, nil
}

// configManPage is suricron.toml(5): the rules of the file, then the
// annotated example verbatim, which TestExampleConfigCoversEveryFlag keeps
// complete.
func configManPage(version string, example []byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH SURICRON.TOML 5 \"\" \"suricron %s\" \"suricron manual\"\n", cli.Roff(version))
	b.WriteString(".SH NAME\nsuricron.toml \\- configuration of the suricron commands\n")
	b.WriteString(".SH DESCRIPTION\n" + cli.Roff("/etc/suricron/suricron.toml is read by every suricron command (another file with --config or SURICRON_CONFIG). Every flag of a command can be set here: the flag --min-severity of alert-digest is the key min_severity in its table. Precedence: command line, then environment (SURICRON_MIN_SEVERITY), then this file, then the default. A list means what the flag given once per element means. Unknown keys are an error that names them; run any command with --check-config to see the effective settings and where each comes from.") + "\n")
	b.WriteString(".SH TABLES\n")
	for _, t := range [][2]string{
		{"top level", "state_dir, log_level, log_format, metrics_file"},
		{"[eve]", "path, rotated (shared by the commands that read eve.json)"},
		{"[mail]", "to, from, smtp, sendmail, username, password_file, ca_file, timeout (alert-digest and weekly-report)"},
		{"[rules]", "rules-update"},
		{"[digest]", "alert-digest"},
		{"[telemetry]", "telemetry-send and dump-data"},
		{"[report]", "weekly-report"},
	} {
		fmt.Fprintf(&b, ".TP\n\\fB%s\\fR\n%s\n", cli.Roff(t[0]), cli.Roff(t[1]))
	}
	b.WriteString(".SH SECRETS\n" + cli.Roff("Passwords, the telemetry token and the ET Pro oinkcode are never values here: password_file, token_file and oinkcode_file name files, which should be owned by the suricron user (or root) with mode 0600 or 0640.") + "\n")
	b.WriteString(".SH EXAMPLE\nThe annotated example shipped as /usr/share/doc/suricron/examples/suricron.toml:\n.PP\n.nf\n")
	for _, l := range strings.Split(strings.TrimRight(string(example), "\n"), "\n") {
		b.WriteString(cli.Roff(l) + "\n")
	}
	b.WriteString(".fi\n.SH SEE ALSO\n")
	var refs []string
	for _, c := range commandNames {
		refs = append(refs, `\fB`+cli.Roff(c)+`\fR(1)`)
	}
	b.WriteString(strings.Join(refs, ", ") + "\n")
	return []byte(b.String())
}

// copyrightText is the machine-readable debian/copyright. The repository
// declares no licence file yet; the field says so rather than invent one.
func copyrightText(now time.Time) string {
	return fmt.Sprintf(`Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: suricron
Upstream-Contact: suricron maintainers <suricron@localhost>
Source: https://github.com/suricron/suricron

Files: *
Copyright: 2026-%d suricron maintainers
License: UNDECLARED
 The suricron repository does not declare a licence yet. The Go modules
 compiled into the binaries keep their own licences; they are listed in
 /usr/share/doc/suricron/README.md (DEPENDENCIES.md in the source).
`, now.Year())
}

// changelogText is a one-entry Debian changelog for this build.
func changelogText(version string, now time.Time) string {
	return fmt.Sprintf(`suricron (%s) unstable; urgency=medium

  * Build of suricron %s. Changes are described in the git history and
    in /usr/share/doc/suricron/README.md.

 -- suricron maintainers <suricron@localhost>  %s
`, version, version, now.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
}
