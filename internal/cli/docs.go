package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/suricron/suricron/internal/exitcode"
)

// The man page and the shell completions are written from the same kong
// model as --help (hidden --help-man and --completion=SHELL, used by
// tools/package), so they cannot drift from the flags a binary has.

// docFlag is one visible flag of a node, in help order.
type docFlag struct {
	*kong.Flag
	shared bool
}

func visibleFlags(n *kong.Node) []docFlag {
	var own, shared []docFlag
	for _, f := range n.Flags {
		if f.Hidden {
			continue
		}
		if f.Group != nil && f.Group.Key == "shared" {
			shared = append(shared, docFlag{f, true})
		} else {
			own = append(own, docFlag{f, false})
		}
	}
	return append(own, shared...)
}

func subcommands(n *kong.Node) []*kong.Node {
	var out []*kong.Node
	for _, c := range n.Children {
		if c.Type == kong.CommandNode && !c.Hidden {
			out = append(out, c)
		}
	}
	return out
}

// Roff escapes text for a man page body line (also used by tools/package
// for the suricron.toml(5) page).
func Roff(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	// Non-ASCII as groff's \[uXXXX], so the page renders without preconv.
	var b strings.Builder
	for _, r := range s {
		if r > 126 {
			fmt.Fprintf(&b, `\[u%04X]`, r)
		} else {
			b.WriteRune(r)
		}
	}
	s = b.String()
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func flagSyntax(f *kong.Flag) string {
	s := `\fB\-\-` + Roff(f.Name) + `\fR`
	if f.Short != 0 {
		s = `\fB\-` + string(f.Short) + `\fR, ` + s
	}
	if !f.IsBool() && !f.IsCounter() {
		s += `=\fI` + Roff(f.FormatPlaceHolder()) + `\fR`
	}
	return s
}

// writeMan writes the section 1 page of the application.
func writeMan(w io.Writer, app *kong.Application, version string) {
	name := app.Name
	fmt.Fprintf(w, ".TH %s 1 \"\" \"suricron %s\" \"suricron manual\"\n", strings.ToUpper(Roff(name)), Roff(version))
	summary, _, _ := strings.Cut(app.Help, ". ")
	fmt.Fprintf(w, ".SH NAME\n%s \\- %s\n", Roff(name), Roff(strings.TrimSuffix(summary, ".")))
	fmt.Fprintf(w, ".SH SYNOPSIS\n\\fB%s\\fR [\\fIflags\\fR]", Roff(name))
	if subs := subcommands(app.Node); len(subs) > 0 {
		names := make([]string, len(subs))
		for i, c := range subs {
			names[i] = Roff(c.Name)
		}
		fmt.Fprintf(w, " [%s]", strings.Join(names, " | "))
	}
	fmt.Fprintf(w, "\n.SH DESCRIPTION\n%s\n", Roff(app.Help))
	writeManFlags := func(flags []docFlag, shared bool) {
		for _, f := range flags {
			if f.shared != shared {
				continue
			}
			fmt.Fprintf(w, ".TP\n%s\n%s\n", flagSyntax(f.Flag), Roff(helpValue(f.Value)))
		}
	}
	flags := visibleFlags(app.Node)
	fmt.Fprintf(w, ".SH OPTIONS\n")
	writeManFlags(flags, false)
	fmt.Fprintf(w, ".SS Shared flags (every command)\n")
	writeManFlags(flags, true)
	if subs := subcommands(app.Node); len(subs) > 0 {
		fmt.Fprintf(w, ".SH COMMANDS\n")
		for _, c := range subs {
			fmt.Fprintf(w, ".TP\n\\fB%s\\fR\n%s\n", Roff(c.Name), Roff(c.Help))
			for _, f := range visibleFlags(c) {
				fmt.Fprintf(w, ".RS\n.TP\n%s\n%s\n.RE\n", flagSyntax(f.Flag), Roff(helpValue(f.Value)))
			}
		}
	}
	fmt.Fprintf(w, ".SH CONFIGURATION\nEvery flag can also be set in %s (see \\fBsuricron.toml\\fR(5)) or through the environment variable named in its description; the command line wins over the environment, which wins over the file.\n", Roff(DefaultConfigPath))
	fmt.Fprintf(w, ".SH EXIT STATUS\n")
	for _, e := range []struct {
		code int
		text string
	}{
		{exitcode.ExitOK, "success, including \"nothing new\" and \"no change\""},
		{exitcode.ExitFailure, "the run failed; nothing was committed"},
		{exitcode.ExitUsage, "usage or configuration error, missing secret"},
		{exitcode.ExitData, "bad data stops the run (corrupt state file, rejected rules tarball)"},
		{exitcode.ExitTempFail, "temporary: lock busy or server unreachable; the next run retries"},
		{exitcode.ExitInterrupted, "interrupted by SIGINT or SIGTERM"},
	} {
		fmt.Fprintf(w, ".TP\n\\fB%d\\fR\n%s\n", e.code, Roff(e.text))
	}
	if ex, ok := examples[name]; ok {
		fmt.Fprintf(w, ".SH EXAMPLES\n.nf\n")
		for _, l := range strings.Split(ex, "\n") {
			fmt.Fprintf(w, "%s\n", Roff(l))
		}
		fmt.Fprintf(w, ".fi\n")
	}
	fmt.Fprintf(w, ".SH FILES\n.TP\n%s\nthe configuration\n.TP\n/var/lib/suricron\ncheckpoints, locks and caches\n.TP\n/etc/cron.d/suricron\nthe cron jobs\n", Roff(DefaultConfigPath))
	var others []string
	for _, c := range []string{"alert-digest", "dump-data", "rules-update", "telemetry-send", "weekly-report"} {
		if c != name {
			others = append(others, `\fB`+Roff(c)+`\fR(1)`)
		}
	}
	fmt.Fprintf(w, ".SH SEE ALSO\n\\fBsuricron.toml\\fR(5), %s\n", strings.Join(others, ", "))
}

// shortHelp is the first sentence of a flag's help, for completion menus.
func shortHelp(f *kong.Flag) string {
	h, _, _ := strings.Cut(f.Help, ". ")
	h = strings.TrimSuffix(h, ".")
	if r := []rune(h); len(r) > 70 {
		h = string(r[:67]) + "..."
	}
	return h
}

func takesFile(f *kong.Flag) bool {
	switch f.PlaceHolder {
	case "FILE", "PATH", "DIR", "GLOB":
		return true
	}
	return f.Tag.Type == "path"
}

// allFlags are the visible flags of the app and its subcommands, by name.
func allFlags(app *kong.Application) []*kong.Flag {
	seen := map[string]bool{}
	var out []*kong.Flag
	add := func(n *kong.Node) {
		for _, f := range visibleFlags(n) {
			if !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f.Flag)
			}
		}
	}
	add(app.Node)
	for _, c := range subcommands(app.Node) {
		add(c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// writeCompletion writes the completion script for shell.
func writeCompletion(w io.Writer, app *kong.Application, shell string) error {
	name := app.Name
	flags := allFlags(app)
	var subs []string
	for _, c := range subcommands(app.Node) {
		subs = append(subs, c.Name)
	}
	switch shell {
	case "bash":
		fn := "_suricron_" + strings.ReplaceAll(name, "-", "_")
		var words []string
		for _, f := range flags {
			words = append(words, "--"+f.Name)
			if f.Short != 0 {
				words = append(words, "-"+string(f.Short))
			}
		}
		words = append(words, subs...)
		fmt.Fprintf(w, "# bash completion for %s (generated from its flags)\n", name)
		fmt.Fprintf(w, "%s() {\n\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n", fn)
		fmt.Fprintf(w, "\tcase $prev in\n")
		for _, f := range flags {
			if len(f.Enum) > 0 {
				fmt.Fprintf(w, "\t--%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", f.Name, strings.Join(f.EnumSlice(), " "))
			}
		}
		fmt.Fprintf(w, "\tesac\n\tif [[ $cur == -* ]]; then\n\t\tCOMPREPLY=($(compgen -W %q -- \"$cur\"))\n", strings.Join(words, " "))
		if len(subs) > 0 {
			fmt.Fprintf(w, "\telif [[ $COMP_CWORD -eq 1 ]]; then\n\t\tCOMPREPLY=($(compgen -W %q -- \"$cur\"))\n", strings.Join(subs, " "))
		}
		fmt.Fprintf(w, "\tfi\n}\ncomplete -o default -o bashdefault -F %s %s\n", fn, name)
	case "zsh":
		q := strings.NewReplacer("'", "'\\''", "[", "(", "]", ")", ":", " ")
		fmt.Fprintf(w, "#compdef %s\n# zsh completion for %s (generated from its flags)\n_arguments -s \\\n", name, name)
		for _, f := range flags {
			arg := ""
			if !f.IsBool() && !f.IsCounter() {
				action := " "
				switch {
				case len(f.Enum) > 0:
					action = "(" + strings.Join(f.EnumSlice(), " ") + ")"
				case takesFile(f):
					action = "_files"
				}
				arg = ":" + q.Replace(f.FormatPlaceHolder()) + ":" + action
			}
			eq := ""
			if arg != "" {
				eq = "="
			}
			fmt.Fprintf(w, "  '--%s%s[%s]%s' \\\n", f.Name, eq, q.Replace(shortHelp(f)), arg)
			if f.Short != 0 {
				fmt.Fprintf(w, "  '-%c[%s]%s' \\\n", f.Short, q.Replace(shortHelp(f)), arg)
			}
		}
		if len(subs) > 0 {
			fmt.Fprintf(w, "  '1:command:(%s)' \\\n", strings.Join(subs, " "))
		}
		fmt.Fprintf(w, "  '*::file:_files'\n")
	case "fish":
		q := strings.NewReplacer(`\`, `\\`, "'", `\'`)
		fmt.Fprintf(w, "# fish completion for %s (generated from its flags)\n", name)
		if len(subs) > 0 {
			for _, c := range subcommands(app.Node) {
				fmt.Fprintf(w, "complete -c %s -n __fish_use_subcommand -f -a %s -d '%s'\n", name, c.Name, q.Replace(c.Help))
			}
		}
		for _, f := range flags {
			line := fmt.Sprintf("complete -c %s -l %s", name, f.Name)
			if f.Short != 0 {
				line += fmt.Sprintf(" -s %c", f.Short)
			}
			if !f.IsBool() && !f.IsCounter() {
				line += " -r"
				switch {
				case len(f.Enum) > 0:
					line += " -f -a '" + strings.Join(f.EnumSlice(), " ") + "'"
				case takesFile(f):
					line += " -F"
				default:
					line += " -f"
				}
			}
			fmt.Fprintf(w, "%s -d '%s'\n", line, q.Replace(shortHelp(f)))
		}
	default:
		return exitcode.Usagef("--completion %q: want bash, zsh or fish", shell)
	}
	return nil
}
