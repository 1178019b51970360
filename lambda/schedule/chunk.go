package schedule

import (
	"context"
	"fmt"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/ordering"
)

// HandleChunk applies consecutive records of one period with one fetch and
// at most one push (ordering.ChunkHandler): it fetches the period's
// document, applies each change in delivery order (the stale guard decides
// each one per entity, as Apply always does) and pushes the document once,
// or not at all if nothing changed.
//
// A later change of an entity replaces an earlier one of the same chunk
// that has not been pushed yet: the push carries only the newest change per
// entity, and the earlier one is reported as EffectSuperseded. That is the
// stale guard's own reasoning, applied before the push instead of after
// it: the entity's final state is the newest change's, whatever the order,
// so the earlier change is an event that the newer one made stale early.
// It also means the API never judges the earlier change: one it would have
// refused (a 400) is superseded, not poisoned, whenever a newer change of
// the same entity follows it in the chunk. So a backlog of repeated
// updates of a few entities, what an outage leaves behind, costs one fetch
// and one push per period.
//
// A malformed record is reported on its own as the permanent error Handle
// returns for it. A failed fetch or push is reported as the chunk's Err:
// the engine then runs the chunk one record at a time with Handle, so that
// only a record the API rejects is poisoned.
func (h *Handler) HandleChunk(ctx context.Context, chunk ordering.Chunk) ordering.ChunkResult {
	type pending struct {
		ev     event.Event
		c      Change
		effect Effect
	}
	var (
		doc     Schedule
		fetched bool
		// newest is each entity's change the push will carry.
		newest  = map[EntityKey]*pending{}
		applied = make([]*pending, 0, len(chunk.Records))
		errs    = make([]error, 0, len(chunk.Records))
	)
	for i, rec := range chunk.Records {
		recCtx := chunk.Context(i)
		ev, c, err := h.change(recCtx, rec)
		if err != nil {
			errs = append(errs, err)
			applied = append(applied, nil)
			continue
		}
		if !fetched {
			if doc, err = h.fetch(ctx, c.Period); err != nil {
				return ordering.ChunkResult{Handled: len(chunk.Records), Err: fmt.Errorf("event %s: %w", ev.ID, err)}
			}
			fetched = true
		}
		if c.Period != doc.Period {
			break // the next chunk starts here
		}
		p := &pending{ev: ev, c: c, effect: effectOf(Apply(&doc, c))}
		if p.effect == EffectApplied {
			if earlier := newest[c.Key]; earlier != nil {
				earlier.effect = EffectSuperseded
			}
			newest[c.Key] = p
		}
		applied = append(applied, p)
		errs = append(errs, nil)
	}
	handled := len(errs)
	if len(newest) > 0 {
		if err := h.client.Push(ctx, doc); err != nil {
			return ordering.ChunkResult{Handled: handled, Err: fmt.Errorf("push of %d changes to %s: %w", len(newest), doc.Period, err)}
		}
	}
	for i, p := range applied {
		if p != nil && h.observer.Applied != nil {
			h.observer.Applied(chunk.Context(i), p.ev, p.c, p.effect)
		}
	}
	return ordering.ChunkResult{Handled: handled, Errors: errs}
}
