#!/bin/sh
# Benchmark rules-update against Debian's suricata-update on the same ET Open
# tarball and disable.conf (research/rules.md §4.1), fully offline via
# file:// URLs, each tool with its own temp data dir. Prints wall time and
# peak RSS (/usr/bin/time) for a cold install and for a "no change" run,
# and the ratios. Targets: cold >= 6x faster with < 100 MB RSS, no change
# >= 20x faster.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARBALL=${TARBALL:-$ROOT/../shared/testdata/et-open/emerging.rules.tar.gz}
RUNS=${RUNS:-3}
[ -f "$TARBALL" ] || { echo "tarball not found: $TARBALL (set TARBALL=)" >&2; exit 1; }

need_apt() {
	if [ "$(id -u)" != 0 ]; then echo "need root to install $*" >&2; exit 1; fi
	apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
}
command -v suricata-update >/dev/null 2>&1 || need_apt suricata-update
[ -x /usr/bin/time ] || need_apt time

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT INT TERM
# A private copy of the tarball and its md5 sidecar, so both tools see the
# same file:// source.
cp "$TARBALL" "$W/emerging.rules.tar.gz"
if [ -f "$TARBALL.md5" ]; then cp "$TARBALL.md5" "$W/emerging.rules.tar.gz.md5"; else md5sum "$W/emerging.rules.tar.gz" | cut -d' ' -f1 > "$W/emerging.rules.tar.gz.md5"; fi
URL="file://$W/emerging.rules.tar.gz"
cat > "$W/disable.conf" <<'CONF'
2013028
1:2012648
re:heartbleed
group:emerging-games.rules
group:emerging-p2p
CONF
printf 'ignore:\n  - "*deleted.rules"\n' > "$W/update.yaml"

(cd "$ROOT" && go build -o "$W/rules-update" ./cmd/rules-update)

# measure NAME CMD...: appends "NAME wall_s rss_kb" to $W/results.
measure() {
	name=$1; shift
	/usr/bin/time -f "%e %M" -o "$W/time.out" "$@" >/dev/null 2>"$W/err.out" || {
		echo "$name failed:" >&2; cat "$W/err.out" >&2; exit 1; }
	echo "$name $(cat "$W/time.out")" >> "$W/results"
}

: > "$W/none.toml"
: > "$W/results"

i=0
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	rm -rf "$W/o" "$W/s"; mkdir -p "$W/o" "$W/s"
	measure ours-cold "$W/rules-update" -q -c "$W/none.toml" --url "$URL" --disable-conf "$W/disable.conf" \
		--state-dir "$W/o/state" --output "$W/o/out/suricata.rules"
	measure su-cold suricata-update -q -c "$W/update.yaml" -D "$W/s/data" -o "$W/s/out" --url "$URL" \
		--disable-conf "$W/disable.conf" --no-test --no-reload --suricata-version 7.0.0
	# --now skips suricata-update's 15-minute window so it really checks the
	# md5 sidecar and reaches its own "No changes detected" path.
	measure ours-nochange "$W/rules-update" -q -c "$W/none.toml" --url "$URL" --disable-conf "$W/disable.conf" \
		--state-dir "$W/o/state" --output "$W/o/out/suricata.rules"
	measure su-nochange suricata-update -q -c "$W/update.yaml" -D "$W/s/data" -o "$W/s/out" --url "$URL" \
		--disable-conf "$W/disable.conf" --no-test --no-reload --suricata-version 7.0.0 --now
done

if cmp -s "$W/o/out/suricata.rules" "$W/s/out/suricata.rules"; then same=identical; else same=DIFFERENT; fi

awk -v runs="$RUNS" -v same="$same" '
function med(name,   n, i, j, t, a) {
	n = cnt[name]
	for (i = 1; i <= n; i++) a[i] = wall[name, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return a[int((n + 1) / 2)]
}
{ cnt[$1]++; wall[$1, cnt[$1]] = $2; if ($3 > rss[$1]) rss[$1] = $3 }
END {
	printf "rules-update vs suricata-update, %d runs each (median wall, peak RSS); outputs %s\n", runs, same
	printf "%-10s %12s %12s %12s %12s %8s\n", "scenario", "ours s", "ours MB", "su s", "su MB", "speedup"
	split("cold nochange", sc, " ")
	for (k = 1; k <= 2; k++) {
		o = med("ours-" sc[k]); s = med("su-" sc[k])
		printf "%-10s %12.3f %12.1f %12.3f %12.1f %7.1fx\n", sc[k], o, rss["ours-" sc[k]] / 1024, s, rss["su-" sc[k]] / 1024, (o > 0 ? s / o : 0)
	}
}' "$W/results"
