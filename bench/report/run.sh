#!/usr/bin/env bash
# run.sh - weekly-report benchmark (make bench).
#
# Generates SIZE_GB (default 5) of synthetic eve.json into a temp dir (half
# of the files gzip-compressed, as logrotate leaves them), then measures:
#   1. the ad-hoc report over all files: throughput and peak RSS;
#   2. the collect path (state mode, --collect-only) over the plain files:
#      seconds per GB;
#   3. the anchor: jq computing only the alert summary (count per signature
#      and severity) over the same files in the same run;
# and prints both with their ratio. Needs /usr/bin/time, jq and gzip.
set -euo pipefail

size_gb=${SIZE_GB:-${1:-5}}
files=${FILES:-8}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/wr-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
data=$work/data
mkdir -p "$data"

cd "$root"
go build -o "$work/weekly-report" ./cmd/weekly-report
go build -o "$work/evegen" ./bench/report/evegen

bytes=$(awk -v g="$size_gb" 'BEGIN{printf "%.0f", g*1024*1024*1024}')  # %d overflows in mawk past 2 GiB
echo "generating $size_gb GB in $files files under $data"
truth=$("$work/evegen" -size "$bytes" -files "$files" -dir "$data")
echo "generator truth: $truth"
# Uncompressed size: plain files as they are, .gz through gzip -l's
# cousin: decompressed byte count (gzip -l overflows past 4 GiB).
raw=0
for f in "$data"/eve.json*; do
	case $f in
	*.gz) n=$(gzip -dc "$f" | wc -c) ;;
	*) n=$(stat -c %s "$f") ;;
	esac
	raw=$((raw + n))
done
mb=$(awk -v b="$raw" 'BEGIN{printf "%.1f", b/1048576}')
echo "input: $mb MiB uncompressed"

measure() { # label, command...
	local label=$1; shift
	/usr/bin/time -v -o "$work/$label.time" "$@" >"$work/$label.out" 2>"$work/$label.err" || {
		echo "$label failed:"; cat "$work/$label.err"; exit 1; }
	secs=$(awk -F': ' '/Elapsed/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/$label.time")
	rss=$(awk -F': ' '/Maximum resident/ {printf "%.1f", $2/1024}' "$work/$label.time")
	echo "$label: ${secs}s, $(awk -v m="$mb" -v s="$secs" 'BEGIN{printf "%.0f", m/s}') MiB/s, peak RSS ${rss} MiB"
}

# 1. Ad hoc report over everything.
measure report "$work/weekly-report" --files "$data/eve.json*" --since 2000-01-01 --until 2100-01-01 --format json
report_secs=$secs
report_rss=$rss
got=$(grep -m1 '"total"' "$work/report.out" | tr -dc 0-9)
want=$(echo "$truth" | sed 's/.*alerts=\([0-9]*\).*/\1/')
echo "report alerts: $got (generator: $want)"
[ "$got" = "$want" ] || { echo "MISMATCH"; exit 1; }

# 2. Collect path over the plain files, concatenated as one live eve.json.
cat $(ls "$data"/eve.json* | grep -v '\.gz$') >"$work/live.json"
plain=$(stat -c %s "$work/live.json")
measure collect "$work/weekly-report" --eve "$work/live.json" --state-dir "$work/state" --start beginning --collect-only
echo "collect: $(awk -v s="$secs" -v b="$plain" 'BEGIN{printf "%.2f", s/(b/1073741824)}') s per GiB of eve.json, peak RSS ${rss} MiB, aggregates $(du -sk "$work/state/weekly-report" | cut -f1) KiB"
rm -f "$work/live.json"

# 3. Anchor: jq, alert summary only (count per sid and severity).
jqsum() {
	for f in "$data"/eve.json*; do
		case $f in
		*.gz) gzip -dc "$f" ;;
		*) cat "$f" ;;
		esac
	done | jq -c 'select(.event_type=="alert") | [.alert.signature_id, .alert.severity]' | sort | uniq -c | sort -rn
}
export -f jqsum
export data
measure jq bash -c jqsum
jq_secs=$secs
jq_alerts=$(awk '{s+=$1} END{print s+0}' "$work/jq.out")
echo "jq alerts: $jq_alerts"
echo "ratio: weekly-report (all four sections) is $(awk -v a="$jq_secs" -v b="$report_secs" 'BEGIN{printf "%.1f", a/b}')x faster than jq (alert summary only); RSS ${report_rss} MiB"
