package kinesisesm

import (
	"context"
	"time"

	"github.com/orderly-dev/orderly/infra/onfailure"
)

// Record is one Kinesis record as read from a shard.
type Record struct {
	ShardID        string
	SequenceNumber string
	PartitionKey   string
	Data           []byte
	ArrivalTime    time.Time
}

// Shard reads one shard from its trim horizon onwards.
type Shard interface {
	ID() string
	// Read returns the records after those returned before; none when no
	// new record has arrived yet.
	Read(ctx context.Context) ([]Record, error)
}

// Invoker invokes the function synchronously with a Lambda Kinesis event.
// A non-nil error means the invocation failed as a whole (the function
// returned an error, crashed or timed out): the batch is retried.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (response []byte, err error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Invoke calls f.
func (f InvokerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// Invocation describes one invocation, for observers.
type Invocation struct {
	ShardID string
	Lane    int
	Records []Record
	// Retry is 0 for a first delivery of this batch, n for the n-th retry.
	Retry int
	// Err is the invocation's failure, if it failed as a whole.
	Err error
	// Failed is the reported sequence number the lane checkpointed before,
	// "" if none.
	Failed   string
	Started  time.Time
	Finished time.Time
}

// OnFailure is what the mapping sends to its on-failure destination for a
// discarded batch: like Lambda, the invocation record, here without the
// payload. Records keeps the discarded records for the harness's
// accounting; it is not part of the JSON.
type OnFailure struct {
	onfailure.Object
	Records []Record `json:"-"`
}

// Stats counts what the mapping did.
type Stats struct {
	Read            int // records read from the shards
	Finished        int // records checkpointed past or discarded
	Discarded       int // records sent to the on-failure destination
	Invocations     int
	FailedInvokes   int // invocations that failed as a whole
	PartialFailures int // invocations that reported a batch item failure
	Bisections      int
	Redelivered     int // record deliveries after the first
}
