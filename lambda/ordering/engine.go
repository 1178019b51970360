package ordering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/orderly-dev/orderly/lambda/failure"
)

// Defaults applied by New when the corresponding option is zero.
const (
	DefaultMaxConcurrentPartitions = 10
	// DefaultDeadlineMargin must cover the worst case of one record (in
	// orderly's consumer: a fetch and a push with the HTTP client's retries)
	// plus sending the response; otherwise a record started just before the
	// deadline would be cut off mid read-modify-write.
	DefaultDeadlineMargin = 5 * time.Second
)

// Options configure an Engine.
type Options struct {
	// MaxConcurrentPartitions bounds how many partitions run at once.
	// Defaults to DefaultMaxConcurrentPartitions when <= 0.
	MaxConcurrentPartitions int
	// DeadlineMargin: no record is started when the context deadline is
	// closer than this. Defaults to DefaultDeadlineMargin when <= 0.
	// A context without a deadline never stops the engine.
	DeadlineMargin time.Duration
	// Poison receives permanently failing records. Required.
	Poison PoisonSink
	// Now returns the current time; tests replace it. Defaults to time.Now.
	Now func() time.Time
	// Logger receives one line per record. Defaults to slog.Default().
	Logger *slog.Logger
	// SerializeBy, when set, returns the key a record's work must be
	// serialized on besides its delivery partition (orderly's consumer:
	// the schedule period), or false when the record has none. Records of
	// one key then run one after another even when a mis-keyed producer
	// delivered them under different partitions, so within one batch such
	// a producer can at worst reorder records, never run two at once. Each
	// key seen under more than one partition is logged and listed in
	// Result.SplitKeys: across invocations the engine cannot protect it.
	SerializeBy func(Record) (key string, ok bool)
	// Coalesce lets the engine hand a ChunkHandler runs of consecutive
	// records of one chain that share a SerializeBy key, instead of one
	// record at a time; outcomes stay exactly those of one record at a
	// time (see the package documentation). It needs SerializeBy and a
	// handler that implements ChunkHandler. Off by default.
	Coalesce bool
	// MaxChunk bounds the records offered to one HandleChunk call.
	// Defaults to DefaultMaxChunk when <= 0; 1 turns coalescing off.
	MaxChunk int
	// Isolation takes a record whose key fails on its own out of line
	// once it is old enough. Off by default; transient failures are
	// classified (Result.Scopes) either way.
	Isolation Isolation
}

// Engine processes batches; it is safe for concurrent use and meant to be
// created once per container.
type Engine struct {
	handler     Handler
	poison      PoisonSink
	concurrency int
	margin      time.Duration
	now         func() time.Time
	log         *slog.Logger
	keyOf       func(Record) (string, bool)
	// chunker is the handler as a ChunkHandler when coalescing is on.
	chunker  ChunkHandler
	maxChunk int
	// isolation and health: which keys fail on their own (health is
	// shared by every batch of the container).
	isolation Isolation
	health    *health
}

// New returns an Engine, applying defaults to zero options.
func New(h Handler, opts Options) (*Engine, error) {
	if h == nil {
		return nil, errors.New("ordering: handler is required")
	}
	if opts.Poison == nil {
		return nil, errors.New("ordering: Options.Poison is required: permanent failures need somewhere to go")
	}
	e := &Engine{
		handler:     h,
		poison:      opts.Poison,
		concurrency: opts.MaxConcurrentPartitions,
		margin:      opts.DeadlineMargin,
		now:         opts.Now,
		log:         opts.Logger,
		keyOf:       opts.SerializeBy,
		maxChunk:    opts.MaxChunk,
		isolation:   opts.Isolation,
	}
	switch iso := &e.isolation; {
	case iso.After < 0 || iso.Window < 0:
		return nil, fmt.Errorf("ordering: Options.Isolation: After %s and Window %s must not be negative", iso.After, iso.Window)
	case iso.After > 0 && iso.Sink == nil:
		return nil, errors.New("ordering: Options.Isolation.Sink is required when Isolation.After is set: isolated records need somewhere to go")
	case iso.Window == 0 && iso.After > 0:
		iso.Window = iso.After
	case iso.Window == 0:
		iso.Window = DefaultEvidenceWindow
	}
	if iso := &e.isolation; iso.ProbeInterval <= 0 {
		iso.ProbeInterval = min(DefaultProbeInterval, iso.Window/2)
	}
	e.health = newHealth(e.isolation.Window)
	if e.maxChunk <= 0 {
		e.maxChunk = DefaultMaxChunk
	}
	if opts.Coalesce {
		ch, ok := h.(ChunkHandler)
		switch {
		case opts.SerializeBy == nil:
			return nil, errors.New("ordering: Options.Coalesce needs Options.SerializeBy: chunks are runs of records that share its key")
		case !ok:
			return nil, fmt.Errorf("ordering: Options.Coalesce needs a handler that implements ChunkHandler; %T does not", h)
		}
		e.chunker = ch
	}
	if e.concurrency <= 0 {
		e.concurrency = DefaultMaxConcurrentPartitions
	}
	if e.margin <= 0 {
		e.margin = DefaultDeadlineMargin
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	return e, nil
}

// Process runs recs and returns one outcome per record. It never returns
// early: every record ends with an outcome, so the adapter can always build
// a precise partial batch response.
func (e *Engine) Process(ctx context.Context, recs []Record) Result {
	res := Result{Outcomes: make([]Outcome, len(recs)), Errors: make([]error, len(recs)),
		Scopes: make([]FailureScope, len(recs)), handlerFailed: make([]bool, len(recs))}
	if len(recs) == 0 {
		return res
	}
	keys := keysOf(recs, e.keyOf)
	partitions, split := chains(recs, keys)
	res.SplitKeys = split
	for _, s := range split {
		e.log.WarnContext(ctx, "key delivered under several partitions: serialized within this batch, but other invocations may run it concurrently",
			slog.String("key", s.Key), slog.Any("partitions", s.Partitions))
	}
	if len(partitions) == 1 {
		// Common for small SQS FIFO batches; spares a goroutine.
		e.runPartition(ctx, recs, keys, partitions[0], &res)
		e.scopeFailures(recs, keys, partitions, &res)
		return res
	}
	sem := make(chan struct{}, e.concurrency)
	var wg sync.WaitGroup
	for _, idx := range partitions {
		// Acquiring before spawning bounds the goroutines as well as the work.
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			// Each goroutine writes only the indices of its own partition,
			// so res needs no lock.
			e.runPartition(ctx, recs, keys, idx, &res)
		}()
	}
	wg.Wait()
	e.scopeFailures(recs, keys, partitions, &res)
	return res
}

// healthKey is the key whose health a record reports on: its
// serialization key, or its partition without one.
func healthKey(recs []Record, keys []recordKey, i int) string {
	if keys != nil && keys[i].ok {
		return keys[i].key
	}
	return recs[i].Partition
}

// scopeFailures classifies, as the batch ends, each record that failed in
// its handler, and gives the records skipped behind it in its chain the
// same scope. Classifying now rather than when the record failed counts
// the successes of chains that finished after it. A failure whose batch
// also saw another key succeed counts as a KeyFailure here even without
// the stricter evidence isolation needs: the downstream answered that key
// within the same few seconds, so the failure is no reason to hold the
// record back as in an outage. That choice only sets the retry delay.
func (e *Engine) scopeFailures(recs []Record, keys []recordKey, chains [][]int, res *Result) {
	now := e.now()
	var succeeded []string // distinct keys that succeeded in this batch, up to two
	for i, o := range res.Outcomes {
		if k := healthKey(recs, keys, i); o == Succeeded && len(succeeded) < 2 && !slices.Contains(succeeded, k) {
			succeeded = append(succeeded, k)
		}
	}
	for _, idx := range chains {
		scope := NoFailureScope
		for _, i := range idx {
			switch {
			case res.Outcomes[i] == Failed && res.handlerFailed[i]:
				key := healthKey(recs, keys, i)
				scope, _ = e.health.classify(key, now)
				if scope == WideFailure && slices.ContainsFunc(succeeded, func(k string) bool { return k != key }) {
					scope = KeyFailure
				}
				res.Scopes[i] = scope
			case res.Outcomes[i] == Failed:
				scope = NoFailureScope
			case res.Outcomes[i] == Skipped && errors.Is(res.Errors[i], ErrPartitionBlocked):
				res.Scopes[i] = scope
			}
		}
	}
}

// runPartition runs one chain (idx, in delivery order): a chunk at a time
// where coalescing applies, otherwise a record at a time. The deadline is
// checked before each chunk and before each record.
func (e *Engine) runPartition(ctx context.Context, recs []Record, keys []recordKey, idx []int, res *Result) {
	for n := 0; n < len(idx); {
		if reason := e.cannotStart(ctx); reason != nil {
			e.skipRest(ctx, recs, idx[n:], res, reason)
			return
		}
		offered := e.chunkLen(keys, idx[n:])
		if offered == 1 {
			if !e.runOne(ctx, recs, keys, idx[n:], res) {
				return
			}
			n++
			continue
		}
		handled, vouched, stopped := e.runChunk(ctx, recs, keys, idx[n:], offered, res)
		if stopped {
			return
		}
		if !vouched {
			// One record at a time, as without coalescing, so that every
			// outcome is decided exactly as it would have been.
			for k := range handled {
				if reason := e.cannotStart(ctx); reason != nil {
					e.skipRest(ctx, recs, idx[n+k:], res, reason)
					return
				}
				if !e.runOne(ctx, recs, keys, idx[n+k:], res) {
					return
				}
			}
		}
		n += handled
	}
}

// runOne runs the record rest[0] on its own. If it ends Failed, the rest of
// the chain is skipped and runOne returns false.
func (e *Engine) runOne(ctx context.Context, recs []Record, keys []recordKey, rest []int, res *Result) bool {
	i := rest[0]
	recCtx, notes := withAnnotations(ctx)
	outcome, took, err, handlerFailed := e.runRecord(recCtx, recs[i])
	key := healthKey(recs, keys, i)
	switch {
	case outcome == Succeeded:
		e.health.succeeded(key, e.now())
	case handlerFailed:
		res.handlerFailed[i] = true
		e.health.failed(key, e.now())
		e.probeIfStale(ctx, key)
		scope, alone := e.health.classify(key, e.now())
		notes.add(slog.String(LogFailureScope, scope.String()))
		outcome, err = e.isolate(ctx, recs[i], key, scope, alone, err)
	}
	res.Outcomes[i], res.Errors[i] = outcome, err
	e.logRecord(ctx, recs[i], outcome, err, took, notes.list()...)
	if outcome == Failed {
		blocked := fmt.Errorf("%w (record %s)", ErrPartitionBlocked, recs[i].ID)
		e.skipRest(ctx, recs, rest[1:], res, blocked)
		return false
	}
	return true
}

func (e *Engine) cannotStart(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return ErrDeadlineNear
		}
		return ErrCanceled
	}
	if deadline, ok := ctx.Deadline(); ok {
		if left := deadline.Sub(e.now()); left < e.margin {
			return fmt.Errorf("%w (%s left, margin %s)", ErrDeadlineNear, left.Round(time.Millisecond), e.margin)
		}
	}
	return nil
}

func (e *Engine) skipRest(ctx context.Context, recs []Record, idx []int, res *Result, reason error) {
	for _, i := range idx {
		res.Outcomes[i], res.Errors[i] = Skipped, reason
		e.logRecord(ctx, recs[i], Skipped, reason, 0)
	}
}

// runRecord runs rec's handler; handlerFailed reports a Failed outcome
// that the handler caused (not the poison sink).
func (e *Engine) runRecord(ctx context.Context, rec Record) (outcome Outcome, took time.Duration, err error, handlerFailed bool) {
	start := e.now()
	err = safely(func() error { return e.handler.Handle(ctx, rec) })
	switch {
	case err == nil:
		return Succeeded, e.now().Sub(start), nil, false
	case !failure.IsPermanent(err):
		return Failed, e.now().Sub(start), err, true
	}
	outcome, err = e.poisonRecord(ctx, rec, err)
	return outcome, e.now().Sub(start), err, false
}

// poisonRecord hands a permanently failing record to the sink: Poisoned,
// or Failed if the sink fails, so that the record is retried, not lost.
func (e *Engine) poisonRecord(ctx context.Context, rec Record, reason error) (Outcome, error) {
	if perr := safely(func() error { return e.poison.Poison(ctx, rec, reason) }); perr != nil {
		return Failed, fmt.Errorf("send to poison sink failed: %w (permanent error was: %v)", perr, reason)
	}
	return Poisoned, reason
}

// safely converts a panic into a transient *PanicError.
func safely(call func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return call()
}

func (e *Engine) logRecord(ctx context.Context, rec Record, outcome Outcome, err error, took time.Duration, notes ...slog.Attr) {
	level := slog.LevelInfo
	switch outcome {
	case Skipped:
		level = slog.LevelWarn
	case Failed, Poisoned, Isolated:
		level = slog.LevelError
	}
	if !e.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String(LogPartition, rec.Partition),
		slog.String(LogRecordID, rec.ID),
		slog.String(LogOutcome, outcome.String()),
	}
	attrs = append(attrs, notes...)
	if outcome != Skipped {
		attrs = append(attrs, slog.Float64(LogDurationMs, float64(took.Microseconds())/1000))
	}
	if err != nil {
		attrs = append(attrs, slog.String(LogError, err.Error()))
		var p *PanicError
		if errors.As(err, &p) {
			attrs = append(attrs, slog.String("stack", string(p.Stack)))
		}
	}
	e.log.LogAttrs(ctx, level, LogRecordProcessed, attrs...)
}
