package ship

import (
	"fmt"
	"strings"
)

// Table names. With --cluster they are Distributed tables over
// <name>_local on each shard; eve-ship and the fleet report use the same
// names either way.
const (
	TableAlerts = "alerts"
	TableStats  = "stats"
	TableEvents = "events"
)

// Tables lists them in the order eve-ship sends a batch.
var Tables = []string{TableAlerts, TableStats, TableEvents}

// column is one column of a table. Every row names every column with a
// value of its type: ClickHouse 18.16 applies no DEFAULT to a field missing
// from JSONEachRow, and one null in a non-Nullable column fails the batch.
type column struct{ name, typ string }

// common columns come first in every table. ts is second precision (18.16
// has no DateTime64); usec keeps the fraction so order within a second
// survives. Addresses are String (18.16 has no IPv4/IPv6 types).
var commonColumns = []column{
	{"date", "Date"},
	{"ts", "DateTime"},
	{"usec", "UInt32"},
	{"sensor", "String"},
	{"eid", "UInt64"},
	{"batch_id", "String"},
	{"event_type", "String"},
	{"host", "String"},
	{"in_iface", "String"},
	{"flow_id", "UInt64"},
	{"src_ip", "String"},
	{"src_port", "UInt16"},
	{"dest_ip", "String"},
	{"dest_port", "UInt16"},
	{"proto", "String"},
	{"app_proto", "String"},
	{"community_id", "String"},
}

// The per-kind columns. alerts holds what alert-digest groups and links by
// (sid, addresses, ports, category, severity, flow_id, time), so a fleet
// digest reading ClickHouse needs no migration; stats holds the capture
// counters of the report's health section; events keeps the whole record
// (raw) beside the flow and anomaly fields the report reads.
var kindColumns = map[string][]column{
	TableAlerts: {
		{"action", "String"},
		{"gid", "UInt32"},
		{"signature_id", "UInt32"},
		{"rev", "UInt32"},
		{"signature", "String"},
		{"category", "String"},
		{"severity", "UInt8"},
	},
	TableStats: {
		{"uptime", "UInt64"},
		{"has_capture", "UInt8"},
		{"kernel_packets", "UInt64"},
		{"kernel_drops", "UInt64"},
		{"kernel_ifdrops", "UInt64"},
		{"decoder_pkts", "UInt64"},
		{"decoder_bytes", "UInt64"},
	},
	TableEvents: {
		{"pkts_toserver", "UInt64"},
		{"pkts_toclient", "UInt64"},
		{"bytes_toserver", "UInt64"},
		{"bytes_toclient", "UInt64"},
		{"anomaly_type", "String"},
		{"anomaly_event", "String"},
		{"raw", "String"},
	},
}

func columns(table string) []column {
	return append(append([]column(nil), commonColumns...), kindColumns[table]...)
}

// SchemaOptions select the DDL.
type SchemaOptions struct {
	Database string
	Cluster  string // "": plain tables; else <t>_local + Distributed
}

// Schema returns the DDL statements, one per element, in the order they
// must run. Only what ClickHouse 18.16 and current releases both accept:
// the PARTITION BY / ORDER BY MergeTree syntax, no codecs, no TTL, no
// LowCardinality, no Nullable, IF NOT EXISTS everywhere so --apply may be
// repeated.
func Schema(o SchemaOptions) []string {
	db := quoteIdent(o.Database)
	out := []string{fmt.Sprintf("CREATE DATABASE IF NOT EXISTS %s", db)}
	for _, t := range Tables {
		local := t
		if o.Cluster != "" {
			local = t + "_local"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.%s (\n", db, quoteIdent(local))
		cols := columns(t)
		for i, c := range cols {
			sep := ","
			if i == len(cols)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "    %s %s%s\n", quoteIdent(c.name), c.typ, sep)
		}
		// No version column: of rows with the same key the last inserted
		// wins, and a resend is byte-identical apart from batch_id anyway.
		b.WriteString(") ENGINE = ReplacingMergeTree()\nPARTITION BY toYYYYMM(date)\nORDER BY (date, sensor, eid)")
		out = append(out, b.String())
		if o.Cluster != "" {
			// Sharded by sensor: one sensor's rows live on one shard, so a
			// resend lands where the first copy did and FINAL collapses it.
			out = append(out, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s AS %s.%s\nENGINE = Distributed(%s, %s, %s, cityHash64(sensor))",
				db, quoteIdent(t), db, quoteIdent(local), quoteIdent(o.Cluster), db, quoteIdent(local)))
		}
	}
	return out
}

// quoteIdent back-quotes an identifier (database, table, cluster names
// come from flags).
func quoteIdent(s string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(s) + "`"
}
