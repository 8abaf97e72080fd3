#!/bin/sh
# Benchmark of telemetry-send (make bench). First mask + serialise on one
# core (GOMAXPROCS=1) beside encoding/json decoding and re-encoding the same
# lines, interleaved, 3 runs each, min/median/max and the load average;
# synthetic alerts and, when ../shared is there, a real sensor's alerts.
# Then loopback HTTPS upload throughput for both protocols beside the
# plugin's one-POST-per-event-without-keep-alive client, in the same run.
set -eu
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/telemetry-bench" ./bench/telemetry
real=../shared/testdata/eve/josevnz/eve-2.json
if [ -r "$real" ]; then
	GOMAXPROCS=1 "$work/telemetry-bench" -mode mask -eve "$real" "$@"
else
	GOMAXPROCS=1 "$work/telemetry-bench" -mode mask "$@"
fi
echo
"$work/telemetry-bench" -mode upload "$@"
