package schedule

import (
	"context"
	"errors"
	"fmt"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/ordering"
)

// Handler applies one event to the third-party schedule: decode, fetch,
// apply, push. It implements ordering.Handler; the ordering engine
// guarantees that no two records of a partition (a schedule period) run at
// once, which is what makes this read-modify-write safe against an API that
// has no concurrency control.
type Handler struct {
	client   Client
	period   PeriodPath
	observer Observer
}

var _ ordering.ChunkHandler = (*Handler)(nil)

// Observer learns about each record the handler works on, for logs and
// metrics. Both functions are optional. They run on the engine's goroutine
// and must be quick and safe for concurrent use.
type Observer struct {
	// Decoded is called as soon as the record decodes into an event, before
	// any validation or I/O, so that telemetry can log the event id and
	// measure lag from the event time even when a later step fails.
	Decoded func(ctx context.Context, rec ordering.Record, ev event.Event)
	// Applied is called after a successful fetch-apply-(push), with what
	// the change did: EffectApplied when it was pushed, EffectStale for a
	// duplicate or stale event, EffectSuperseded for a change a newer one
	// of the same entity replaced within one coalesced push.
	Applied func(ctx context.Context, ev event.Event, c Change, effect Effect)
}

// HandlerOption configures a Handler.
type HandlerOption func(*Handler)

// WithPeriodPath reads the period at p instead of DefaultPeriodPath. It
// must be the path the stacks key delivery on.
func WithPeriodPath(p PeriodPath) HandlerOption {
	return func(h *Handler) { h.period = p }
}

// WithObserver installs o.
func WithObserver(o Observer) HandlerOption {
	return func(h *Handler) { h.observer = o }
}

// NewHandler returns a Handler that reads and writes schedules via client.
func NewHandler(client Client, opts ...HandlerOption) (*Handler, error) {
	if client == nil {
		return nil, errors.New("schedule: NewHandler needs a Client")
	}
	h := &Handler{client: client}
	for _, opt := range opts {
		opt(h)
	}
	return h, nil
}

// Handle processes one record. Malformed events are permanent errors; I/O
// errors keep the classification the client gave them. A duplicate or stale
// event costs one read and no write.
func (h *Handler) Handle(ctx context.Context, rec ordering.Record) error {
	ev, c, err := h.change(ctx, rec)
	if err != nil {
		return err
	}
	s, err := h.fetch(ctx, c.Period)
	if err != nil {
		return fmt.Errorf("event %s: %w", ev.ID, err)
	}
	changed := Apply(&s, c)
	if changed {
		if err := h.client.Push(ctx, s); err != nil {
			return fmt.Errorf("event %s: %w", ev.ID, err)
		}
	}
	if h.observer.Applied != nil {
		h.observer.Applied(ctx, ev, c, effectOf(changed))
	}
	return nil
}

// change decodes rec and parses its Change; every error is permanent.
func (h *Handler) change(ctx context.Context, rec ordering.Record) (event.Event, Change, error) {
	ev, err := event.Decode(rec.Data)
	if err != nil {
		return event.Event{}, Change{}, fmt.Errorf("record %s: %w", rec.ID, err)
	}
	if h.observer.Decoded != nil {
		h.observer.Decoded(ctx, rec, ev)
	}
	c, err := ParseChange(ev, h.period)
	return ev, c, err
}

func (h *Handler) fetch(ctx context.Context, period string) (Schedule, error) {
	s, err := h.client.Fetch(ctx, period)
	if err == nil && s.Period != period {
		err = fmt.Errorf("client returned schedule %q for period %q", s.Period, period)
	}
	return s, err
}

// Probe reads the schedule of period, a period that succeeded recently,
// and discards it: a read-only call that tells whether the API answers at
// all (ordering.Options.Probe). Reading is idempotent and changes nothing.
func (h *Handler) Probe(ctx context.Context, period string) error {
	_, err := h.fetch(ctx, period)
	return err
}
