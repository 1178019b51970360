package consistency_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/source"
	"github.com/orderly-dev/orderly/sim/payloads"
)

// maxInvocations bounds every simulated run: injected failures stop after a
// few attempts per record, so a run that needs more is stuck.
const maxInvocations = 5000

var quiet = slog.New(slog.DiscardHandler)

// consumer is the Lambda function under test: a fresh engine per invocation
// (as on a fresh container), behind the real source entry point.
type consumer struct {
	seed    uint64
	handler ordering.Handler
	poison  ordering.PoisonSink
	invokes atomic.Int64
	cutoffs atomic.Int64 // invocations cut short by the deadline margin
}

// invoke runs one invocation and returns the item identifiers of the
// response's batchItemFailures, read from the JSON that Lambda would see.
// Some invocations hit the deadline margin after a few records, which makes
// the engine skip the rest.
func (c *consumer) invoke(t *testing.T, payload []byte) []string {
	t.Helper()
	n := c.invokes.Add(1)
	deadline := time.Now().Add(time.Hour)
	var nowCalls atomic.Int64
	cutoff := int64(-1)
	if unit(c.seed, "deadline", int(n)) < 0.1 {
		cutoff = int64(unit(c.seed, "cutoff", int(n)) * 8)
		c.cutoffs.Add(1)
	}
	engine, err := ordering.New(c.handler, ordering.Options{
		MaxConcurrentPartitions: 1 + int(n%4),
		Poison:                  c.poison,
		Logger:                  quiet,
		Now: func() time.Time {
			if cutoff >= 0 && nowCalls.Add(1) > cutoff {
				return deadline // no time left: the margin stops the batch
			}
			return time.Now()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	resp, err := source.NewHandler(engine, source.HandlerOptions{Logger: quiet}).Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	data, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(data, &parsed); err != nil {
		t.Fatalf("response %s: %v", data, err)
	}
	ids := make([]string, len(parsed.BatchItemFailures))
	for i, f := range parsed.BatchItemFailures {
		ids[i] = f.ItemIdentifier
	}
	return ids
}

// runKinesis simulates Kinesis event source mappings with
// ReportBatchItemFailures: one poller per shard, concurrently, each reading
// batches of 1..10 records from its checkpoint; a response naming record X
// moves the checkpoint to X, so X and everything after it in the shard come
// back, including records of other partition keys that had succeeded.
func runKinesis(t *testing.T, c *consumer, w workload, shards int) {
	t.Helper()
	streams := make([][]payloads.Message, shards)
	for i, e := range w.events {
		h := fnv.New32a()
		h.Write([]byte(e.period))
		s := int(h.Sum32()) % shards
		streams[s] = append(streams[s], payloads.Message{
			Partition: e.period, // the stack's partition key path: $.detail.scheduleDate
			ID:        fmt.Sprintf("4959%d%020d", s, i),
			Data:      e.data,
		})
	}
	var wg sync.WaitGroup
	for s, stream := range streams {
		wg.Go(func() {
			checkpoint := 0
			for round := 0; checkpoint < len(stream); round++ {
				if round >= maxInvocations {
					t.Errorf("shard %d stuck at checkpoint %d/%d after %d invocations", s, checkpoint, len(stream), round)
					return
				}
				size := 1 + int(unit(w.seed, fmt.Sprint("batch", s), round)*10)
				batch := stream[checkpoint:min(checkpoint+size, len(stream))]
				failures := c.invoke(t, payloads.KinesisPayload(batch...))
				if len(failures) == 0 {
					checkpoint += len(batch)
					continue
				}
				if len(failures) != 1 {
					t.Errorf("Kinesis response lists %d failures, want exactly the earliest one: %v", len(failures), failures)
					return
				}
				at := slices.IndexFunc(batch, func(m payloads.Message) bool { return m.ID == failures[0] })
				if at < 0 {
					t.Errorf("Kinesis response names %q, not a record of the batch", failures[0])
					return
				}
				checkpoint += at
			}
		})
	}
	wg.Wait()
}

// runFIFO simulates SQS FIFO event source mappings: pollers concurrently
// receive up to 10 messages in queue order from groups no other poller has
// in flight; messages the response lists return to the queue in place
// (ahead of their group's later messages), the rest are deleted.
func runFIFO(t *testing.T, c *consumer, w workload, pollers int) {
	t.Helper()
	type message struct {
		payloads.Message
		inFlight bool
	}
	var mu sync.Mutex
	queue := make([]*message, len(w.events))
	for i, e := range w.events {
		data := e.data
		if unit(w.seed, "pipe", i) < 0.5 {
			data = pipeWrap(fmt.Sprint(i), data)
		}
		queue[i] = &message{Message: payloads.Message{Partition: e.group, ID: fmt.Sprintf("msg-%05d", i), Data: data}}
	}
	busy := map[string]bool{}
	receive := func(round int) []*message {
		mu.Lock()
		defer mu.Unlock()
		limit := 1 + int(unit(w.seed, "fifo-batch", round)*10)
		var batch []*message
		taken := map[string]bool{}
		for _, m := range queue {
			if len(batch) == limit {
				break
			}
			if m.inFlight || (busy[m.Partition] && !taken[m.Partition]) {
				continue
			}
			m.inFlight, taken[m.Partition], busy[m.Partition] = true, true, true
			batch = append(batch, m)
		}
		return batch
	}
	settle := func(batch []*message, failures []string) error {
		mu.Lock()
		defer mu.Unlock()
		done := map[*message]bool{}
		for _, m := range batch {
			m.inFlight = false
			busy[m.Partition] = false
			done[m] = !slices.Contains(failures, m.ID)
		}
		for _, id := range failures {
			if !slices.ContainsFunc(batch, func(m *message) bool { return m.ID == id }) {
				return fmt.Errorf("SQS response names %q, not a message of the batch", id)
			}
		}
		queue = slices.DeleteFunc(queue, func(m *message) bool { return done[m] })
		return nil
	}
	remaining := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(queue)
	}
	var round atomic.Int64
	var wg sync.WaitGroup
	for range pollers {
		wg.Go(func() {
			for remaining() > 0 {
				r := int(round.Add(1))
				if r > maxInvocations {
					t.Errorf("FIFO queue stuck with %d messages after %d receives", remaining(), r)
					return
				}
				batch := receive(r)
				if len(batch) == 0 {
					time.Sleep(time.Millisecond) // every group is in flight with the other poller
					continue
				}
				msgs := make([]payloads.Message, len(batch))
				for i, m := range batch {
					msgs[i] = m.Message
				}
				if err := settle(batch, c.invoke(t, payloads.SQSPayload(msgs...))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// flaky wraps the real handler with failures that depend only on the seed,
// the record and the attempt: a failure before the work, a failure after
// the work landed (so the redelivery is a duplicate in effect), and a panic.
// Records stop failing after three attempts, so every run terminates.
type flaky struct {
	next ordering.Handler
	seed uint64

	injected atomic.Int64

	mu       sync.Mutex
	attempts map[string]int
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
