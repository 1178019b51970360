package consistency_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/source"
)

var quiet = slog.New(slog.DiscardHandler)

// consumer is the Lambda function under test, called as a Go function by
// the event source mapping models: a fresh engine per invocation (as on a
// fresh container), behind the real source entry point.
type consumer struct {
	t       *testing.T
	seed    uint64
	handler ordering.ChunkHandler
	poison  ordering.PoisonSink
	// coalesce turns the engine's coalescing on, with a chunk bound drawn
	// per invocation.
	coalesce bool
	// check validates a response's failure list against its payload; the
	// mapping models would tolerate some malformed answers (an unknown id
	// fails the whole batch), so the test checks the contract itself.
	// engine, when set, serves every invocation: one long-lived container
	// whose failure evidence (ordering.Isolation) outlives a batch. It has
	// no deadline cut-offs.
	engine  *ordering.Engine
	check   func(payload []byte, failures []string) error
	invokes atomic.Int64
	cutoffs atomic.Int64 // invocations cut short by the deadline margin
}

// Invoke runs one invocation and returns its response as the JSON that
// Lambda would hand the event source mapping. Some invocations hit the
// deadline margin after a few records, which makes the engine skip the
// rest.
func (c *consumer) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	n := c.invokes.Add(1)
	deadline := time.Now().Add(time.Hour)
	var nowCalls atomic.Int64
	cutoff := int64(-1)
	if unit(c.seed, "deadline", int(n)) < 0.1 {
		cutoff = int64(unit(c.seed, "cutoff", int(n)) * 8)
		c.cutoffs.Add(1)
	}
	engine := c.engine
	var err error
	if engine == nil {
		engine, err = c.freshEngine(n, deadline, cutoff, &nowCalls)
	}
	if err != nil {
		c.t.Error(err)
		return nil, err
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	resp, err := source.NewHandler(engine, source.HandlerOptions{Logger: quiet}).Invoke(ctx, payload)
	if err != nil {
		c.t.Errorf("invoke: %v", err)
		return nil, err
	}
	data, err := json.Marshal(resp)
	if err != nil {
		c.t.Error(err)
		return nil, err
	}
	var parsed struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(data, &parsed); err != nil {
		c.t.Errorf("response %s: %v", data, err)
		return data, nil
	}
	ids := make([]string, len(parsed.BatchItemFailures))
	for i, f := range parsed.BatchItemFailures {
		ids[i] = f.ItemIdentifier
	}
	if err := c.check(payload, ids); err != nil {
		c.t.Error(err)
	}
	return data, nil
}

// freshEngine is invocation n's engine on a fresh container; it stops
// starting records after cutoff clock readings, if cutoff >= 0.
func (c *consumer) freshEngine(n int64, deadline time.Time, cutoff int64, nowCalls *atomic.Int64) (*ordering.Engine, error) {
	return ordering.New(c.handler, ordering.Options{
		MaxConcurrentPartitions: 1 + int(n%4),
		Poison:                  c.poison,
		Logger:                  quiet,
		SerializeBy:             schedule.PeriodPath{}.SerializeBy(),
		Coalesce:                c.coalesce,
		MaxChunk:                2 + int(unit(c.seed, "max-chunk", int(n))*10),
		Now: func() time.Time {
			if cutoff >= 0 && nowCalls.Add(1) > cutoff {
				return deadline // no time left: the margin stops the batch
			}
			return time.Now()
		},
	})
}

// checkKinesis: a Kinesis response names at most one record, the earliest
// failure, and it must be a record of the batch.
func checkKinesis(payload []byte, failures []string) error {
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return fmt.Errorf("Kinesis payload: %w", err)
	}
	if len(failures) > 1 {
		return fmt.Errorf("Kinesis response lists %d failures, want exactly the earliest one: %v", len(failures), failures)
	}
	for _, id := range failures {
		if !slices.ContainsFunc(ev.Records, func(r events.KinesisEventRecord) bool { return r.Kinesis.SequenceNumber == id }) {
			return fmt.Errorf("Kinesis response names %q, not a record of the batch", id)
		}
	}
	return nil
}

// checkSQS: every message an SQS response names is a message of the batch.
func checkSQS(payload []byte, failures []string) error {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return fmt.Errorf("SQS payload: %w", err)
	}
	for _, id := range failures {
		if !slices.ContainsFunc(ev.Records, func(m events.SQSMessage) bool { return m.MessageId == id }) {
			return fmt.Errorf("SQS response names %q, not a message of the batch", id)
		}
	}
	return nil
}

// flaky wraps the real handler with failures that depend only on the seed,
// the record (or the chunk's first record) and the attempt: a failure
// before the work, a failure after the work landed (so the redelivery is a
// duplicate in effect), and a panic. Records and chunks stop failing after
// three attempts, so every run terminates.
type flaky struct {
	next ordering.ChunkHandler
	seed uint64

	injected          atomic.Int64
	chunked, fellBack atomic.Int64

	mu       sync.Mutex
	attempts map[string]int
	chunks   map[string]int
}

// retries counts handler calls beyond the first, per record.
func (f *flaky) retries() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	for _, a := range f.attempts {
		n += int64(a - 1)
	}
	return n
}

var errInjected = errors.New("injected transient failure")

func (f *flaky) Handle(ctx context.Context, rec ordering.Record) error {
	f.mu.Lock()
	f.attempts[rec.ID]++
	n := f.attempts[rec.ID]
	f.mu.Unlock()
	if n > 3 {
		return f.next.Handle(ctx, rec)
	}
	u := unit(f.seed, rec.ID, n)
	if u < 0.12 {
		f.injected.Add(1)
	}
	switch {
	case u < 0.05:
		return fmt.Errorf("before handling: %w", errInjected)
	case u < 0.10:
		if err := f.next.Handle(ctx, rec); err != nil {
			return err
		}
		return fmt.Errorf("after handling: %w", errInjected)
	case u < 0.12:
		panic("injected panic")
	}
	return f.next.Handle(ctx, rec)
}

// HandleChunk injects the same kinds of failure into a coalesced chunk: the
// engine must then run the chunk's records one at a time.
func (f *flaky) HandleChunk(ctx context.Context, chunk ordering.Chunk) ordering.ChunkResult {
	f.chunked.Add(1)
	key := "chunk/" + chunk.Records[0].ID
	f.mu.Lock()
	f.chunks[key]++
	n := f.chunks[key]
	f.mu.Unlock()
	res := ordering.ChunkResult{Handled: len(chunk.Records)}
	u := 1.0
	if n <= 3 {
		u = unit(f.seed, key, n)
	}
	switch {
	case u < 0.05:
		f.injected.Add(1)
		res.Err = fmt.Errorf("before handling the chunk: %w", errInjected)
	case u < 0.10:
		if res = f.next.HandleChunk(ctx, chunk); res.Err == nil {
			f.injected.Add(1)
			res = ordering.ChunkResult{Handled: res.Handled, Err: fmt.Errorf("after handling the chunk: %w", errInjected)}
		}
	case u < 0.12:
		f.injected.Add(1)
		f.fellBack.Add(1)
		panic("injected panic in a chunk")
	default:
		res = f.next.HandleChunk(ctx, chunk)
	}
	if res.Err != nil {
		f.fellBack.Add(1)
	}
	return res
}

// sink is the poison sink: it records poisoned records and fails the first
// send of some of them, which the engine must turn into a retry.
type sink struct {
	seed uint64

	mu    sync.Mutex
	sends map[string]int
	got   map[string]int // record id -> accepted sends
}

func (s *sink) Poison(_ context.Context, rec ordering.Record, _ error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sends[rec.ID]++
	if s.sends[rec.ID] == 1 && unit(s.seed, "poison"+rec.ID, 1) < 0.3 {
		return errors.New("injected poison queue outage")
	}
	s.got[rec.ID]++
	return nil
}
