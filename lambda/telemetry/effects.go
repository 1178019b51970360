package telemetry

import (
	"context"
	"sync"

	"github.com/orderly-dev/orderly/lambda/schedule"
)

// EffectCounts counts, for one batch, the changes that succeeded without
// being pushed on their own: stale ones and superseded ones. The schedule
// handler reports effects through RecordEffect; PublishBatch reads them.
type EffectCounts struct {
	mu         sync.Mutex
	stale      int
	superseded int
}

type effectsKey struct{}

// WithEffectCounts returns ctx carrying fresh counts for one batch.
func WithEffectCounts(ctx context.Context) (context.Context, *EffectCounts) {
	c := &EffectCounts{}
	return context.WithValue(ctx, effectsKey{}, c), c
}

// countEffect adds one effect to the counts in ctx, if there are any.
func countEffect(ctx context.Context, effect schedule.Effect) {
	c, _ := ctx.Value(effectsKey{}).(*EffectCounts)
	if c == nil {
		return
	}
	c.mu.Lock()
	switch effect {
	case schedule.EffectStale:
		c.stale++
	case schedule.EffectSuperseded:
		c.superseded++
	}
	c.mu.Unlock()
}

// Counts returns the stale and the superseded changes counted.
func (c *EffectCounts) Counts() (stale, superseded int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stale, c.superseded
}

// effectsOf returns the counts in ctx, zero when it carries none.
func effectsOf(ctx context.Context) (stale, superseded int) {
	c, _ := ctx.Value(effectsKey{}).(*EffectCounts)
	if c == nil {
		return 0, 0
	}
	return c.Counts()
}
