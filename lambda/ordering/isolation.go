package ordering

import (
	"context"
	"fmt"
	"log/slog"
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
	// Probe, when set, asks the downstream about key, a key other than a
	// failing one that succeeded recently in this engine, when the
	// evidence of another key's success is missing or older than
	// ProbeInterval: nil means the downstream answers. It gives evidence
	// where the batches cannot, as when one shard or one message group
	// holds every key and the failing record is retried alone, which
	// would otherwise look like an outage forever. It must be cheap,
	// read-only and idempotent (orderly: a fetch of that period).
	Probe func(ctx context.Context, key string) error
	// ProbeInterval is the least time between two probes of one engine.
	// Defaults to DefaultProbeInterval, or half the window if that is
	// shorter.
	ProbeInterval time.Duration
}

// DefaultProbeInterval bounds the probes to one per 10 s per execution
// environment: an outage costs that many extra failing calls, and a key
// failing alone keeps evidence fresher than the window needs.
const DefaultProbeInterval = 10 * time.Second

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

// probeIfStale refreshes the evidence after key's failure, before it is
// classified: when no other key has succeeded since key began failing and
// within the probe interval, it probes the most recent other key that
// succeeded, if no probe started within the interval and the invocation
// has time for one more call (the deadline margin, checked as before a
// record, covers it). A successful probe began after key's failure ended,
// so it counts as that key's success and as evidence.
func (e *Engine) probeIfStale(ctx context.Context, key string) {
	if e.isolation.Probe == nil || e.cannotStart(ctx) != nil {
		return
	}
	other, ok := e.health.probeTarget(key, e.now(), e.isolation.ProbeInterval)
	if !ok {
		return
	}
	if err := safely(func() error { return e.isolation.Probe(ctx, other) }); err != nil {
		e.log.LogAttrs(ctx, slog.LevelWarn, "probe failed: the downstream looks down",
			slog.String("failingKey", key), slog.String("probedKey", other), slog.String(LogError, err.Error()))
		return
	}
	e.health.succeeded(other, e.now())
}

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
