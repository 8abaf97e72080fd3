#!/bin/sh
# Prints the version of a build from git, as a semantic version that is also
# a Debian upstream version that sorts right with dpkg --compare-versions:
#   HEAD tagged v0.2.0           -> 0.2.0
#   later commits (or no tag)    -> 0.2.0+git<YYYYMMDD>.<hash>  (commit date, UTC)
#   uncommitted changes          -> ... .dirty appended
# Without git (a tarball of the tree) it prints the fallback.
FALLBACK=0.2.0
cd "${1:-.}" 2>/dev/null || { echo "$FALLBACK"; exit 0; }
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "$FALLBACK"
  exit 0
fi
dirty=
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  dirty=.dirty
fi
if tag=$(git describe --tags --exact-match --match 'v[0-9]*' HEAD 2>/dev/null); then
  if [ -z "$dirty" ]; then
    echo "${tag#v}"
    exit 0
  fi
fi
base=$(git describe --tags --abbrev=0 --match 'v[0-9]*' HEAD 2>/dev/null) || base=v$FALLBACK
base=${base#v}
date=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d HEAD)
hash=$(git rev-parse --short=7 HEAD)
echo "${base}+git${date}.${hash}${dirty}"
