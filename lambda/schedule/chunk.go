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
// It takes the records up to, not including, the first change that would
// modify an entity the pending push already modifies: one push never
// carries two changes of one entity, so the API judges every change that
// takes effect just as it would have alone (a change that a later one
// overwrote within the push could otherwise never be refused). The engine
// offers the remaining records as the next chunk.
//
// A malformed record is reported on its own as the permanent error Handle
// returns for it. A failed fetch or push is reported as the chunk's Err:
// the engine then runs the chunk one record at a time with Handle, so that
// only a record the API rejects is poisoned.
func (h *Handler) HandleChunk(ctx context.Context, chunk ordering.Chunk) ordering.ChunkResult {
	type pending struct {
		ev      event.Event
		c       Change
		changed bool
	}
	var (
		doc      Schedule
		fetched  bool
		modified = map[EntityKey]bool{}
		applied  = make([]*pending, 0, len(chunk.Records))
		errs     = make([]error, 0, len(chunk.Records))
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
		if c.Period != doc.Period || (modified[c.Key] && Applies(doc, c)) {
			break // the next chunk starts here
		}
		p := &pending{ev: ev, c: c, changed: Apply(&doc, c)}
		if p.changed {
			modified[c.Key] = true
		}
		applied = append(applied, p)
		errs = append(errs, nil)
	}
	handled := len(errs)
	if len(modified) > 0 {
		if err := h.client.Push(ctx, doc); err != nil {
			return ordering.ChunkResult{Handled: handled, Err: fmt.Errorf("push of %d changes to %s: %w", len(modified), doc.Period, err)}
		}
	}
	for i, p := range applied {
		if p != nil && h.observer.Applied != nil {
			h.observer.Applied(chunk.Context(i), p.ev, p.c, p.changed)
		}
	}
	return ordering.ChunkResult{Handled: handled, Errors: errs}
}
