#!/usr/bin/env bash
# bench/digest/run.sh - time and peak RSS of alert-digest digesting one
# million new alerts into one mail (--dry-run > /dev/null), beside jq doing
# only the grouping on the same file, interleaved (digest, jq, digest, jq,
# …) so that both see the same load. Prints min/median/max of each, the
# machine's load average before and after, and the ratio jq / alert-digest
# per round (a ratio is less sensitive to a shared machine's load than
# either time). Run by `make bench`.
#
# Environment: BENCH_ALERTS (default 1000000), BENCH_RUNS (default 3),
# BENCH_DIR (work files, default a temp dir, removed afterwards unless
# BENCH_KEEP=1).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
alerts=${BENCH_ALERTS:-1000000}
runs=${BENCH_RUNS:-3}
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
size_mb=$(( $(stat -L -c %s "$eve") / 1000000 ))
echo "input: $eve, $alerts alerts + $alerts flows, ${size_mb} MB; $(nproc) cores"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# measure LABEL CMD...: appends "wall rss_mib cpu%" to $work/LABEL.runs.
measure() {
	local label=$1 log=$work/$1.time
	shift
	/usr/bin/time -v "$@" 2>"$log" >/dev/null || { cat "$log" >&2; exit 1; }
	awk -F': ' '
		/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; w=s}
		/Maximum resident set size/ {r=$2/1024}
		/Percent of CPU/ {c=$2}
		END {printf "%.2f %.0f %s\n", w, r, c}' "$log" >>"$work/$label.runs"
}

rm -f "$work"/*.runs
for ((i = 1; i <= runs; i++)); do
	rm -rf "$work/state"
	measure alert-digest "$work/alert-digest" --eve "$eve" --state-dir "$work/state" --start beginning --dry-run
	measure jq-group sh -c "jq -c 'select(.event_type==\"alert\") | [.alert.signature_id,.src_ip,.dest_ip]' '$eve' | sort | uniq -c"
	read -r dw dr dc <<<"$(tail -1 "$work/alert-digest.runs")"
	read -r jw _ _ <<<"$(tail -1 "$work/jq-group.runs")"
	awk -v i="$i" -v d="$dw" -v j="$jw" -v r="$dr" -v c="$dc" -v l="$(cut -d' ' -f1 /proc/loadavg)" \
		'BEGIN {printf "round %d: alert-digest %.2f s (%s CPU, %s MiB), jq-group %.2f s, ratio %.1fx, load %s\n", i, d, c, r, j, j/d, l}'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# stats LABEL: min/median/max of wall and the largest peak RSS.
stats() {
	sort -n "$work/$1.runs" | awk -v label="$1" '
		{w[NR]=$1; if ($2>r) r=$2}
		END {printf "%-14s wall min %.2f / median %.2f / max %.2f s, peak RSS %d MiB\n", label, w[1], w[int((NR+1)/2)], w[NR], r}'
}
stats alert-digest
stats jq-group
paste -d' ' "$work/alert-digest.runs" "$work/jq-group.runs" | awk '{print $4/$1}' | sort -n | awk '
	{x[NR]=$1} END {printf "ratio jq / alert-digest (per round): min %.1fx / median %.1fx / max %.1fx (target >= 10x)\n", x[1], x[int((NR+1)/2)], x[NR]}'

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
