#!/usr/bin/env bash
# Runs every native fuzz target in the module for the given time each
# (default 30s). `make test` already runs their seed corpora.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-30s}
go list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $f ($t)"
    go test "$pkg" -run '^$' -fuzz "^$f\$" -fuzztime "$t"
  done
done
