#!/usr/bin/env bash
# make demo: generate a week of realistic eve.json (rotated, half of it
# gzip-compressed) and an ET-style rules tarball in a temp dir, then run the
# main jobs on it with no configuration, printing to the terminal.
set -euo pipefail
bin=${1:-bin}
bin=$(cd "$bin" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/suricron-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
eve=$tmp/log/eve.json
state=$tmp/state
mkdir -p "$tmp/log" "$tmp/rules" "$state"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# No /etc/suricron/suricron.toml and no SURICRON_* from the caller's shell.
unset $(env | sed -n 's/^\(SURICRON_[A-Z_]*\)=.*/\1/p') 2>/dev/null || true
common=(--config /dev/null --eve "$eve" --state-dir "$state")

say "generating a week of eve.json (7 files, .2-.6 gzipped) and a rules tarball in $tmp"
"$bin/evegen" -q -seed 42 -start now-168h -duration 168h -size 40MB -stats-interval 300s \
  -restarts 2 -rotate 6 -out "$eve"
"$bin/evegen" -q -rules-tarball "$tmp/emerging.rules.tar.gz"
ls -la "$tmp/log" | tail -n +2 | awk '{print "  " $5 "\t" $9}'
# The telemetry SID list: the first 40 sids of the tarball, as ET ships it
# (one sid per line).
tar -xzOf "$tmp/emerging.rules.tar.gz" --wildcards 'rules/*.rules' \
  | grep -o 'sid:[0-9]*' | cut -d: -f2 | head -40 > "$tmp/telemetry_sids.txt"

say "rules-update from a local tarball (file://), then again: no change"
"$bin/rules-update" --config /dev/null --state-dir "$state" --url "file://$tmp/emerging.rules.tar.gz" \
  --output "$tmp/rules/suricata.rules" --min-rules 10 --report-limit 5
"$bin/rules-update" --config /dev/null --state-dir "$state" --url "file://$tmp/emerging.rules.tar.gz" \
  --output "$tmp/rules/suricata.rules" --min-rules 10
echo "  installed: $(grep -c '^alert' "$tmp/rules/suricata.rules") enabled rules in $tmp/rules/suricata.rules"

say "dump-data -p: the first 3 masked events telemetry-send would upload next"
"$bin/dump-data" "${common[@]}" -p --start all --sids-file "$tmp/telemetry_sids.txt" \
  --home-net '[192.168.0.0/16,10.0.0.0/8,fd00::/8]' --no-interfaces -L 3

say "alert-digest --dry-run: the digest mail of the whole week (headers, then the whole text part)"
"$bin/alert-digest" "${common[@]}" --dry-run --start all --to soc@example.org \
  --from suricron@sensor.example --max-groups 12 > "$tmp/digest.eml"
tr -d '\r' < "$tmp/digest.eml" | sed -n '1,/^$/p' | grep -v '^Content-Type'
# The text part is quoted-printable on the wire; decode it for the terminal.
# Printed uncut: every line is at most 78 columns.
tr -d '\r' < "$tmp/digest.eml" | awk '/^Content-Type: text\/plain/&&!d{p=1;next} p&&/^--=_/{p=0;d=1} p&&!b{if($0=="")b=1;next} p' \
  | perl -MMIME::QuotedPrint -0777 -ne 'print decode_qp($_)'
html_bytes=$(tr -d '\r' < "$tmp/digest.eml" | awk '/^Content-Type: text\/html/&&!d{p=1;next} p&&/^--=_/{p=0;d=1} p&&!b{if($0=="")b=1;next} p' \
  | perl -MMIME::QuotedPrint -0777 -ne 'print decode_qp($_)' | wc -c)
echo "  … full message: $(wc -c < "$tmp/digest.eml") bytes, multipart text + HTML (HTML part $html_bytes bytes)"

say "weekly-report over the rotated files (ad hoc, no state), text"
"$bin/weekly-report" --config /dev/null --files "$eve*" --since 7d \
  --home-net 192.168.0.0/16,10.0.0.0/8,fd00::/8 --hostname demo-sensor

say "done; state written under $state was removed with the temp dir"
