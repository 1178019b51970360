// Package ordering runs a batch of records through a handler so that records
// sharing a partition are processed strictly one after another, in delivery
// order, while different partitions run concurrently.
//
// It is source-agnostic: the Kinesis and SQS FIFO adapters map their events
// onto Record and map the per-record Outcome back onto partial batch
// responses.
package ordering

import "context"

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
}

// Handler processes one record. Returning an error marked with
// failure.Permanent sends the record to the poison sink; any other error is
// transient and makes the record (and the rest of its partition) retry.
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
