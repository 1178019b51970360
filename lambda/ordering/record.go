package ordering

import (
	"context"
	"time"
)

// Record is one unit of work as delivered by the event source.
type Record struct {
	Partition string // Kinesis partition key, or SQS MessageGroupId
	ID        string // Kinesis sequence number, or SQS message id
	Data      []byte // raw payload (Kinesis data, SQS body)
	// Source names the event source ("kinesis", "sqs"), set by the adapter
	// that built the record, so that collaborators created once per
	// container (such as a poison sink) can tell where a record came from.
	// The engine itself never looks at it.
	Source string
	// Arrived is when the record entered the stream or queue (Kinesis
	// approximateArrivalTimestamp, SQS SentTimestamp): its age decides
	// whether it may be isolated (Options.Isolation). Zero means unknown,
	// and such a record is never isolated.
	Arrived time.Time
}

// Handler processes one record. It returns nil when the record is done; an
// error marked with failure.Permanent when retrying cannot help (the record
// goes to the PoisonSink and its partition carries on); any other error when
// it is transient (the record and the rest of its partition are retried).
// See the package documentation for the full contract.
type Handler interface {
	Handle(ctx context.Context, rec Record) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, rec Record) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, rec Record) error { return f(ctx, rec) }

// PoisonSink receives records that failed permanently. If Poison returns an
// error, the record counts as Failed (transient) so that it is not lost.
type PoisonSink interface {
	Poison(ctx context.Context, rec Record, reason error) error
}

// PoisonSinkFunc adapts a function to PoisonSink.
type PoisonSinkFunc func(ctx context.Context, rec Record, reason error) error

// Poison calls f.
func (f PoisonSinkFunc) Poison(ctx context.Context, rec Record, reason error) error {
	return f(ctx, rec, reason)
}
