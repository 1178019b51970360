package telemetry

import (
	"context"
	"sync"
	"time"
)

// LagTracker remembers the largest "now minus event time" seen during one
// batch. The engine does not decode events, so whoever does (the schedule
// handler's Decoded hook) reports event times through the context.
type LagTracker struct {
	mu    sync.Mutex
	now   func() time.Time
	max   time.Duration
	known bool
}

type lagKey struct{}

// WithLagTracker returns ctx carrying a fresh tracker for one batch.
func WithLagTracker(ctx context.Context, now func() time.Time) (context.Context, *LagTracker) {
	if now == nil {
		now = time.Now
	}
	t := &LagTracker{now: now}
	return context.WithValue(ctx, lagKey{}, t), t
}

// ObserveEventTime records the lag of an event whose EventBridge time is
// at. It does nothing if ctx carries no tracker or at is zero (the time is
// optional in the envelope), so callers need no checks.
func ObserveEventTime(ctx context.Context, at time.Time) {
	t, _ := ctx.Value(lagKey{}).(*LagTracker)
	if t == nil || at.IsZero() {
		return
	}
	lag := t.now().Sub(at)
	t.mu.Lock()
	if !t.known || lag > t.max {
		t.max, t.known = lag, true
	}
	t.mu.Unlock()
}

// Max returns the largest lag observed, and whether any was observed.
func (t *LagTracker) Max() (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.max, t.known
}

// MaxLag returns the largest lag observed by the tracker in ctx, and
// whether there is a tracker that observed any.
func MaxLag(ctx context.Context) (time.Duration, bool) {
	t, _ := ctx.Value(lagKey{}).(*LagTracker)
	if t == nil {
		return 0, false
	}
	return t.Max()
}
