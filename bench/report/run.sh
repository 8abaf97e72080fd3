#!/usr/bin/env bash
# run.sh - weekly-report benchmark (make bench).
#
# Generates SIZE_GB (default 5; on a shared machine use 1) of synthetic
# eve.json (half of the files gzip-compressed, as logrotate leaves them) and
# measures, interleaved so that a load change hits all alike, RUNS (3) times
# each:
#   report   weekly-report ad hoc over all files (all four sections);
#   plain    weekly-report over the plain files only;
#   inflate  the anchor for gzip input: klauspost inflating the .gz half;
#   jq       the anchor for plain input: jq computing only an alert summary
#            (count per signature and severity) over the plain files;
#   before   BEFORE_BIN (optional), an older weekly-report, on all files.
# Prints min/median/max seconds and peak RSS per command, the ratios the
# targets of issue 17 name, and the load average before and after. The
# collect path (state mode) is timed once. Needs /usr/bin/time, jq, gzip.
set -euo pipefail

size_gb=${SIZE_GB:-${1:-5}}
files=${FILES:-8}
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/wr-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
data=$work/data
mkdir -p "$data"
for tool in jq gzip /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (apt-get install jq gzip time)" >&2; exit 1; }
done

cd "$root"
go build -o "$work/weekly-report" ./cmd/weekly-report
go build -o "$work/evegen" ./bench/report/evegen
go build -o "$work/inflate" ./bench/report/inflate

bytes=$(awk -v g="$size_gb" 'BEGIN{printf "%.0f", g*1024*1024*1024}') # %d overflows in mawk past 2 GiB
echo "generating $size_gb GiB in $files files under $data"
truth=$("$work/evegen" -size "$bytes" -files "$files" -dir "$data")
echo "generator truth: $truth"
gz=$(ls "$data"/eve.json* | grep '\.gz$' || true)
plain=$(ls "$data"/eve.json* | grep -v '\.gz$')
plain_bytes=$(cat $plain | wc -c)
gz_raw=$("$work/inflate" $gz)
mib() { awk -v b="$1" 'BEGIN{printf "%.1f", b/1048576}'; }
echo "input: plain $(mib "$plain_bytes") MiB, gzip half $(mib "$gz_raw") MiB inflated ($(mib "$(cat $gz | wc -c)") MiB stored)"

jqsum() { jq -c 'select(.event_type=="alert") | [.alert.signature_id, .alert.severity]' $plain | sort | uniq -c | sort -rn; }
export -f jqsum
export plain

# measure LABEL CMD...: one timed run, appended to $work/LABEL.runs as
# "seconds rss_mib cpu_seconds" (cpu = user + system: on a machine shared
# with other work the wall time mostly measures the queue, the CPU time
# much less so).
measure() {
	local label=$1; shift
	/usr/bin/time -f '%e %M %U %S' -o "$work/$label.time" "$@" >"$work/$label.out" 2>"$work/$label.err" || {
		echo "$label failed:"; cat "$work/$label.err"; exit 1; }
	awk '{printf "%s %.1f %.2f\n", $1, $2/1024, $3+$4}' "$work/$label.time" >>"$work/$label.runs"
}
report() { "$1" --files "$data/eve.json*" --since 2000-01-01 --until 2100-01-01 --format json --log-format json; }
reportplain() { "$1" $(for f in $plain; do printf -- '--files %s ' "$f"; done) --since 2000-01-01 --until 2100-01-01 --format json --log-format json; }
export -f report reportplain
export data

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq "$runs"); do
	echo "run $i/$runs"
	measure report bash -c 'report "$0"' "$work/weekly-report"
	[[ -z ${BEFORE_BIN:-} ]] || measure before bash -c 'report "$0"' "$BEFORE_BIN"
	measure inflate "$work/inflate" $gz
	measure plain bash -c 'reportplain "$0"' "$work/weekly-report"
	measure jq bash -c jqsum
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

got=$(grep -m1 '"total"' "$work/report.out" | tr -dc 0-9)
want=$(echo "$truth" | sed 's/.*alerts=\([0-9]*\).*/\1/')
echo "report alerts: $got (generator: $want)"
[ "$got" = "$want" ] || { echo "MISMATCH"; exit 1; }

# stat LABEL: "min median max peak-rss median-cpu" of the seconds.
stat() {
	local cpu
	cpu=$(awk '{print $3}' "$work/$1.runs" | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
	sort -n "$work/$1.runs" | awk -v c="$cpu" '{s[NR]=$1; r=($2>r?$2:r)} END{printf "%s %s %s %s %s", s[1], s[int((NR+1)/2)], s[NR], r, c}'
}
med() { stat "$1" | cut -d' ' -f2; }
printf '\n%-9s %8s %8s %8s %10s %9s   (load average before %s, after %s; %d cores)\n' command min median max "peak RSS" "CPU med" "$load_before" "$load_after" "$(nproc)"
for l in report before plain inflate jq; do
	[[ -f $work/$l.runs ]] || continue
	read -r mn md mx rss cpu <<<"$(stat "$l")"
	printf '%-9s %7ss %7ss %7ss %7s MiB %8ss\n' "$l" "$mn" "$md" "$mx" "$rss" "$cpu"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo
echo "weekly-report (all files) / inflating the gzip half: $(ratio "$(med report)" "$(med inflate)")x (target <= 1.5, medians)"
echo "jq alert summary / weekly-report (plain files): $(ratio "$(med jq)" "$(med plain)")x faster (target >= 12)"
[[ ! -f $work/before.runs ]] || echo "before / now (all files): $(ratio "$(med before)" "$(med report)")x"

# The collect path over the plain files, concatenated as one live eve.json.
cat $plain >"$work/live.json"
measure collect "$work/weekly-report" --eve "$work/live.json" --state-dir "$work/state" --start beginning --collect-only
read -r secs rss _ <"$work/collect.runs"
echo "collect: $(awk -v s="$secs" -v b="$plain_bytes" 'BEGIN{printf "%.2f", s/(b/1073741824)}') s per GiB of eve.json, peak RSS ${rss} MiB, aggregates $(du -sk "$work/state/weekly-report" | cut -f1) KiB"
