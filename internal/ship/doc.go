// Package ship is eve-ship: it reads new eve.json records from its
// checkpoint and inserts them into ClickHouse over HTTP (JSONEachRow), one
// table per kind (alerts, stats, events). Every row carries a deterministic
// event id (sensor, file identity, offset), so a resend after a crash or a
// re-read after --reset-state produces the same rows, which the
// ReplacingMergeTree tables collapse. The checkpoint moves only after
// ClickHouse answered 200 for every row of a batch; rows it refuses are
// isolated by bisecting the batch and kept in a quarantine file.
//
// Rows are not masked: ClickHouse is the operator's own store.
package ship
