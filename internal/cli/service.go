package cli

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/robfig/cron/v3"

	"github.com/suricron/suricron/internal/exitcode"
	"github.com/suricron/suricron/internal/sleep"
)

// Service is the flag group of the commands that can run in the foreground
// on their own schedule (all but dump-data), for hosts without cron.
type Service struct {
	Jitter time.Duration `help:"Wait a random time up to this long before a one-shot run, so many sensors do not hit a server at the same second (cron has no random minute)." placeholder:"DURATION" group:"shared"`
	Every  string        `help:"Service mode: stay in the foreground and run on this schedule, a duration (5m) or a 5-field cron spec (\"*/5 * * * *\"). Runs never overlap and share the cron runs' lock." placeholder:"SCHEDULE" group:"shared"`
	// MetricsFile is a top-level config key so that one setting serves
	// every command; each job writes its own file beside it
	// (metrics.Registry.File) and node_exporter merges the directory.
	MetricsFile string `name:"metrics-file" help:"After each run, write Prometheus textfile-collector metrics (last run and success time, exit code, events, bad lines, sent/failed, rules, drop ratio), one file per job beside this name: suricron.prom in the node exporter's textfile directory gives suricron-<command>.prom there." config:"metrics_file" placeholder:"FILE" group:"shared"`
}

// ServiceFlags lets Main find the group.
func (s *Service) ServiceFlags() *Service { return s }

type servicer interface{ ServiceFlags() *Service }

func findService(cmd any) *Service {
	if s, ok := cmd.(servicer); ok {
		return s.ServiceFlags()
	}
	return nil
}

// ParseSchedule turns --every into a gocron job definition.
func ParseSchedule(spec string) (gocron.JobDefinition, error) {
	if d, err := time.ParseDuration(spec); err == nil {
		if d < time.Second {
			return nil, exitcode.Usagef("--every %q: at least 1s", spec)
		}
		return gocron.DurationJob(d), nil
	}
	// gocron would report a bad spec only when the job is added, in two
	// lines; the same parser (robfig/cron's standard 5 fields) gives one.
	if _, err := cron.ParseStandard(spec); err != nil {
		return nil, exitcode.Usagef("--every %q: neither a duration (5m) nor a 5-field cron spec (%v)", spec, err)
	}
	return gocron.CronJob(spec, false), nil
}

// RunEvery runs fn now and then on schedule until ctx is cancelled. gocron's
// singleton mode skips a tick while the previous run is still going, so a
// slow mail server never stacks runs. A failed run is logged and the next
// tick retries, as cron would; only a bad schedule ends the service.
func RunEvery(ctx context.Context, logger *slog.Logger, spec string, fn func(context.Context) error) error {
	def, err := ParseSchedule(spec)
	if err != nil {
		return err
	}
	s, err := gocron.NewScheduler()
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	task := func() {
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			lv := slog.LevelError
			if ExitCode(err) == exitcode.ExitTempFail {
				lv = slog.LevelWarn
			}
			logger.Log(ctx, lv, "run failed", "err", err, "exit_code", ExitCode(err))
		}
	}
	if _, err := s.NewJob(def, gocron.NewTask(task),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
		gocron.WithStartAt(gocron.WithStartImmediately()),
	); err != nil {
		return exitcode.Usagef("--every %q: %w", spec, err)
	}
	s.Start()
	logger.Info("service mode started", "every", spec)
	<-ctx.Done()
	// Shutdown waits for a running job; the job sees the cancelled context
	// and stops without committing half-done work.
	if err := s.Shutdown(); err != nil {
		return fmt.Errorf("scheduler shutdown: %w", err)
	}
	return nil
}

// sleepJitter waits a random duration in [0, max), or until ctx ends.
func sleepJitter(ctx context.Context, max time.Duration) error {
	if max <= 0 {
		return nil
	}
	return sleep.For(ctx, rand.N(max))
}
