package sqsfifo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// fn is a scripted function: answer gets each delivered batch as SQS
// messages and returns the response.
type fn struct {
	mu         sync.Mutex
	deliveries [][]string // bodies per invocation
	answer     func(msgs []events.SQSMessage) ([]byte, error)
}

func (f *fn) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	var bs []string
	for _, m := range ev.Records {
		if m.EventSource != "aws:sqs" || m.Attributes["MessageGroupId"] == "" || m.Attributes["ApproximateReceiveCount"] == "" {
			return nil, fmt.Errorf("not an SQS FIFO record: %+v", m)
		}
		bs = append(bs, m.Body)
	}
	f.mu.Lock()
	f.deliveries = append(f.deliveries, bs)
	f.mu.Unlock()
	if f.answer == nil {
		return []byte(`{"batchItemFailures":[]}`), nil
	}
	return f.answer(ev.Records)
}

func (f *fn) got() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.deliveries)
}

func failIDs(ids ...string) []byte {
	r := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, id := range ids {
		r.BatchItemFailures = append(r.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	b, _ := json.Marshal(r)
	return b
}

// runUntil runs the mapping until cond holds (checked every millisecond,
// with step called each time so tests can move the clock).
func runUntil(t *testing.T, m *Mapping, cond func() bool, step func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case err := <-done:
			t.Fatalf("mapping stopped: %v", err)
		case <-deadline:
			cancel()
			t.Fatalf("condition not reached in 10s: %+v", m.Stats())
		case <-time.After(time.Millisecond):
			if step != nil {
				step()
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func mapping(t *testing.T, q *Queue, f Invoker, concurrency, batch int) *Mapping {
	t.Helper()
	m, err := NewMapping(MappingConfig{BatchSize: batch, MaxConcurrency: concurrency, ReportBatchItemFailures: true, PollInterval: time.Millisecond}, q, f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPartialFailureKeepsTheGroupLockedUntilTheVisibilityTimeout(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, nil)
	send(t, q, "A1", "A2", "A3")
	calls := 0
	f := &fn{answer: func(msgs []events.SQSMessage) ([]byte, error) {
		calls++
		if calls == 1 {
			// A2 fails; like the consumer, A3 (later in the group) too.
			return failIDs(msgs[1].MessageId, msgs[2].MessageId), nil
		}
		return failIDs(), nil
	}}
	m := mapping(t, q, f, 2, 10)
	// The pollers keep polling for a while after the first invocation:
	// nothing may be delivered while A2 and A3 are in flight.
	var polledSince time.Time
	runUntil(t, m, func() bool {
		if m.Stats().Invocations == 0 {
			return false
		}
		if polledSince.IsZero() {
			polledSince = time.Now()
		}
		return time.Since(polledSince) > 30*time.Millisecond
	}, nil)
	if got := f.got(); len(got) != 1 {
		t.Fatalf("deliveries %v while the group was locked", got)
	}
	c.advance(30 * time.Second)
	runUntil(t, m, func() bool { return q.Stats().Stored == 0 }, nil)
	want := [][]string{{"A1", "A2", "A3"}, {"A2", "A3"}}
	if got := f.got(); !reflect.DeepEqual(got, want) {
		t.Errorf("deliveries %v, want %v", got, want)
	}
}

func TestFunctionErrorDeletesNothing(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, func(cfg *QueueConfig) { cfg.MaxReceiveCount = 2 })
	send(t, q, "A1", "A2")
	f := &fn{answer: func([]events.SQSMessage) ([]byte, error) { return nil, errors.New("crash") }}
	m := mapping(t, q, f, 1, 10)
	// Every failed batch waits out the visibility timeout; after two
	// receives both messages are dead-lettered.
	runUntil(t, m, func() bool { return q.Stats().DeadLettered == 2 }, func() { c.advance(time.Second) })
	if got := f.got(); !reflect.DeepEqual(got, [][]string{{"A1", "A2"}, {"A1", "A2"}}) {
		t.Errorf("deliveries %v", got)
	}
	if s := m.Stats(); s.FailedInvokes != 2 || s.Deleted != 0 {
		t.Errorf("stats %+v, want 2 failed invocations and no delete", s)
	}
}

func TestUnknownIdentifierFailsTheWholeBatch(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, nil)
	send(t, q, "A1", "B1")
	first := true
	f := &fn{answer: func([]events.SQSMessage) ([]byte, error) {
		if first {
			first = false
			return failIDs("nope"), nil
		}
		return failIDs(), nil
	}}
	m := mapping(t, q, f, 1, 10)
	runUntil(t, m, func() bool { return q.Stats().Stored == 0 }, func() { c.advance(time.Second) })
	if got := f.got(); !reflect.DeepEqual(got, [][]string{{"A1", "B1"}, {"A1", "B1"}}) {
		t.Errorf("deliveries %v", got)
	}
}

func TestMaxConcurrencyAndGroupsNeverOverlap(t *testing.T) {
	const concurrency = 3
	c := newClock()
	q := newQueue(t, c, nil)
	var all []string
	for i := range 60 {
		all = append(all, fmt.Sprintf("%c%02d", 'A'+i%6, i))
	}
	send(t, q, all...)
	var mu sync.Mutex
	inFlight := map[string]bool{}
	running, peak := 0, 0
	var order []string
	// The first invocations wait until `concurrency` run at once: proves
	// the pollers run concurrently without timing assumptions.
	var arrived sync.WaitGroup
	arrived.Add(concurrency)
	var calls int
	gate := make(chan struct{})
	go func() { arrived.Wait(); close(gate) }()
	f := &fn{answer: func(msgs []events.SQSMessage) ([]byte, error) {
		mu.Lock()
		calls++
		call := calls
		groups := map[string]bool{}
		for _, m := range msgs {
			groups[m.Attributes["MessageGroupId"]] = true
		}
		for g := range groups {
			if inFlight[g] {
				t.Errorf("group %s in two concurrent invocations", g)
			}
			inFlight[g] = true
		}
		running++
		peak = max(peak, running)
		mu.Unlock()
		if len(msgs) > 2 {
			t.Errorf("batch of %d, want at most 2", len(msgs))
		}
		if call <= concurrency {
			arrived.Done()
		}
		select {
		case <-gate:
		case <-time.After(5 * time.Second):
			t.Error("pollers did not run concurrently within 5s")
		}
		mu.Lock()
		running--
		for g := range groups {
			delete(inFlight, g)
		}
		for _, m := range msgs {
			order = append(order, m.Body)
		}
		mu.Unlock()
		return failIDs(), nil
	}}
	m := mapping(t, q, f, concurrency, 2)
	runUntil(t, m, func() bool { return q.Stats().Stored == 0 }, nil)
	if peak != concurrency {
		t.Errorf("peak concurrency %d, want %d", peak, concurrency)
	}
	// Per group, messages were processed in send order.
	last := map[byte]string{}
	for _, b := range order {
		if b <= last[b[0]] {
			t.Errorf("group %c: %s after %s", b[0], b, last[b[0]])
		}
		last[b[0]] = b
	}
	if len(order) != len(all) {
		t.Errorf("%d messages processed, want %d", len(order), len(all))
	}
}

func TestMappingConfigErrors(t *testing.T) {
	q := newQueue(t, newClock(), nil)
	for _, cfg := range []MappingConfig{{BatchSize: 11, MaxConcurrency: 1}, {BatchSize: 0, MaxConcurrency: 1}, {BatchSize: 1}} {
		if _, err := NewMapping(cfg, q, &fn{}); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestPipeRegroupsByKey(t *testing.T) {
	c := newClock()
	ingest := newQueue(t, c, nil)
	target := newQueue(t, c, func(cfg *QueueConfig) { cfg.DeduplicationScope = ScopeMessageGroup })
	evs := []string{
		`{"id":"e1","detail":{"scheduleDate":"2026-12-01"}}`,
		`{"id":"e2","detail":{"scheduleDate":"2026-12-02"}}`,
		`{"id":"e3","detail":{"scheduleDate":"2026-12-01"}}`,
		`{"id":"e4","detail":{}}`,
	}
	for _, e := range evs {
		if _, err := ingest.Send("ingest", e, ""); err != nil {
			t.Fatal(err)
		}
	}
	p, err := NewPipe(PipeConfig{GroupIDPath: "$.body.detail.scheduleDate", DeduplicationIDPath: "$.messageId", BatchSize: 10, PollInterval: time.Millisecond}, ingest, target)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	deadline := time.After(5 * time.Second)
	for {
		fwd, failed := p.Counts()
		if fwd == 3 && failed >= 1 {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("forwarded %d, failed %d", fwd, failed)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for {
		rs := receive(t, target, 10)
		if len(rs) == 0 {
			break
		}
		for _, r := range rs {
			var rec events.SQSMessage
			if err := json.Unmarshal([]byte(r.Body), &rec); err != nil {
				t.Fatalf("target body is not the Pipe's SQS record: %v", err)
			}
			var ev struct{ ID string }
			json.Unmarshal([]byte(rec.Body), &ev)
			got[r.GroupID] = append(got[r.GroupID], ev.ID)
			if err := target.Delete(r.ReceiptHandle); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string][]string{"2026-12-01": {"e1", "e3"}, "2026-12-02": {"e2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("target groups %v, want %v", got, want)
	}
}

func TestGroupWaitAfterAReportedFailure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change time.Duration // 0: leave the visibility timeout
		want   time.Duration
	}{
		{"queue's visibility timeout", 0, 30 * time.Second},
		{"shortened by the function", 2 * time.Second, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			q := newQueue(t, c, nil)
			send(t, q, "A1", "A2", "B1")
			f := &fn{answer: func(msgs []events.SQSMessage) ([]byte, error) {
				var ids []string
				for _, m := range msgs {
					if m.Attributes["MessageGroupId"] != "A" {
						continue
					}
					ids = append(ids, m.MessageId)
					if tc.change > 0 {
						if err := q.ChangeVisibility(m.ReceiptHandle, tc.change); err != nil {
							return nil, err
						}
					}
				}
				return failIDs(ids...), nil
			}}
			m := mapping(t, q, f, 1, 10)
			runUntil(t, m, func() bool { return m.Stats().Invocations == 1 }, nil)
			if s := m.Stats(); s.FailedGroups != 1 || s.GroupWait != tc.want || s.PartialFailures != 1 {
				t.Errorf("stats %+v: want 1 failed group waiting %s", s, tc.want)
			}
		})
	}
}
