#!/bin/bash
# Benchmark rules-update against Debian's suricata-update with the same
# inputs, both measured in this same run, interleaved round by round:
#
#   three sources served over HTTP on loopback (python3 http.server on a
#   free 127.0.0.1 port, each with its .md5 sidecar):
#     1. the ET Open tarball (../shared/testdata/et-open),
#     2. a tarball of Suricata 7.0.17's own rules files (renamed oisf-*.rules),
#     3. a single hunting.rules file (ET 2017's emerging-trojan.rules: an
#        older, overlapping source, so the higher rev must win in place),
#   a --local directory of two rules files, and the disable.conf of
#   research/rules.md §4.1.
#
# For each of "cold" (empty state, cache and output) and "no change" (the
# state a cold run left) it prints min / median / max wall time over RUNS
# rounds, the peak RSS, the load average before and after, and whether the
# two outputs are byte-identical. Both read the same suricata.yaml
# (Suricata 7.0.17's, with smb off, ja3 fingerprints off and SQL_SERVERS
# removed), so rules it turns off are written disabled. Targets: cold >= 10x faster with < 100 MB.
#
# Timing: bash's $EPOCHREALTIME (microseconds, a builtin: no fork inside
# the timed span) around the bare command; /usr/bin/time (10 ms
# resolution) only for peak RSS (%M), in separate runs of the same
# scenario. Our no-change run takes milliseconds, so it is repeated
# NOCHANGE_REPS times per round; suricata-update's takes seconds, once.
#
# Env: ET (default ../shared/testdata/et-open/emerging.rules.tar.gz),
# ET2017, DIST (Suricata's rules dir), SURIYAML, RUNS (3), NOCHANGE_REPS (10).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=$ROOT/../shared/testdata
ET=${ET:-$SHARED/et-open/emerging.rules.tar.gz}
ET2017=${ET2017:-$SHARED/et-open/emerging-2017.rules.tar.gz}
DIST=${DIST:-$SHARED/suricata-7.0.17/rules}
SURIYAML=${SURIYAML:-$SHARED/suricata-7.0.17/etc/suricata.yaml}
RUNS=${RUNS:-3}
NOCHANGE_REPS=${NOCHANGE_REPS:-10}
for f in "$ET" "$ET2017" "$DIST" "$SURIYAML"; do
	[ -e "$f" ] || { echo "input not found: $f (set ET=, ET2017=, DIST=, SURIYAML=)" >&2; exit 1; }
done

need_apt() {
	if [ "$(id -u)" != 0 ]; then echo "need root to install $*" >&2; exit 1; fi
	apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
}
command -v suricata-update >/dev/null 2>&1 || need_apt suricata-update
[ -x /usr/bin/time ] || need_apt time

W=$(mktemp -d)
SERVER_PID=
cleanup() {
	# Only the server this script started, by its pid.
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

# The served tree.
mkdir -p "$W/www" "$W/build/rules" "$W/local"
cp "$ET" "$W/www/emerging.rules.tar.gz"
for f in "$DIST"/*.rules; do cp "$f" "$W/build/rules/oisf-$(basename "$f")"; done
tar -C "$W/build" -czf "$W/www/oisf.rules.tar.gz" rules
tar -xzf "$ET2017" -O rules/emerging-trojan.rules > "$W/www/hunting.rules"
for f in "$W"/www/*; do md5sum "$f" | cut -d' ' -f1 > "$f.md5"; done
cat > "$W/local/site.rules" <<'RULES'
alert tcp $HOME_NET any -> $EXTERNAL_NET 4444 (msg:"LOCAL outbound 4444"; flow:to_server,established; classtype:trojan-activity; sid:9900001; rev:1;)
alert dns $HOME_NET any -> any any (msg:"LOCAL lookup of example.invalid"; dns.query; content:"example.invalid"; nocase; classtype:policy-violation; sid:9900002; rev:1;)
RULES
cat > "$W/local/more.rules" <<'RULES'
# alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"LOCAL disabled"; http.uri; content:"/x"; sid:9900003; rev:1;)
alert icmp any any -> $HOME_NET any (msg:"LOCAL icmp sweep"; itype:8; threshold:type both, track by_src, count 50, seconds 10; sid:9900004; rev:1;)
RULES
cat > "$W/disable.conf" <<'CONF'
2013028
1:2012648
re:heartbleed
group:emerging-games.rules
group:emerging-p2p
CONF
printf 'ignore:\n  - "*deleted.rules"\n' > "$W/update.yaml"
# suricata-update reads suricata.yaml only through a suricata binary
# (--dump-config); this machine has none, so it gets the PyYAML stand-in
# the anchor test uses (internal/rules/testdata).
sed -e 's/^      #ja3-fingerprints: auto/      ja3-fingerprints: no/' -e '/^    SQL_SERVERS:/d' \
	-e '/^    smb:$/{n;s/enabled: yes/enabled: no/}' "$SURIYAML" > "$W/suricata.yaml"
mkdir -p "$W/bin" && cp "$ROOT/internal/rules/testdata/fake-suricata" "$W/bin/suricata" && chmod +x "$W/bin/suricata"
: > "$W/none.toml"

(cd "$W/www" && exec python3 -u -m http.server --bind 127.0.0.1 0 >"$W/server.out" 2>&1) &
SERVER_PID=$!
PORT=
for _ in $(seq 100); do
	PORT=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$W/server.out" | head -n 1)
	[ -n "$PORT" ] && break
	sleep 0.1
done
[ -n "$PORT" ] || { echo "http server did not start:" >&2; cat "$W/server.out" >&2; exit 1; }
BASE=http://127.0.0.1:$PORT
URLS=("$BASE/emerging.rules.tar.gz" "$BASE/oisf.rules.tar.gz" "$BASE/hunting.rules")

(cd "$ROOT" && go build -o "$W/rules-update" ./cmd/rules-update)

OURS_ARGS=(--disable-conf "$W/disable.conf" --local "$W/local" --suricata-rules-dir none --suricata-conf "$W/suricata.yaml")
SU_ARGS=(--disable-conf "$W/disable.conf" --local "$W/local" --suricata "$W/bin/suricata" --suricata-conf "$W/suricata.yaml")
for u in "${URLS[@]}"; do OURS_ARGS+=(--url "$u"); SU_ARGS+=(--url "$u"); done

run_ours() {
	"$W/rules-update" -q -c "$W/none.toml" "${OURS_ARGS[@]}" --state-dir "$W/o/state" --output "$W/o/out/suricata.rules"
}
# --now skips suricata-update's 15-minute window so that a no-change run
# really checks the md5 sidecars (harmless on a cold run: empty cache).
run_su() {
	suricata-update -q -c "$W/update.yaml" -D "$W/s/data" -o "$W/s/out" "${SU_ARGS[@]}" \
		--no-test --no-reload --suricata-version 7.0.0 --now
}
fresh() { rm -rf "$W/o" "$W/s"; mkdir -p "$W/o" "$W/s"; }

: > "$W/results"
fail() { echo "$1 failed:" >&2; cat "$W/err.out" >&2; exit 1; }
timed() {
	local t0 t1
	t0=${EPOCHREALTIME/./}
	"$2" >/dev/null 2>"$W/err.out" || fail "$1"
	t1=${EPOCHREALTIME/./}
	echo "$1 wall $((t1 - t0))" >> "$W/results"
}
rss() {
	export -f run_ours run_su
	export W
	# Arrays do not cross "bash -c": pass them flattened, NUL-safe enough
	# for paths without newlines.
	OURS_FLAT=$(printf '%q ' "${OURS_ARGS[@]}") SU_FLAT=$(printf '%q ' "${SU_ARGS[@]}") \
		/usr/bin/time -f "%M" -o "$W/time.out" bash -c "eval OURS_ARGS=(\$OURS_FLAT); eval SU_ARGS=(\$SU_FLAT); $2" \
		>/dev/null 2>"$W/err.out" || fail "$1"
	echo "$1 rss $(tail -n 1 "$W/time.out")" >> "$W/results"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
i=0
while [ "$i" -lt "$RUNS" ]; do
	i=$((i + 1))
	fresh
	timed ours-cold run_ours
	timed su-cold run_su
	j=0
	while [ "$j" -lt "$NOCHANGE_REPS" ]; do
		j=$((j + 1))
		timed ours-nochange run_ours
	done
	timed su-nochange run_su
	fresh
	rss ours-cold run_ours
	rss su-cold run_su
	rss ours-nochange run_ours
	rss su-nochange run_su
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
if cmp -s "$W/o/out/suricata.rules" "$W/s/out/suricata.rules"; then same=identical; else same=DIFFERENT; fi
lines=$(wc -l < "$W/o/out/suricata.rules")

awk -v runs="$RUNS" -v reps="$NOCHANGE_REPS" -v same="$same" -v lines="$lines" -v lb="$load_before" -v la="$load_after" -v cores="$(nproc)" '
function sortw(name, a,   n, i, j, t) {
	n = cnt[name]
	for (i = 1; i <= n; i++) a[i] = wall[name, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n
}
function med(name,   n, a) {
	n = sortw(name, a)
	if (n % 2) return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}
function lo(name,   a) { sortw(name, a); return a[1] }
function hi(name,   n, a) { n = sortw(name, a); return a[n] }
$2 == "wall" { cnt[$1]++; wall[$1, cnt[$1]] = $3 / 1000 }
$2 == "rss" { if ($3 > rss[$1]) rss[$1] = $3 }
END {
	printf "rules-update vs Debian suricata-update: 3 HTTP sources (ET Open, Suricata 7.0.17 rules, hunting.rules) + --local dir + disable.conf + suricata.yaml (smb, ja3, SQL_SERVERS off)\n"
	printf "outputs %s (%d lines); %d cold rounds; no change: %d runs (ours), %d (suricata-update); load average %s before, %s after (%d cores)\n", same, lines, runs, runs * reps, runs, lb, la, cores
	split("cold nochange", sc, " ")
	target["cold"] = "target >= 10x, < 100 MB"; target["nochange"] = ""
	for (k = 1; k <= 2; k++) {
		o = "ours-" sc[k]; s = "su-" sc[k]
		printf "%-9s ours min/med/max %7.1f/%7.1f/%7.1f ms %6.1f MB | suricata-update %7.1f/%7.1f/%7.1f ms %6.1f MB | %5.1fx faster (median) %s\n",
			sc[k] ":", lo(o), med(o), hi(o), rss[o] / 1024, lo(s), med(s), hi(s), rss[s] / 1024, med(s) / med(o), target[sc[k]]
	}
}' "$W/results"
