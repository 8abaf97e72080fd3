#!/usr/bin/env bash
# bench/eve/run.sh - eve.json scan speed (make bench): our prefiltered alert
# extraction and encoding/json on the same generated file (go test -bench),
# beside jq selecting the alerts of that file, in the same run.
#
# Environment: BENCH_BYTES (default 1 GiB), BENCH_DIR (where the generated
# file is kept between runs; default a temp dir removed afterwards).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bytes=${BENCH_BYTES:-1073741824}
work=${BENCH_DIR:-$(mktemp -d)}
[[ -n ${BENCH_DIR:-} ]] || trap 'rm -rf "$work"' EXIT
for tool in jq /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (apt-get install jq time)" >&2; exit 1; }
done
cd "$root"
out=$(SURICRON_BENCH_BYTES=$bytes SURICRON_BENCH_DIR=$work \
	go test ./internal/eve -run '^$' -bench 'Alerts' -benchtime 3x 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep '^Benchmark'
file=$work/suricron-bench-eve-$bytes.json
size=$(stat -c %s "$file")
/usr/bin/time -f '%e %M' -o "$work/jq.time" jq -c 'select(.event_type=="alert") | .alert.signature_id' "$file" > "$work/jq.out"
read -r jq_secs jq_kb < "$work/jq.time"
jq_alerts=$(wc -l < "$work/jq.out")
ours=$(echo "$out" | awk '/^BenchmarkAlertsPrefiltered/ {for (i=1;i<=NF;i++) if ($(i+1)=="MB/s") print $i}')
std=$(echo "$out" | awk '/^BenchmarkAlertsEncodingJSON/ {for (i=1;i<=NF;i++) if ($(i+1)=="MB/s") print $i}')
awk -v s="$size" -v t="$jq_secs" -v o="$ours" -v e="$std" -v a="$jq_alerts" -v k="$jq_kb" 'BEGIN {
	j = s / t / 1e6
	printf "input: %.0f MB generated eve.json, %d alerts (jq)\n", s / 1e6, a
	printf "suricron eve (prefiltered alerts): %8.0f MB/s\n", o
	printf "encoding/json (every line)       : %8.0f MB/s   ours %.1fx\n", e, o / e
	printf "jq select alerts                 : %8.0f MB/s   ours %.1fx (jq peak RSS %.0f MB)\n", j, o / j, k / 1024
}'
