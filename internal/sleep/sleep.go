// Package sleep is the one interruptible wait of the commands (jitter,
// retry back-off), so SIGTERM never waits out a delay. It is a leaf so the
// command models inject it as their Deps.Sleep without reaching into the
// command-line layer for it.
package sleep

import (
	"context"
	"time"
)

// For waits for d or until ctx ends, returning ctx.Err() in that case.
// A non-positive d returns at once (with ctx.Err(), so a cancelled run
// still stops).
func For(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
