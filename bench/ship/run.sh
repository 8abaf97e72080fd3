#!/usr/bin/env bash
# run.sh - eve-ship benchmark (make bench).
#
# Starts a private clickhouse-server (temp dir, free loopback ports),
# generates EVENTS (default 1,000,000) eve records with tools/evegen, then
# measures in the same run:
#   1. eve-ship shipping all of them (--event-types all): rows/s;
#   2. the anchor, the server's own ingestion limit: curl --data-binary
#      posting the same eve lines in chunks of the same size into a table of
#      the same shape (JSONEachRow, import_nested_json);
#   3. the fleet report (weekly-report --source clickhouse) on those rows.
# Needs clickhouse-server, curl and GNU time.
set -euo pipefail

events=${EVENTS:-${1:-1000000}}
batch=${BATCH:-10000}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ship-bench.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
command -v clickhouse-server >/dev/null || { echo "bench/ship: clickhouse-server not installed, skipped"; exit 0; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port=$(free_port); tcp_port=$(free_port)
mkdir -p "$work"/{data,tmp,log,user_files,format_schemas}
cat >"$work/users.xml" <<XML
<?xml version="1.0"?>
<yandex><profiles><default/></profiles><quotas><default/></quotas>
<users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users></yandex>
XML
cat >"$work/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$work/log/server.log</log><errorlog>$work/log/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host><http_port>$http_port</http_port><tcp_port>$tcp_port</tcp_port>
  <path>$work/data/</path><tmp_path>$work/tmp/</tmp_path><user_files_path>$work/user_files/</user_files_path>
  <format_schema_path>$work/format_schemas/</format_schema_path>
  <users_config>$work/users.xml</users_config><default_profile>default</default_profile>
  <default_database>default</default_database><mark_cache_size>268435456</mark_cache_size><timezone>UTC</timezone>
</yandex>
XML
clickhouse-server --config-file="$work/config.xml" >"$work/log/stdout.log" 2>&1 &
pid=$!
url=http://127.0.0.1:$http_port
until curl -sf "$url/ping" >/dev/null; do kill -0 "$pid" || { cat "$work/log/error.log"; exit 1; }; sleep 0.1; done
q() { curl -sf "$url/" --data-binary "$1"; }

cd "$root"
go build -o "$work/eve-ship" ./cmd/eve-ship
go build -o "$work/weekly-report" ./cmd/weekly-report
go build -o "$work/evegen" ./tools/evegen

# One week at the rate that gives EVENTS records (stats every 5 min, as
# their 5 KB each would otherwise dominate).
eps=$(awk -v n="$events" 'BEGIN{printf "%.3f", n*1.05/604800}')
"$work/evegen" -q -eps "$eps" -stats-interval 5m -duration 168h -start 2025-01-06T00:00:00Z -out "$work/gen.json"
head -n "$events" "$work/gen.json" >"$work/eve.json"
rm "$work/gen.json"
mb=$(awk -v b="$(stat -c %s "$work/eve.json")" 'BEGIN{printf "%.0f", b/1048576}')
echo "events: $events ($mb MB), batch $batch lines, clickhouse-server $(clickhouse-server --help 2>/dev/null | head -0; dpkg-query -W -f '${Version}' clickhouse-server 2>/dev/null || echo '?')"

# RUNS interleaved rounds (default 3) of: eve-ship, then curl on the same
# lines; the machine may be shared, so every round also records the load
# average, and the ratio is taken within a round. BEFORE=path/to/eve-ship
# adds an older binary to each round (before/after in one run).
runs=${RUNS:-3}
q "CREATE TABLE default.anchor (timestamp String, event_type String, src_ip String, dest_ip String, src_port UInt16, dest_port UInt16, proto String, flow_id UInt64, \`alert.signature_id\` UInt32, \`alert.signature\` String, \`alert.severity\` UInt8) ENGINE = MergeTree() ORDER BY tuple()"
split -l "$batch" "$work/eve.json" "$work/chunk."
ship_run() { # $1 binary; prints rows/s
	q "DROP DATABASE IF EXISTS suricron" >/dev/null
	"$1" schema --apply --clickhouse-url "$url"
	rm -rf "$work/state"
	local t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f '%M' -o "$work/rss" "$1" --clickhouse-url "$url" --eve "$work/eve.json" --state-dir "$work/state" \
		--sensor bench --start beginning --event-types all --batch-lines "$batch"
	t1=$(date +%s.%N)
	rows=$(q "SELECT (SELECT count() FROM suricron.alerts) + (SELECT count() FROM suricron.stats) + (SELECT count() FROM suricron.events)")
	awk -v n="$rows" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n/(b-a)}'
}
curl_run() {
	q "TRUNCATE TABLE default.anchor" >/dev/null
	local t0 t1 c
	t0=$(date +%s.%N)
	for c in "$work"/chunk.*; do
		curl -sf "$url/?input_format_skip_unknown_fields=1&input_format_import_nested_json=1&query=INSERT%20INTO%20default.anchor%20FORMAT%20JSONEachRow" --data-binary @"$c" >/dev/null
	done
	t1=$(date +%s.%N)
	awk -v n="$(q "SELECT count() FROM default.anchor")" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n/(b-a)}'
}
: >"$work/rounds"
for i in $(seq "$runs"); do
	load=$(cut -d' ' -f1 /proc/loadavg)
	s=$(ship_run "$work/eve-ship"); rss=$(( $(cat "$work/rss") / 1024 ))
	c=$(curl_run)
	b=-
	[ -n "${BEFORE:-}" ] && b=$(ship_run "$BEFORE")
	echo "round $i: load $load; eve-ship $s rows/s (RSS $rss MB), curl $c rows/s, ratio $(awk -v a="$s" -v b="$c" 'BEGIN{printf "%.2f", a/b}'), before $b rows/s"
	echo "$s $c $b" >>"$work/rounds"
done
stat3() { sort -n | awk '{v[NR]=$1} END{printf "min %s median %s max %s", v[1], v[int((NR+1)/2)], v[NR]}'; }
echo "eve-ship rows/s:   $(cut -d' ' -f1 "$work/rounds" | stat3)"
echo "curl rows/s:       $(cut -d' ' -f2 "$work/rounds" | stat3)"
echo "ratio per round:   $(awk '{printf "%.2f\n", $1/$2}' "$work/rounds" | stat3)"
[ -n "${BEFORE:-}" ] && echo "before rows/s:     $(cut -d' ' -f3 "$work/rounds" | stat3); ratio $(awk '{printf "%.2f\n", $3/$2}' "$work/rounds" | stat3)"
# The report below reads the last round's eve-ship rows.
[ -n "${BEFORE:-}" ] && ship_run "$work/eve-ship" >/dev/null
rows=$(q "SELECT (SELECT count() FROM suricron.alerts) + (SELECT count() FROM suricron.stats) + (SELECT count() FROM suricron.events)")
echo "load average now:  $(cut -d' ' -f1-3 /proc/loadavg)"

# Fleet report over the generated week (FINAL on every query).
t0=$(date +%s.%N)
TZ=UTC "$work/weekly-report" --source clickhouse --clickhouse-url "$url" --week 2025-W02 --format json --state-dir "$work/wr" >"$work/report.json"
t1=$(date +%s.%N)
alerts=$(q "SELECT count() FROM suricron.alerts")
echo "fleet report:      $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')s on $rows rows ($alerts alerts; the report counts $(jq .alerts.total "$work/report.json"))"
echo "disk:              $(q "SELECT formatReadableSize(sum(bytes_on_disk)) FROM system.parts WHERE database = 'suricron' AND active")"
