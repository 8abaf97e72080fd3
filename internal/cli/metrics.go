package cli

import (
	"log/slog"
	"time"

	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/metrics"
)

// Names of the series every job writes with --metrics-file; the commands
// add their own (events read, sent, rules…) through Env.Metrics.
const (
	MetricLastRun     = "suricron_last_run_timestamp_seconds"
	MetricLastSuccess = "suricron_last_success_timestamp_seconds"
	MetricDuration    = "suricron_last_run_duration_seconds"
	MetricExitCode    = "suricron_last_run_exit_code"
	MetricBuildInfo   = "suricron_build_info"
)

// newMetrics returns nil (every recording a no-op) unless --metrics-file is
// set. The job label defaults to the subcommand (telemetry-send's send and
// heartbeat) or the command name.
func newMetrics(svc *Service, command, job string) *metrics.Registry {
	if svc == nil || svc.MetricsFile == "" {
		return nil
	}
	if job == "" {
		job = command
	}
	return metrics.New(metrics.Label{Name: "command", Value: command}, metrics.Label{Name: "job", Value: job})
}

// writeRunMetrics adds the run's outcome to what the command recorded and
// writes the job's own file (metrics.Registry.File). A failed run keeps
// the last success time read back from that file, so an alert on "no
// success for 2 h" works across cron's separate processes. A write error is logged, never turned into a failed run: the
// job's work is done and committed by now.
func writeRunMetrics(reg *metrics.Registry, path, version string, start, end time.Time, code int, logger *slog.Logger) {
	if reg == nil {
		return
	}
	reg.Set(MetricBuildInfo, "suricron version that wrote these metrics (always 1).", 1, metrics.Label{Name: "version", Value: version})
	reg.Set(MetricLastRun, "Unix time the last run ended.", unixSeconds(end))
	reg.Set(MetricDuration, "Wall time of the last run, in seconds.", end.Sub(start).Seconds())
	reg.Set(MetricExitCode, "Exit code of the last run: 0 ok, 1 failure, 2 usage, 65 bad data, 75 try later, 130 interrupted.", float64(code))
	const successHelp = "Unix time of the last successful run."
	if code == exitcode.ExitOK {
		reg.Set(MetricLastSuccess, successHelp, unixSeconds(end))
	} else if v, ok, err := metrics.ReadValue(reg.File(path), MetricLastSuccess, reg.Labels()...); err == nil && ok {
		reg.Set(MetricLastSuccess, successHelp, v)
	}
	if err := reg.WriteFile(path); err != nil {
		logger.Warn("metrics not written", "err", err)
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
