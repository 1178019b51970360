package telemetry

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/source"
)

// The consumer's telemetry plugs into four hooks. Per batch, the lag and
// the effect counts travel from the record handler to the metrics line
// through the context: TrackBatch installs them before the batch,
// EventDecoded and RecordEffect feed them from each record, and
// PublishBatch reads them when the batch is done.

// LambdaHandler is the signature of the consumer's Lambda entry point
// (source.Handler.Invoke).
type LambdaHandler func(ctx context.Context, payload json.RawMessage) (any, error)

// TrackBatch gives each invocation of next its own lag tracker and effect
// counts, so that the metrics of a batch cover that batch's records only.
func TrackBatch(next LambdaHandler) LambdaHandler {
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		ctx, _ = WithLagTracker(ctx, nil)
		ctx, _ = WithEffectCounts(ctx)
		return next(ctx, payload)
	}
}

// EventDecoded returns the hook to call as soon as a record decodes into an
// event (schedule.Observer.Decoded): it records the event's lag, puts the
// event id on the record's outcome log line (ordering.Annotate) and logs
// the decoded event at debug level on log.
func EventDecoded(log *slog.Logger) func(ctx context.Context, rec ordering.Record, ev event.Event) {
	return func(ctx context.Context, rec ordering.Record, ev event.Event) {
		ObserveEventTime(ctx, ev.Time)
		ordering.Annotate(ctx, slog.String(FieldEventID, ev.ID))
		log.LogAttrs(ctx, slog.LevelDebug, "event decoded",
			slog.String(ordering.LogRecordID, rec.ID), slog.String(FieldEventID, ev.ID), slog.String("detailType", ev.DetailType))
	}
}

// RecordEffect is the hook to call once a change was handled
// (schedule.Observer.Applied): it puts the effect on the record's outcome
// log line (FieldEffect) and counts stale and superseded changes for the
// batch's metrics.
func RecordEffect(ctx context.Context, _ event.Event, _ schedule.Change, effect schedule.Effect) {
	ordering.Annotate(ctx, slog.String(FieldEffect, string(effect)))
	countEffect(ctx, effect)
}

// PublishBatch returns the source.HandlerOptions.OnBatch hook: it writes one
// EMF line per batch through metrics, with the largest lag TrackLag's
// tracker saw. A failed write is logged on log and does not fail the batch:
// the records are done, and retrying them for a metric would be worse.
func PublishBatch(metrics *Metrics, log *slog.Logger) func(ctx context.Context, report source.BatchReport) {
	return func(ctx context.Context, r source.BatchReport) {
		m := Summarize(string(r.Source), r.Result, r.Finished.Sub(r.Started))
		m.Lag, m.LagKnown = MaxLag(ctx)
		m.Stale, m.Superseded = effectsOf(ctx)
		if err := metrics.Emit(m); err != nil {
			log.ErrorContext(ctx, "emit metrics", "error", err.Error())
		}
	}
}

// RetryBackoffFailed returns the visibility.Options.NotDelayed hook: it
// writes the MetricRetryBackoffFailed line for the SQS source. A failed
// write is logged on log; the messages are unaffected either way.
func RetryBackoffFailed(metrics *Metrics, log *slog.Logger) func(ctx context.Context, messages int) {
	return func(ctx context.Context, messages int) {
		if err := metrics.EmitCount(string(source.SQS), MetricRetryBackoffFailed, messages); err != nil {
			log.ErrorContext(ctx, "emit metrics", "error", err.Error())
		}
	}
}
