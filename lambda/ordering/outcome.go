package ordering

import (
	"errors"
	"fmt"
)

// Outcome is what happened to one record of a batch.
type Outcome int

// The zero value is Skipped on purpose: a record the engine never reached is
// reported for redelivery rather than silently treated as done.
const (
	// Skipped means the record was not started, because an earlier record of
	// its partition failed or because the invocation deadline was too close.
	Skipped Outcome = iota
	// Succeeded means the handler returned nil.
	Succeeded
	// Failed means a transient error (or a recovered panic, or a poison sink
	// failure): the source must redeliver the record.
	Failed
	// Poisoned means a permanent error: the record went to the poison sink
	// and must not be redelivered.
	Poisoned
	// Isolated means a transient failure of the record's key alone, on a
	// record old enough to take out of line (Options.Isolation): it went
	// to the isolation sink and must not be redelivered.
	Isolated
)

// String returns the lower-case name used in logs.
func (o Outcome) String() string {
	switch o {
	case Skipped:
		return "skipped"
	case Succeeded:
		return "succeeded"
	case Failed:
		return "failed"
	case Poisoned:
		return "poisoned"
	case Isolated:
		return "isolated"
	default:
		return fmt.Sprintf("outcome(%d)", int(o))
	}
}

// Retry reports whether the source must redeliver a record with this outcome.
func (o Outcome) Retry() bool { return o == Failed || o == Skipped }

// Reasons recorded in Result.Errors for skipped records.
var (
	// ErrPartitionBlocked: an earlier record of the same partition failed,
	// so starting this one would break the partition's order.
	ErrPartitionBlocked = errors.New("skipped: an earlier record of the partition failed")
	// ErrDeadlineNear: the invocation deadline was closer than the margin.
	ErrDeadlineNear = errors.New("skipped: invocation deadline too close to start the record")
	// ErrCanceled: the invocation context was canceled before the record started.
	ErrCanceled = errors.New("skipped: invocation canceled")
)

// Result holds the per-record outcomes of one Process call.
type Result struct {
	// Outcomes is index-aligned with the records passed to Process.
	Outcomes []Outcome
	// Errors is index-aligned with Outcomes: nil for Succeeded, the handler
	// error for Poisoned and Failed, an *IsolatedError for Isolated, and one of ErrPartitionBlocked,
	// ErrDeadlineNear or ErrCanceled (wrapped) for Skipped.
	Errors []error
	// SplitKeys lists the keys (Options.SerializeBy) that this batch
	// delivered under more than one partition.
	SplitKeys []SplitKey
	// Scopes is index-aligned with Outcomes: for a Failed record whose
	// handler failed, the failure's scope as the batch ends (other chains
	// of the batch may have succeeded meanwhile, and another key's success
	// in the same batch is enough here); for a record Skipped behind it
	// (ErrPartitionBlocked), the same scope; NoFailureScope for everything
	// else. An SQS source holds WideFailure messages back
	// longer (lambda/visibility): the vendor looks down.
	Scopes []FailureScope
	// handlerFailed marks the Failed records whose handler failed, as
	// opposed to their poison or isolation sink.
	handlerFailed []bool
}

// CountScope returns how many Failed records have scope s.
func (r Result) CountScope(s FailureScope) int {
	n := 0
	for i, got := range r.Scopes {
		if got == s && r.Outcomes[i] == Failed {
			n++
		}
	}
	return n
}

// Count returns how many records have outcome o.
func (r Result) Count(o Outcome) int {
	n := 0
	for _, got := range r.Outcomes {
		if got == o {
			n++
		}
	}
	return n
}

// PanicError is the transient error recorded when a handler (or the poison
// sink) panics. Panics are treated as transient because they are usually
// bugs or resource problems that a redeploy or retry can fix; poisoning
// would drop the record for good.
type PanicError struct {
	Value any
	Stack []byte
}

// Error describes the panic value; the stack is logged separately.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }
