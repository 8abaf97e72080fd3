#!/bin/sh
# Benchmark of telemetry-send (make bench): masking/serialisation rate and
# loopback HTTPS upload throughput for both protocols, beside the plugin's
# one-POST-per-event-without-keep-alive client, measured in the same run.
set -eu
cd "$(dirname "$0")/../.."
exec go run ./bench/telemetry "$@"
