// Package report builds weekly-report: it folds eve.json lines into small
// per-day aggregates (alerts, flows by port and direction, capture counters,
// local hosts and their services), keeps them in the state directory between
// cron runs, and renders a week of them as text, markdown, JSON or an HTML
// mail with inline PNG charts.
//
// Invariants: an aggregate day file is bounded in size whatever the traffic
// (top-N tables with an "other" remainder), is written temp + fsync +
// rename, and is folded at most once per checkpoint batch; Suricata's stats
// counters are cumulative since the engine started, so capture figures are
// sums of restart-aware deltas, never last − first.
package report
