package report

import (
	"time"

	"github.com/suricron/suricron/internal/metrics"
)

// metricsJob names the run for --metrics-file: the hourly collect and the
// weekly render are separate cron lines whose last success must not hide
// each other's.
func metricsJob(cfg Config, adhoc bool) string {
	switch {
	case adhoc:
		return "adhoc"
	case cfg.CollectOnly:
		return "collect"
	}
	return "report"
}

// recordToday exposes today's capture counters from the aggregates, so
// the hourly collect keeps a drop-ratio gauge fresh for alerting instead
// of waiting for Monday's report.
func recordToday(m *metrics.Registry, store *Store, now time.Time, loc *time.Location) error {
	if m == nil {
		return nil
	}
	d, err := store.ReadDay(now.In(loc).Format(time.DateOnly))
	if err != nil || d == nil {
		return err
	}
	c := d.Capture
	m.Set("suricron_capture_kernel_packets_today", "Packets Suricata captured today (local time), summed over restarts.", float64(c.KernelPackets))
	m.Set("suricron_capture_kernel_drops_today", "Packets the kernel dropped today (local time), summed over restarts.", float64(c.KernelDrops))
	m.Set("suricron_capture_drop_ratio_today", "kernel_drops / kernel_packets today (local time); Suricata's guidance is below 0.01.", ratio(c.KernelDrops, c.KernelPackets))
	m.Set("suricron_capture_restarts_today", "Suricata restarts seen in today's stats records.", float64(c.Restarts))
	return nil
}

// recordReport exposes the headline numbers of the rendered period.
func recordReport(m *metrics.Registry, r *Report) {
	m.Set("suricron_report_alerts", "Alerts in the period of the last rendered report.", float64(r.Alerts.Total))
	m.Set("suricron_report_drop_ratio", "kernel_drops / kernel_packets over the period of the last rendered report.", r.Capture.DropRatio)
	m.Set("suricron_report_unusual_ports", "Unusual-port rows in the last rendered report.", float64(len(r.UnusualPorts)))
}
