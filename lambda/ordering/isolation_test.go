package ordering_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

// clock moves on by a millisecond at every reading, so that successive
// events are strictly ordered (a success "after" a failure began).
type clock struct{ fakeClock }

func (c *clock) Now() time.Time {
	c.Advance(time.Millisecond)
	return c.fakeClock.Now()
}

func newClock() *clock { return &clock{fakeClock{now: time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)}} }

type isolationSink struct {
	mu   sync.Mutex
	got  []*ordering.IsolatedError
	ids  []string
	fail error
}

func (s *isolationSink) Isolate(_ context.Context, rec ordering.Record, reason *ordering.IsolatedError) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.got = append(s.got, reason)
	s.ids = append(s.ids, rec.ID)
	return nil
}

const isolateAfter = time.Minute

func isolatingEngine(t *testing.T, c *clock, sink *isolationSink) *ordering.Engine {
	t.Helper()
	e, err := ordering.New(newScripted(), ordering.Options{
		Poison:    &memorySink{},
		Now:       c.Now,
		Logger:    quietLogger(),
		Isolation: ordering.Isolation{After: isolateAfter, Sink: sink},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// rec is a record of partition p arrived at.
func rec(p, id string, arrived time.Time) ordering.Record {
	return ordering.Record{Partition: p, ID: id, Arrived: arrived}
}

// failAlone makes key "a" fail alone for d: a first failure (nothing
// else has succeeded since, so it looks vendor-wide), a success of "b",
// a failure of "a" that now looks like its own, d later, and another
// success of "b" to keep the evidence fresh.
func failAlone(t *testing.T, e *ordering.Engine, c *clock, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	res := e.Process(ctx, []ordering.Record{rec("a", "a0.transient", c.Now())})
	if res.Outcomes[0] != ordering.Failed || res.Scopes[0] != ordering.WideFailure {
		t.Fatalf("first failure: %v %v, want failed, wide", res.Outcomes[0], res.Scopes[0])
	}
	e.Process(ctx, []ordering.Record{rec("b", "b0.ok", c.Now())})
	res = e.Process(ctx, []ordering.Record{rec("a", "a0.transient", c.Now())})
	if res.Outcomes[0] != ordering.Failed || res.Scopes[0] != ordering.KeyFailure {
		t.Fatalf("failure after b succeeded: %v %v, want failed, key", res.Outcomes[0], res.Scopes[0])
	}
	c.Advance(d)
	e.Process(ctx, []ordering.Record{rec("b", "b1.ok", c.Now())})
}

func TestAKeyFailingWhileOthersSucceedIsIsolatedOnceOldEnough(t *testing.T) {
	c := newClock()
	sink := &isolationSink{}
	e := isolatingEngine(t, c, sink)
	old := c.Now()
	failAlone(t, e, c, isolateAfter)
	young := c.Now()
	res := e.Process(context.Background(), []ordering.Record{
		rec("a", "a1.transient", old), rec("a", "a2.transient", young), rec("a", "a3.ok", young), rec("b", "b2.ok", young),
	})
	want := []ordering.Outcome{ordering.Isolated, ordering.Failed, ordering.Skipped, ordering.Succeeded}
	for i, w := range want {
		if res.Outcomes[i] != w {
			t.Errorf("record %d: %v, want %v (%v)", i, res.Outcomes[i], w, res.Errors[i])
		}
	}
	// a2 is too young to isolate: it fails in line, a key failure, and a3
	// waits behind it with the same scope.
	if res.Scopes[1] != ordering.KeyFailure || res.Scopes[2] != ordering.KeyFailure {
		t.Errorf("scopes %v, want key failures for a2 and the record skipped behind it", res.Scopes)
	}
	if len(sink.got) != 1 || sink.ids[0] != "a1.transient" {
		t.Fatalf("isolated %v, want a1 alone", sink.ids)
	}
	got := sink.got[0]
	var isolated *ordering.IsolatedError
	if got.Key != "a" || got.Age < isolateAfter || got.Alone < isolateAfter || got.Last == nil || !errors.As(res.Errors[0], &isolated) {
		t.Errorf("isolated record: key %q, age %s, alone %s, last %v, result error %v", got.Key, got.Age, got.Alone, got.Last, res.Errors[0])
	}
	if res.Outcomes[0].Retry() {
		t.Error("an isolated record must not be redelivered")
	}
}

// TestAnOutagesOldBacklogIsNotIsolatedOnOneHiccup: after an outage every
// waiting record is old; one failure of a key while the others recover is
// not enough, the key must fail alone for After.
func TestAnOutagesOldBacklogIsNotIsolatedOnOneHiccup(t *testing.T) {
	c := newClock()
	sink := &isolationSink{}
	e := isolatingEngine(t, c, sink)
	ctx := context.Background()
	old := c.Now()
	for range 3 { // the outage
		e.Process(ctx, []ordering.Record{rec("a", "a1.transient", old), rec("b", "b1.transient", old)})
		c.Advance(isolateAfter)
	}
	e.Process(ctx, []ordering.Record{rec("b", "b1.ok", old), rec("a", "a1.transient", old)})
	res := e.Process(ctx, []ordering.Record{rec("a", "a1.transient", old)})
	if res.Outcomes[0] != ordering.Failed || res.Scopes[0] != ordering.KeyFailure || len(sink.got) != 0 {
		t.Errorf("%v %v, isolated %v: want a key failure kept in line", res.Outcomes[0], res.Scopes[0], sink.ids)
	}
}

func TestAnOutageIsolatesNothing(t *testing.T) {
	c := newClock()
	sink := &isolationSink{}
	e := isolatingEngine(t, c, sink)
	ctx := context.Background()
	old := c.Now()
	// Both keys succeeded just before the outage, then everything fails.
	e.Process(ctx, []ordering.Record{rec("a", "a0.ok", old), rec("b", "b0.ok", old)})
	for range 5 {
		c.Advance(isolateAfter / 2)
		res := e.Process(ctx, []ordering.Record{rec("a", "a1.transient", old), rec("b", "b1.transient", old)})
		for i, o := range res.Outcomes {
			if o != ordering.Failed || res.Scopes[i] != ordering.WideFailure {
				t.Fatalf("record %d: %v %v, want failed, wide", i, o, res.Scopes[i])
			}
		}
	}
	if len(sink.got) != 0 {
		t.Errorf("isolated %v during an outage", sink.ids)
	}
}

// TestASuccessThatRacedTheOutageIsNoEvidence: "b" succeeded while "a"'s
// first failing attempt was still running (its streak begins when that
// attempt ends), so "a" is not judged to fail alone.
func TestASuccessThatRacedTheOutageIsNoEvidence(t *testing.T) {
	c := newClock()
	sink := &isolationSink{}
	started := make(chan struct{})
	release := make(chan struct{})
	h := ordering.HandlerFunc(func(_ context.Context, r ordering.Record) error {
		if r.Partition == "a" {
			close(started)
			<-release
		}
		return behave(r.ID)
	})
	e, err := ordering.New(h, ordering.Options{Poison: &memorySink{}, Now: c.Now, Logger: quietLogger(),
		Isolation: ordering.Isolation{After: isolateAfter, Sink: sink}})
	if err != nil {
		t.Fatal(err)
	}
	old := c.Now()
	done := make(chan ordering.Result)
	go func() { done <- e.Process(context.Background(), []ordering.Record{rec("a", "a1.transient", old)}) }()
	<-started
	e.Process(context.Background(), []ordering.Record{rec("b", "b1.ok", old)})
	close(release)
	if res := <-done; res.Scopes[0] != ordering.WideFailure {
		t.Errorf("scope %v, want wide: b succeeded before a's attempt failed", res.Scopes[0])
	}
}

func TestEvidenceOlderThanTheWindowDoesNotCount(t *testing.T) {
	c := newClock()
	sink := &isolationSink{}
	e := isolatingEngine(t, c, sink)
	ctx := context.Background()
	old := c.Now()
	e.Process(ctx, []ordering.Record{rec("a", "a1.transient", old)})
	e.Process(ctx, []ordering.Record{rec("b", "b1.ok", old)})
	c.Advance(isolateAfter + time.Second) // the window defaults to After
	res := e.Process(ctx, []ordering.Record{rec("a", "a1.transient", old)})
	if res.Outcomes[0] != ordering.Failed || res.Scopes[0] != ordering.WideFailure || len(sink.got) != 0 {
		t.Errorf("%v %v, isolated %v: want failed, wide, nothing isolated", res.Outcomes[0], res.Scopes[0], sink.ids)
	}
}

func TestARecordIsIsolatedOnlyWithAKnownAgePastTheThreshold(t *testing.T) {
	for _, c := range []struct {
		name    string
		arrived func(now time.Time) time.Time
		want    ordering.Outcome
	}{
		{"unknown arrival", func(time.Time) time.Time { return time.Time{} }, ordering.Failed},
		{"just under", func(now time.Time) time.Time { return now.Add(-isolateAfter + time.Second) }, ordering.Failed},
		{"at the threshold", func(now time.Time) time.Time { return now.Add(-isolateAfter) }, ordering.Isolated},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := newClock()
			sink := &isolationSink{}
			e := isolatingEngine(t, clk, sink)
			failAlone(t, e, clk, isolateAfter)
			res := e.Process(context.Background(), []ordering.Record{rec("a", "a1.transient", c.arrived(clk.now))})
			if res.Outcomes[0] != c.want {
				t.Errorf("%v, want %v", res.Outcomes[0], c.want)
			}
		})
	}
}

func TestAFailedIsolationKeepsTheRecordInLine(t *testing.T) {
	c := newClock()
	sink := &isolationSink{fail: errors.New("queue unreachable")}
	e := isolatingEngine(t, c, sink)
	old := c.Now()
	failAlone(t, e, c, isolateAfter)
	res := e.Process(context.Background(), []ordering.Record{rec("a", "a1.transient", old), rec("a", "a2.ok", old)})
	if res.Outcomes[0] != ordering.Failed || res.Outcomes[1] != ordering.Skipped {
		t.Errorf("%v, want failed then skipped: a record the sink refused stays in line", res.Outcomes)
	}
}

func TestIsolationNeedsASink(t *testing.T) {
	_, err := ordering.New(newScripted(), ordering.Options{Poison: &memorySink{}, Isolation: ordering.Isolation{After: time.Minute}})
	if err == nil {
		t.Error("isolation without a sink was accepted")
	}
}

// TestAnotherKeysSuccessInTheBatchIsNoOutage: a key's first failure, in a
// batch where another key succeeded, is a key failure for the retry delay
// (the downstream answered that key just now), though not yet evidence
// enough to start the clock isolation runs on.
func TestAnotherKeysSuccessInTheBatchIsNoOutage(t *testing.T) {
	c := newClock()
	sink := &isolationSink{}
	// One partition at a time: b succeeds before a fails, so the stricter
	// evidence (a success after a began failing) is absent.
	e, err := ordering.New(newScripted(), ordering.Options{
		MaxConcurrentPartitions: 1, Poison: &memorySink{}, Now: c.Now, Logger: quietLogger(),
		Isolation: ordering.Isolation{After: isolateAfter, Sink: sink},
	})
	if err != nil {
		t.Fatal(err)
	}
	old := c.Now()
	c.Advance(isolateAfter)
	res := e.Process(context.Background(), []ordering.Record{rec("b", "b1.ok", old), rec("a", "a1.transient", old)})
	if res.Outcomes[1] != ordering.Failed || res.Scopes[1] != ordering.KeyFailure {
		t.Errorf("%v %v, want failed, key", res.Outcomes[1], res.Scopes[1])
	}
	res = e.Process(context.Background(), []ordering.Record{rec("a", "a1.transient", old)})
	if res.Outcomes[0] != ordering.Failed || len(sink.got) != 0 {
		t.Errorf("%v, isolated %v: the key has not failed alone for the isolation age yet", res.Outcomes[0], sink.ids)
	}
}

// probeEngine isolates with a probe that answers with down's state.
func probeEngine(t *testing.T, c *clock, sink *isolationSink, down *atomic.Bool, probes *atomic.Int64) *ordering.Engine {
	t.Helper()
	e, err := ordering.New(newScripted(), ordering.Options{
		Poison: &memorySink{}, Now: c.Now, Logger: quietLogger(),
		Isolation: ordering.Isolation{After: isolateAfter, Sink: sink, Probe: func(_ context.Context, key string) error {
			probes.Add(1)
			if key != "b" {
				t.Errorf("probed %q, want b, the key that succeeded", key)
			}
			if down.Load() {
				return errors.New("503")
			}
			return nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestAProbeTellsAKeyRetriedAloneFromAnOutage: one shard or one group
// whose failing record is retried alone sees no other key succeed; the
// probe of a key that did succeed shows the downstream answering, so the
// key fails alone and its record leaves the line after the isolation age,
// probing at most once per interval.
func TestAProbeTellsAKeyRetriedAloneFromAnOutage(t *testing.T) {
	c := newClock()
	sink := &isolationSink{}
	var down atomic.Bool
	var probes atomic.Int64
	e := probeEngine(t, c, sink, &down, &probes)
	ctx := context.Background()
	old := c.Now()
	e.Process(ctx, []ordering.Record{rec("b", "b1.ok", old)})
	for range 20 { // retried alone, 5 s apart, for 100 s
		c.Advance(5 * time.Second)
		res := e.Process(ctx, []ordering.Record{rec("a", "a1.transient", old)})
		if res.Outcomes[0] == ordering.Isolated {
			break
		}
		if res.Scopes[0] != ordering.KeyFailure {
			t.Fatalf("scope %v, want key: the probe shows the downstream answering", res.Scopes[0])
		}
	}
	if len(sink.ids) != 1 {
		t.Fatalf("isolated %v, want a1", sink.ids)
	}
	// 10 s interval, a minute of failing alone: about one probe per two
	// retries, never one per retry.
	if n := probes.Load(); n < 3 || n > 10 {
		t.Errorf("%d probes, want one per 10 s interval", n)
	}
}

func TestAFailedProbeIsAnOutage(t *testing.T) {
	c := newClock()
	sink := &isolationSink{}
	var down atomic.Bool
	down.Store(true)
	var probes atomic.Int64
	e := probeEngine(t, c, sink, &down, &probes)
	ctx := context.Background()
	old := c.Now()
	e.Process(ctx, []ordering.Record{rec("b", "b1.ok", old)})
	for range 20 {
		c.Advance(5 * time.Second)
		res := e.Process(ctx, []ordering.Record{rec("a", "a1.transient", old)})
		if res.Outcomes[0] != ordering.Failed || res.Scopes[0] != ordering.WideFailure {
			t.Fatalf("%v %v, want failed, wide", res.Outcomes[0], res.Scopes[0])
		}
	}
	if len(sink.ids) != 0 || probes.Load() > 11 {
		t.Errorf("isolated %v after %d probes: want nothing, at most one probe per 10 s", sink.ids, probes.Load())
	}
}
