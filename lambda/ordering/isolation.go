package ordering

import (
	"context"
	"fmt"
	"time"
)

// Isolation takes a record out of line when its key fails on its own: the
// record's handler failed transiently, the failure's scope is KeyFailure
// (another key succeeded since this key began failing), the key has failed
// alone for at least After (a WideFailure restarts that clock), and the
// record is at least After old. The record then goes to Sink and counts as Isolated
// (not redelivered), and its chain carries on with the next record, which
// is processed normally. So one broken key stops blocking the keys that
// share its shard or message group after about After, instead of until the
// source gives up on the record.
//
// Taking a record out of line is safe only when the final state does not
// depend on the order records are applied in, as with orderly's stamp guard:
// a record redriven later is then either applied or found stale.
type Isolation struct {
	// After is the least age (now − Record.Arrived) of a record that may
	// be isolated. 0 turns isolation off; failures are still classified.
	After time.Duration
	// Window bounds how old another key's success may be to count as
	// evidence. Defaults to After, or DefaultEvidenceWindow when After is 0.
	Window time.Duration
	// Sink receives isolated records. Required when After > 0. If it
	// fails, the record stays Failed (redelivered), never lost.
	Sink IsolationSink
}

// IsolationSink receives records taken out of line; reason is an
// *IsolatedError.
type IsolationSink interface {
	Isolate(ctx context.Context, rec Record, reason *IsolatedError) error
}

// IsolatedError is the Result.Errors entry of an Isolated record: why it
// was taken out of line.
type IsolatedError struct {
	// Key is the failing key (orderly: the schedule period).
	Key string
	// Age is the record's age when it was isolated.
	Age time.Duration
	// Alone is how long the key had been failing while others succeeded.
	Alone time.Duration
	// Last is the handler's last error for the record.
	Last error
}

func (e *IsolatedError) Error() string {
	return fmt.Sprintf("isolated: key %q has failed for %s while other keys succeed; record %s old; last error: %v",
		e.Key, e.Alone.Round(time.Second), e.Age.Round(time.Second), e.Last)
}

// Unwrap returns the handler's last error.
func (e *IsolatedError) Unwrap() error { return e.Last }

// isolate takes rec out of line if the isolation rule allows it. It returns
// the outcome and error to record: Isolated, or Failed with the handler's
// error (possibly noting a sink failure).
func (e *Engine) isolate(ctx context.Context, rec Record, key string, scope FailureScope, alone time.Duration, last error) (Outcome, error) {
	if scope != KeyFailure || e.isolation.After <= 0 || rec.Arrived.IsZero() || alone < e.isolation.After {
		return Failed, last
	}
	age := e.now().Sub(rec.Arrived)
	if age < e.isolation.After {
		return Failed, last
	}
	reason := &IsolatedError{Key: key, Age: age, Alone: alone, Last: last}
	if err := safely(func() error { return e.isolation.Sink.Isolate(ctx, rec, reason) }); err != nil {
		return Failed, fmt.Errorf("%w (isolation failed: %v)", last, err)
	}
	return Isolated, reason
}
