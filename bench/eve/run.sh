#!/usr/bin/env bash
# bench/eve/run.sh - eve.json scan speed (make bench): our prefiltered alert
# extraction (go test -bench, one iteration per run) beside its anchors on
# the same generated file: wc -l (the floor: reading and finding newlines),
# encoding/json (every line) and jq selecting the alerts, plus the per-line
# framing path it replaced (BenchmarkAlertsPerLine). The commands are
# interleaved RUNS (3) times, so a load change on a shared machine hits all
# alike; min/median/max are printed with the load average, and the median
# MB/s per second of CPU time (user + system), which the load distorts less.
#
# Environment: BENCH_BYTES (default 1 GiB), BENCH_DIR (where the generated
# file is kept between runs; default a temp dir removed afterwards), RUNS.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bytes=${BENCH_BYTES:-1073741824}
runs=${RUNS:-3}
work=${BENCH_DIR:-$(mktemp -d)}
[[ -n ${BENCH_DIR:-} ]] || trap 'rm -rf "$work"' EXIT
for tool in jq /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (apt-get install jq time)" >&2; exit 1; }
done
cd "$root"
go test -c -o "$work/eve.test" ./internal/eve
file=$work/suricron-bench-eve-$bytes.json
# Each measurement prints "wall-MB/s cpu-MB/s": the CPU figure (bytes per
# second of user + system time) is the one a loaded shared machine
# distorts least. For the Go benchmarks it includes the test binary's start.
mbs() { awk -v s="${size:-0}" -v t="$1" 'BEGIN{printf "%.0f", (t>0) ? s/t/1e6 : 0}'; }
cpusecs() { awk '{print $(NF-1)+$NF}' "$work/t"; } # user + system of the last timed command
bench() { # NAME: wall and CPU MB/s of one iteration of BenchmarkNAME
	local wall
	wall=$(SURICRON_BENCH_BYTES=$bytes SURICRON_BENCH_DIR=$work /usr/bin/time -f '%U %S' -o "$work/t" \
		"$work/eve.test" -test.run '^$' -test.bench "^Benchmark$1\$" -test.benchtime 1x |
		awk '/^Benchmark/ {for (i=1;i<=NF;i++) if ($(i+1)=="MB/s") print $i}')
	echo "$wall $(mbs "$(cpusecs)")"
}
bench AlertsPrefiltered >/dev/null # generates the file once
size=$(stat -c %s "$file")
timed() { /usr/bin/time -f '%e %U %S' -o "$work/t" "$@" >"$work/out"; echo "$(mbs "$(cut -d' ' -f1 "$work/t")") $(mbs "$(cpusecs)")"; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$work/runs"
for i in $(seq "$runs"); do
	echo "ours $(bench AlertsPrefiltered)" >>"$work/runs"
	echo "wc $(timed wc -l "$file")" >>"$work/runs"
	echo "perline $(bench AlertsPerLine)" >>"$work/runs"
	echo "json $(bench AlertsEncodingJSON)" >>"$work/runs"
	echo "jq $(timed jq -c 'select(.event_type=="alert") | .alert.signature_id' "$file")" >>"$work/runs"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
jq_alerts=$(wc -l <"$work/out")
stat() { awk -v l="$1" '$1==l {print $2}' "$work/runs" | sort -n | awk '{v[NR]=$1} END{printf "%s %s %s", v[1], v[int((NR+1)/2)], v[NR]}'; }
cpustat() { awk -v l="$1" '$1==l {print $3}' "$work/runs" | sort -n | awk '{v[NR]=$1} END{printf "%s", v[int((NR+1)/2)]}'; }
med() { stat "$1" | cut -d' ' -f2; }
printf 'input: %.0f MB generated eve.json, %d alerts (jq); load average before %s, after %s; %d cores\n' \
	"$(awk -v s="$size" 'BEGIN{print s/1e6}')" "$jq_alerts" "$load_before" "$load_after" "$(nproc)"
printf '%-34s %8s %8s %8s %9s  (MB/s, %d runs; CPU: per second of user+system time, median)\n' command min median max CPU "$runs"
for l in ours perline wc json jq; do
	read -r mn md mx <<<"$(stat "$l")"
	case $l in
	ours) n="suricron prefiltered alerts" ;; perline) n="  the same, framing every line" ;; wc) n="wc -l" ;; json) n="encoding/json (every line)" ;; jq) n="jq select alerts" ;;
	esac
	printf '%-34s %8s %8s %8s %9s\n' "$n" "$mn" "$md" "$mx" "$(cpustat "$l")"
done
awk -v o="$(med ours)" -v w="$(med wc)" -v e="$(med json)" -v j="$(med jq)" 'BEGIN {
	printf "ours vs wc -l: %.2fx the time of wc -l (target <= 2.5, and >= 2000 MB/s)\n", w / o
	printf "ours vs encoding/json: %.1fx faster; vs jq: %.1fx faster (medians)\n", o / e, o / j
}'
awk -v o="$(cpustat ours)" -v w="$(cpustat wc)" 'BEGIN { if (o > 0) printf "CPU time: ours %.2fx the CPU time of wc -l\n", w / o }'
