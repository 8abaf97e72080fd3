#!/bin/sh
# Prints the version of a build from git, as a semantic version that is also
# a Debian upstream version that sorts right with dpkg --compare-versions.
# The nearest v* tag (git describe) gives the version:
#   HEAD tagged v0.2.0           -> 0.2.0
#   HEAD tagged v0.3.0-rc1       -> 0.3.0~rc1   (sorts before 0.3.0)
#   later commits                -> 0.2.0+git<YYYYMMDD>.<hash>  (commit date, UTC)
#   no v* tag at all             -> 0.2.0~git<YYYYMMDD>.<hash>  (a clean CI clone may
#                                   have no tags; "~" sorts these builds before the
#                                   0.2.0 that tagging will produce, not after it)
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
# v[0-9]* rather than v*: a tag such as "vendor-drop" is not a version.
# A "-" (pre-release) becomes "~", which dpkg sorts before the release.
if tag=$(git describe --tags --exact-match --match 'v[0-9]*' HEAD 2>/dev/null); then
  if [ -z "$dirty" ]; then
    echo "${tag#v}" | tr - '~'
    exit 0
  fi
fi
sep=+
if base=$(git describe --tags --abbrev=0 --match 'v[0-9]*' HEAD 2>/dev/null); then
  base=$(echo "${base#v}" | tr - '~')
else
  base=$FALLBACK
  sep='~'
fi
date=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d HEAD)
hash=$(git rev-parse --short=7 HEAD)
echo "${base}${sep}git${date}.${hash}${dirty}"
