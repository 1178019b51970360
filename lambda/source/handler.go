package source

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

// Processor runs a batch; *ordering.Engine implements it.
type Processor interface {
	Process(ctx context.Context, recs []ordering.Record) ordering.Result
}

// BatchReport describes one processed batch, for metrics.
type BatchReport struct {
	Source   Kind
	Records  []ordering.Record
	Result   ordering.Result
	Started  time.Time
	Finished time.Time
}

// HandlerOptions configure a Handler. All fields are optional.
type HandlerOptions struct {
	// OnBatch is called after each non-empty batch, before the response is
	// returned. It must not block for long: the invocation is still open.
	OnBatch func(ctx context.Context, report BatchReport)
	// OnSQSRetry is called before an SQS response that lists messages for
	// retry is returned, with those messages (SQSRetries) in batch order
	// and the scope of the failure holding each back: the place to act on
	// them while the invocation still holds them, such as setting their
	// visibility timeout (lambda/visibility). It cannot change the
	// response, and its time counts against the invocation's: keep it
	// bounded. Not called when nothing is retried.
	OnSQSRetry func(ctx context.Context, retry []SQSRetry)
	// Logger receives one summary line per batch. Defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

// Handler is a Lambda entry point for Kinesis and SQS event source
// mappings; create one per container and pass Invoke to lambda.Start.
type Handler struct {
	proc       Processor
	onBatch    func(context.Context, BatchReport)
	onSQSRetry func(context.Context, []SQSRetry)
	log        *slog.Logger
	now        func() time.Time
}

// NewHandler wraps proc (normally an *ordering.Engine).
func NewHandler(proc Processor, opts HandlerOptions) *Handler {
	h := &Handler{proc: proc, onBatch: opts.OnBatch, onSQSRetry: opts.OnSQSRetry, log: opts.Logger, now: opts.Now}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// emptyResponse is valid for both sources: no failures.
type emptyResponse struct {
	BatchItemFailures []struct{} `json:"batchItemFailures"`
}

// Invoke handles one invocation. It returns an error only when the payload
// is not a Kinesis or SQS event: per-record problems are reported through
// batchItemFailures, never by failing the whole batch.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	kind, err := Detect(payload)
	if err != nil {
		return nil, err
	}
	switch kind {
	case Kinesis:
		var ev events.KinesisEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode Kinesis event: %w", err)
		}
		res := h.process(ctx, Kinesis, KinesisRecords(ev))
		return KinesisResponse(ev, res), nil
	case SQS:
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("decode SQS event: %w", err)
		}
		res := h.process(ctx, SQS, SQSRecords(ev))
		if retry := SQSRetries(ev, res); len(retry) > 0 && h.onSQSRetry != nil {
			h.onSQSRetry(ctx, retry)
		}
		return SQSResponse(ev, res), nil
	default:
		return emptyResponse{BatchItemFailures: []struct{}{}}, nil
	}
}

func (h *Handler) process(ctx context.Context, kind Kind, recs []ordering.Record) ordering.Result {
	started := h.now()
	res := h.proc.Process(ctx, recs)
	report := BatchReport{Source: kind, Records: recs, Result: res, Started: started, Finished: h.now()}
	h.log.LogAttrs(ctx, slog.LevelInfo, "batch processed",
		slog.String("source", string(kind)),
		slog.Int("records", len(recs)),
		slog.Int("succeeded", res.Count(ordering.Succeeded)),
		slog.Int("failed", res.Count(ordering.Failed)),
		slog.Int("poisoned", res.Count(ordering.Poisoned)),
		slog.Int("isolated", res.Count(ordering.Isolated)),
		slog.Int("failedKeySpecific", res.CountScope(ordering.KeyFailure)),
		slog.Int("failedWide", res.CountScope(ordering.WideFailure)),
		slog.Int("skipped", res.Count(ordering.Skipped)),
		slog.Float64("durationMs", float64(report.Finished.Sub(started).Microseconds())/1000),
	)
	if h.onBatch != nil {
		h.onBatch(ctx, report)
	}
	return res
}
