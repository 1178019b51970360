package pipeline

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/sqsfifo"
)

func TestReplayEventsResendEachEventOnceShuffled(t *testing.T) {
	f := newFixture(t, Workload{Events: 50, Partitions: 3, Seed: 3})
	got, err := replayEvents(f.events, ReplayName, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(f.events) {
		t.Fatalf("%d replayed events, want %d", len(got), len(f.events))
	}
	byID := map[string]Event{}
	for _, e := range f.events {
		byID[e.ID] = e
	}
	var order []int
	for i, r := range got {
		orig, ok := byID[r.ID]
		if !ok {
			t.Fatalf("replayed event %s was never sent (or twice)", r.ID)
		}
		delete(byID, r.ID)
		order = append(order, orig.Index)
		if r.Index != i || r.Period != orig.Period || r.Version != orig.Version || r.Poison != orig.Poison {
			t.Errorf("replayed event %d %+v differs from the original %+v", i, r, orig)
		}
		var replayed, sent map[string]any
		if err := json.Unmarshal(r.JSON, &replayed); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(orig.JSON, &sent); err != nil {
			t.Fatal(err)
		}
		if replayed["replay-name"] != ReplayName {
			t.Errorf("event %s: replay-name %v, want %q", r.ID, replayed["replay-name"], ReplayName)
		}
		delete(replayed, "replay-name")
		if !reflect.DeepEqual(replayed, sent) {
			t.Errorf("event %s: replayed %v, sent %v: only replay-name may differ", r.ID, replayed, sent)
		}
		// The consumer reads a replayed event like the original.
		if _, err := event.Decode(r.JSON); err != nil {
			t.Errorf("event %s: the consumer rejects the replayed event: %v", r.ID, err)
		}
	}
	if slices.IsSorted(order) {
		t.Error("the replay kept the send order: want it shuffled")
	}
	again, _ := replayEvents(f.events, ReplayName, 9)
	if !reflect.DeepEqual(again, got) {
		t.Error("the same seed gave another replay order")
	}
}

// A FIFO queue with content-based deduplication must not swallow a
// replayed event as a duplicate of its original.
func TestReplayedEventsPassContentBasedDeduplication(t *testing.T) {
	f := newFixture(t, Workload{Events: 1, Partitions: 1, Seed: 1})
	q, err := sqsfifo.NewQueue(sqsfifo.QueueConfig{Name: "replay-dedup", VisibilityTimeout: time.Minute, MaxReceiveCount: 1, ContentBasedDeduplication: true})
	if err != nil {
		t.Fatal(err)
	}
	replayed, err := replayEvents(f.events, ReplayName, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range [][]byte{f.events[0].JSON, replayed[0].JSON} {
		if _, err := q.Send("g", string(body), ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := q.Stats().Stored; n != 2 {
		t.Errorf("%d messages stored after the original and its replay, want 2", n)
	}
}

// replayed applies the run's events in send order (except skip), takes the
// baseline, then applies the replay with apply (the consumer, or a faulty
// stand-in) and judges it.
func replayed(t *testing.T, f *fixture, skip string, apply func(e Event)) ReplayReport {
	t.Helper()
	var periods []string
	for _, e := range f.events {
		if e.ID != skip {
			f.apply(t, e)
		}
		if !slices.Contains(periods, e.Period) {
			periods = append(periods, e.Period)
		}
	}
	base := takeBaseline(f.api, periods, 0)
	events, err := replayEvents(f.events, ReplayName, 5)
	if err != nil {
		t.Fatal(err)
	}
	round := f.evidence()
	round.events = events
	for _, e := range events {
		apply(e)
		if e.Poison {
			round.poisoned[e.ID] = true
		}
	}
	var rep ReplayReport
	judgeReplay(base, round, &rep)
	return rep
}

func TestReplayThroughTheConsumerChangesNothing(t *testing.T) {
	f := newFixture(t, Workload{Events: 80, Partitions: 3, PoisonRate: 0.05, Seed: 11})
	rep := replayed(t, f, "", func(e Event) { f.apply(t, e) })
	if p := rep.Problems(); len(p) > 0 || !rep.StateUnchanged || rep.NewWrites != 0 || rep.Recovered != 0 {
		t.Fatalf("replay through the consumer: %+v, problems %v; want the state unchanged and no new writes", rep, p)
	}
	if rep.EventsResent != 80 || rep.PoisonResent == 0 || rep.PoisonDeadLettered != rep.PoisonResent {
		t.Errorf("resent %d, poison %d of %d dead-lettered: want 80 and every poison event (seed 11 makes some)", rep.EventsResent, rep.PoisonDeadLettered, rep.PoisonResent)
	}
}

func TestReplayFindsAConsumerWithoutTheStaleGuard(t *testing.T) {
	f := newFixture(t, Workload{Events: 80, Partitions: 3, Seed: 11})
	// Writes every replayed event, whether or not it is newer: what a
	// consumer that does not compare stamps would do.
	unguarded := func(e Event) {
		ev, err := event.Decode(e.JSON)
		if err != nil {
			t.Fatal(err)
		}
		c, err := schedule.ParseChange(ev, schedule.PeriodPath{})
		if err != nil {
			t.Fatal(err)
		}
		doc, err := f.client.Fetch(context.Background(), c.Period)
		if err != nil {
			t.Fatal(err)
		}
		doc.Entities[c.Key] = schedule.Entity{Stamp: c.Stamp, Attributes: c.Attributes, Deleted: c.Op == schedule.Delete}
		if err := f.client.Push(context.Background(), doc); err != nil {
			t.Fatal(err)
		}
	}
	rep := replayed(t, f, "", unguarded)
	if rep.DuplicateEffects == 0 || rep.NewWrites == 0 || rep.StateUnchanged || rep.StateMismatches == 0 || len(rep.Problems()) == 0 {
		t.Fatalf("unguarded replay judged %+v: want duplicate effects, new writes, a changed state and mismatches", rep)
	}
}

func TestReplayRecoversADeadLetteredEvent(t *testing.T) {
	f := newFixture(t, Workload{Events: 40, Partitions: 2, Seed: 4})
	// The last event of the run is the newest of its entity: had it been
	// dead-lettered, the replay must apply it, and only it.
	last := f.events[len(f.events)-1]
	rep := replayed(t, f, last.ID, func(e Event) { f.apply(t, e) })
	if p := rep.Problems(); len(p) > 0 || rep.Recovered != 1 || rep.NewWrites != 1 || rep.DuplicateEffects != 0 {
		t.Fatalf("replay after a dead-lettered event: %+v, problems %v; want exactly that event recovered", rep, p)
	}
	if rep.StateUnchanged {
		t.Error("the recovered event changed the state, but the report says unchanged")
	}
}
