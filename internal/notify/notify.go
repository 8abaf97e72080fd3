package notify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/suricron/suricron/internal/sleep"
)

// Digest is what every destination delivers. Text fields are plain text
// straight from the digest (attacker-controlled parts included): each format
// sanitises and escapes them itself.
type Digest struct {
	Batch      string   // X-Suricron-Batch: the same for every resend of these alerts
	Title      string   // one line, e.g. the mail subject
	Alerts     int64    // alerts in this batch
	Signatures int      // distinct signatures in this batch
	Summary    []string // short lines shown first (totals, time span, sensor)
	Items      []Item   // one per signature, most important first
	Notes      []string // skipped lines, gaps, suppressions: shown last
	// JSON is the digest document: the body of the json format and the
	// stdin of exec. It must carry the batch id itself.
	JSON []byte
}

// Item is one signature of the digest.
type Item struct {
	SID       int64
	Signature string
	Severity  int // 1 high … 3 low; 0 unknown
	Count     int64
	Tags      []string // e.g. "new", "fresh rule"
	Lines     []string // details: top pairs, first/last seen, context
}

// Destination delivers one digest. Deliver returns nil when the receiver
// accepted it, otherwise an *Error saying whether a later run may succeed.
type Destination interface {
	Name() string
	Deliver(ctx context.Context, d *Digest) error
}

// Outcome classifies a delivery.
type Outcome int

const (
	Delivered Outcome = iota
	Temporary         // retry later: nothing may be committed (exit 75)
	Permanent         // the receiver refused it: fix the configuration (exit 1)
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Temporary:
		return "temporary"
	}
	return "permanent"
}

// Error is a failed delivery.
type Error struct {
	Dest    string
	Outcome Outcome
	Err     error
}

func (e *Error) Error() string { return e.Dest + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// OutcomeOf classifies what Deliver returned. An error that is not an
// *Error (a bug, or the context) counts as temporary: committing on an
// unknown outcome could lose alerts, retrying can only repeat them.
func OutcomeOf(err error) Outcome {
	if err == nil {
		return Delivered
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Outcome
	}
	return Temporary
}

// Retry bounds the attempts of one delivery inside one run. Between
// attempts it waits Base, 2×Base, 4×Base… (capped at Max, with ±20 %
// jitter so that many sensors do not retry in step), or what a 429/503
// Retry-After asks if that is longer and within Max.
type Retry struct {
	Attempts int           // total tries; 0 means DefaultAttempts
	Base     time.Duration // 0 means DefaultBase
	Max      time.Duration // 0 means DefaultMax
	// Sleep waits d or until ctx ends; nil uses a timer. Tests inject one
	// that records the waits instead of sleeping.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Defaults keep a failing receiver from holding a one-minute cron run for
// longer than about half a minute (2+4+8 s of waits).
const (
	DefaultAttempts = 4
	DefaultBase     = 2 * time.Second
	DefaultMax      = 30 * time.Second
)

func (r Retry) attempts() int {
	if r.Attempts <= 0 {
		return DefaultAttempts
	}
	return r.Attempts
}

func (r Retry) wait(n int, hint time.Duration) time.Duration {
	base, max := r.Base, r.Max
	if base <= 0 {
		base = DefaultBase
	}
	if max <= 0 {
		max = DefaultMax
	}
	d := base << min(n, 20)
	if d <= 0 || d > max {
		d = max
	}
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	if hint > d && hint <= max {
		d = hint
	}
	return d
}

func (r Retry) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	return sleep.For(ctx, d)
}

// attempt is one try: a nil error is delivered; otherwise the outcome, and
// for temporary failures an optional Retry-After hint.
type attempt func(ctx context.Context) (Outcome, time.Duration, error)

// run tries until the delivery is accepted, refused, out of attempts or
// the context ends. The error names the destination and the attempts made.
func (r Retry) run(ctx context.Context, dest string, try attempt) error {
	n := r.attempts()
	var last error
	var hint time.Duration
	for i := 0; i < n; i++ {
		if i > 0 {
			if err := r.sleep(ctx, r.wait(i-1, hint)); err != nil {
				return &Error{Dest: dest, Outcome: Temporary, Err: fmt.Errorf("interrupted after %d of %d attempts: %w (last: %v)", i, n, err, last)}
			}
		}
		var out Outcome
		var err error
		out, hint, err = try(ctx)
		switch out {
		case Delivered:
			return nil
		case Permanent:
			return &Error{Dest: dest, Outcome: Permanent, Err: err}
		}
		last = err
		if ctx.Err() != nil {
			return &Error{Dest: dest, Outcome: Temporary, Err: fmt.Errorf("interrupted after %d of %d attempts: %w", i+1, n, err)}
		}
	}
	return &Error{Dest: dest, Outcome: Temporary, Err: fmt.Errorf("%s, last: %w", plural(int64(n), "attempt failed", "attempts failed"), last)}
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}
