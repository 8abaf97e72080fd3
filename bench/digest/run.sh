#!/usr/bin/env bash
# bench/digest/run.sh - time and peak RSS of alert-digest digesting one
# million new alerts into one mail (--dry-run > /dev/null), beside jq doing
# only the grouping on the same file in the same run. Run by `make bench`.
#
# Environment: BENCH_ALERTS (default 1000000), BENCH_DIR (work files,
# default a temp dir, removed afterwards unless BENCH_KEEP=1).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
alerts=${BENCH_ALERTS:-1000000}
work=${BENCH_DIR:-$(mktemp -d)}
[[ -n ${BENCH_DIR:-} ]] || [[ ${BENCH_KEEP:-0} == 1 ]] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

for tool in jq /usr/bin/time sort uniq perl; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (apt-get install jq time)" >&2; exit 1; }
done

cd "$root"
go build -o "$work/alert-digest" ./cmd/alert-digest
eve=$work/eve.json
if [[ ! -s $eve ]]; then
	go run ./bench/digest/gen -n "$alerts" -o "$eve"
fi
size_mb=$(( $(stat -c %s "$eve") / 1000000 ))
echo "input: $eve, $alerts alerts + $alerts flows, ${size_mb} MB"

# measure LABEL CMD...: prints wall seconds and peak RSS (MiB) from time -v.
measure() {
	local label=$1 log=$work/$1.time
	shift
	/usr/bin/time -v "$@" 2>"$log" >/dev/null || { cat "$log" >&2; exit 1; }
	local wall rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$log")
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
	printf '%-14s %8.2f s %8s MiB\n' "$label" "$wall" "$rss"
	eval "${label//-/_}_wall=$wall"
}

rm -rf "$work/state"
echo "tool            wall       peak RSS"
measure alert-digest "$work/alert-digest" --eve "$eve" --state-dir "$work/state" --start beginning --dry-run
measure jq-group sh -c "jq -c 'select(.event_type==\"alert\") | [.alert.signature_id,.src_ip,.dest_ip]' '$eve' | sort | uniq -c"

groups=$(jq -c 'select(.event_type=="alert") | [.alert.signature_id,.src_ip,.dest_ip]' "$eve" | sort -u | wc -l)
"$work/alert-digest" --eve "$eve" --state-dir "$work/state" --start beginning --dry-run >"$work/digest.eml"
mailed=$(grep -a -m1 '^X-Suricron-Alerts:' "$work/digest.eml" | tr -d '\r')
echo "groups: $groups (jq); digest header: $mailed"
# The HTML part, decoded: must stay under 100 KB (Gmail clips at ~102 KB).
html_bytes=$(tr -d '\r' <"$work/digest.eml" | awk '/^Content-Type: text\/html/&&!d{p=1;next} p&&/^--=_/{p=0;d=1} p&&!h{if($0=="")h=1;next} p' \
	| perl -MMIME::QuotedPrint -0777 -ne 'print decode_qp($_)' | wc -c)
text_bytes=$(tr -d '\r' <"$work/digest.eml" | awk '/^Content-Type: text\/plain/&&!d{p=1;next} p&&/^--=_/{p=0;d=1} p&&!h{if($0=="")h=1;next} p' \
	| perl -MMIME::QuotedPrint -0777 -ne 'print decode_qp($_)' | wc -c)
echo "message: $(wc -c <"$work/digest.eml") bytes; text part $text_bytes bytes, HTML part $html_bytes bytes"
awk -v a="$alert_digest_wall" -v j="$jq_group_wall" 'BEGIN { printf "ratio: jq / alert-digest = %.1fx (alert-digest %.0f alerts/s)\n", j/a, '"$alerts"'/a }'
