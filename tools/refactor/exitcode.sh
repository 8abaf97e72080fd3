#!/bin/sh
# exitcode.sh rewrites the call sites of what moved out of internal/cli
# (issue 15) in the tree at $1 (default: the current directory):
#
#   cli.WithCode cli.Usage cli.Usagef cli.Data cli.TempFail  -> exitcode.<same>
#   cli.ExitOK cli.ExitFailure cli.ExitUsage cli.ExitData
#   cli.ExitTempFail cli.ExitInterrupted                     -> exitcode.<same>
#   cli.ReadSecret                                           -> secretfile.Read
#   cli.Sleep                                                -> sleep.For
#
# cli.ExitCode (the one error-to-code table) stays in internal/cli and is
# not touched. Then, in every .go file of the tree, it adds the imports of
# internal/exitcode, internal/secretfile and internal/sleep where they are
# used but not imported, drops the import of internal/cli where nothing
# uses it any more, and gofmt's the files it changed (gofmt sorts the
# import group the new line went into). Files inside internal/cli are only
# given their imports: cli's own code is not spelled cli.X. Its own test
# (tools/refactor) holds the old spellings on purpose and is skipped.
#
# It is idempotent (a second run changes nothing), needs only sh, perl,
# find and the go tool (no network, no gopls), and ends with go build ./...
# so a clash (say a local variable named sleep) shows at once.
set -eu
root=${1:-.}
cd "$root"
mod=github.com/suricron/suricron
changed=$(mktemp)
trap 'rm -f "$changed"' EXIT

find . -name '*.go' -not -path './.git/*' -not -path './internal/cli/*' -not -path './tools/refactor/*' -print | while read -r f; do
	grep -q '\bcli\.\(WithCode\|Usagef\?\|Data\|TempFail\|Exit\(OK\|Failure\|Usage\|Data\|TempFail\|Interrupted\)\|ReadSecret\|Sleep\)\b' "$f" || continue
	perl -pi -e '
		s/\bcli\.(WithCode|Usagef|Usage|Data|TempFail|Exit(?:OK|Failure|Usage|Data|TempFail|Interrupted))\b/exitcode.$1/g;
		s/\bcli\.ReadSecret\b/secretfile.Read/g;
		s/\bcli\.Sleep\b/sleep.For/g;
	' "$f"
	echo "$f" >>"$changed"
done

# fiximports FILE PKG: add "$mod/internal/PKG" when FILE uses PKG. and
# lacks the import. The line goes into the group that holds the module's
# other imports, or a new last group.
fiximports() {
	f=$1 pkg=$2 path="$mod/internal/$2"
	case $f in ./internal/$pkg/*) return 0 ;; esac
	grep -v '^\s*//' "$f" | grep -q "\b$pkg\.[A-Z]" || return 0
	grep -q "\"$path\"" "$f" && return 0
	PATH_=$path perl -0pi -e '
		my $p = $ENV{PATH_};
		if (/^import \(\n(.*?)^\)/ms) {
			my $block = $1;
			my $new;
			if ($block =~ /^(\t"github\.com\/suricron\/suricron\/[^"]*"\n)/m) {
				my $first = $1;
				($new = $block) =~ s/^\Q$first\E/$first\t"$p"\n/m;
			} else {
				$new = $block . "\n\t\"$p\"\n";
			}
			s/^import \(\n\Q$block\E^\)/import (\n$new)/ms;
		} elsif (/^import ("[^"]*")\n/m) {
			s/^import ("[^"]*")\n/import (\n\t$1\n\n\t"$p"\n)\n/m;
		} else {
			s/^(package \w+\n)/$1\nimport "$p"\n/m;
		}
	' "$f"
	echo "$f" >>"$changed"
}

find . -name '*.go' -not -path './.git/*' -not -path './tools/refactor/*' -print | while read -r f; do
	for pkg in exitcode secretfile sleep; do
		fiximports "$f" "$pkg"
	done
	# Drop internal/cli where no cli.X is left (comments do not count).
	if grep -q "^\s*\"$mod/internal/cli\"$" "$f" && ! grep -v '^\s*//' "$f" | grep -q '\bcli\.[A-Z]'; then
		perl -ni -e "print unless m{^\\s*\"\\Q$mod/internal/cli\\E\"\$}" "$f"
		echo "$f" >>"$changed"
	fi
done

sort -u "$changed" | while read -r f; do
	gofmt -w "$f"
	echo "rewrote $f"
done
go build ./...
