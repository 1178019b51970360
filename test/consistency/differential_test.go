package consistency_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/source"
	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/payloads"
)

// TestCoalescingDifferential runs the same random batches (Kinesis and SQS
// FIFO payloads, one after another against one API) once with coalescing
// and once one record at a time, against a fake API whose faults depend on
// what a request carries, not on the order requests arrive in: a 400 for
// the changes of some events, a persistent 503 for a period, a 429 on the
// first try of some events. Coalescing must never change an outcome: both
// runs must give identical batchItemFailures and identical final
// documents, and identical poison sink contents (records and reasons) but
// for one difference: a change the API refuses is not poisoned when a
// newer change of its entity superseded it within a coalesced push, and
// neither is a duplicate of that change which the coalesced run then found
// stale (the API never judged either; the entity ends in the newer state
// either way).
func TestCoalescingDifferential(t *testing.T) {
	iterations, base := settings(t)
	var rejected, unavailable, throttled, fewerCalls, supersededRefusals int64
	for i := range iterations {
		seed := base + uint64(i)
		w := generate(seed, 4, 10, 60, true)
		faults := contentFaultsFor(seed, w)
		batches := batchesFor(seed, w)
		on := replay(t, w, faults, batches, true)
		off := replay(t, w, faults, batches, false)
		if !slices.Equal(on.responses, off.responses) {
			for b := range on.responses {
				if on.responses[b] != off.responses[b] {
					t.Errorf("seed %d, batch %d: coalesced response\n%s\none at a time\n%s", seed, b, on.responses[b], off.responses[b])
				}
			}
		}
		// One at a time, minus what the coalesced run superseded.
		var want []string
		for _, p := range off.poisoned {
			if on.unjudged(p.recordID) {
				supersededRefusals++
				continue
			}
			want = append(want, p.String())
		}
		if got := on.poisonedText(); !slices.Equal(got, want) {
			t.Errorf("seed %d: poisoned coalesced\n%v\none at a time, but for the superseded changes\n%v", seed, got, want)
		}
		for _, p := range w.periods {
			a, okA := on.docs[p]
			b, okB := off.docs[p]
			if okA != okB || (okA && !schedule.SameEntities(a, b)) {
				t.Errorf("seed %d, period %s: final document coalesced %+v (exists %v), one at a time %+v (exists %v)", seed, p, a.Entities, okA, b.Entities, okB)
			}
		}
		if on.stats.LostUpdates != 0 || off.stats.LostUpdates != 0 {
			t.Errorf("seed %d: lost updates %d coalesced, %d one at a time", seed, on.stats.LostUpdates, off.stats.LostUpdates)
		}
		if t.Failed() {
			t.Fatalf("reproduce with ORDERLY_CONSISTENCY_SEED=%d ORDERLY_CONSISTENCY_ITERATIONS=1 go test -run TestCoalescingDifferential ./test/consistency/", seed)
		}
		rejected += on.stats.Faults.Rejections
		throttled += on.stats.Faults.Throttles
		if len(faults.UnavailablePeriods) > 0 {
			unavailable++
		}
		if on.stats.Requests < off.stats.Requests {
			fewerCalls++
		}
	}
	t.Logf("%d seeds from %d: coalesced pushes refused with 400 %d, first tries throttled %d, runs with an unavailable period %d, runs where coalescing made fewer API calls %d, refused changes superseded instead of poisoned %d",
		iterations, base, rejected, throttled, unavailable, fewerCalls, supersededRefusals)
	if iterations >= 20 && (rejected == 0 || throttled == 0 || unavailable == 0 || supersededRefusals == 0 || fewerCalls < int64(iterations)/2) {
		t.Errorf("the faults were not exercised, no refused change was superseded, or coalescing did not save calls: the comparison is vacuous")
	}
}

// contentFaultsFor picks, from the seed, events whose changes the API
// refuses (400) or throttles on their first try (429), and sometimes a
// period that is down for the whole run (503).
func contentFaultsFor(seed uint64, w workload) fakeapi.ContentFaults {
	rng := rand.New(rand.NewPCG(seed, 0xd1ff))
	var valid []string
	for _, e := range w.events {
		if e.valid {
			valid = append(valid, e.change.Stamp.EventID)
		}
	}
	var f fakeapi.ContentFaults
	for range 1 + rng.IntN(3) {
		f.RejectEvents = append(f.RejectEvents, valid[rng.IntN(len(valid))])
		f.ThrottleFirst = append(f.ThrottleFirst, valid[rng.IntN(len(valid))])
	}
	if rng.IntN(2) == 0 {
		f.UnavailablePeriods = []string{w.periods[rng.IntN(len(w.periods))]}
	}
	return f
}

// batch is one invocation's payload.
type batch struct {
	payload []byte
}

// batchesFor cuts the workload, in delivery order, into Kinesis batches
// (1 to 20 records keyed by period) and SQS FIFO batches (1 to 10 messages,
// grouped by period as the per-key Pipe does).
func batchesFor(seed uint64, w workload) []batch {
	rng := rand.New(rand.NewPCG(seed, 0xba7c))
	var out []batch
	for start := 0; start < len(w.events); {
		sqs := rng.IntN(2) == 0
		n := 1 + rng.IntN(20)
		if sqs {
			n = 1 + rng.IntN(10)
		}
		end := min(start+n, len(w.events))
		msgs := make([]payloads.Message, 0, end-start)
		for i := start; i < end; i++ {
			msgs = append(msgs, payloads.Message{Partition: w.events[i].period, ID: fmt.Sprintf("%020d", i), Data: w.events[i].data})
		}
		if sqs {
			out = append(out, batch{payloads.SQSPayload(msgs...)})
		} else {
			out = append(out, batch{payloads.KinesisPayload(msgs...)})
		}
		start = end
	}
	return out
}

// replayed is what one run left behind.
type replayed struct {
	responses []string
	poisoned  []poisonedRecord // sorted by record id
	// effect and eventOf are, per record id, the effect the handler
	// reported and the record's event id.
	effect  map[string]schedule.Effect
	eventOf map[string]string
	docs    map[string]schedule.Schedule
	stats   fakeapi.Stats
}

// replay invokes the consumer on each batch in turn against a fresh API
// with the content faults, coalescing or not. The client makes two
// attempts per call, so that a 429 on a first try is retried within the
// call whichever request pattern meets it.
func replay(t *testing.T, w workload, faults fakeapi.ContentFaults, batches []batch, coalesce bool) replayed {
	t.Helper()
	srv, err := fakeapi.New(fakeapi.Options{APIKey: apiKey, Content: faults})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var mu sync.Mutex
	out := replayed{effect: map[string]schedule.Effect{}, eventOf: map[string]string{}}
	// The handler passes a record's own context to both hooks: Decoded
	// names the record, Applied its effect.
	recordOf := map[context.Context]string{}
	h, err := schedule.NewHandler(newClient(t, srv, 2), schedule.WithObserver(schedule.Observer{
		Decoded: func(ctx context.Context, rec ordering.Record, ev event.Event) {
			mu.Lock()
			recordOf[ctx] = rec.ID
			out.eventOf[rec.ID] = ev.ID
			mu.Unlock()
		},
		Applied: func(ctx context.Context, _ event.Event, _ schedule.Change, effect schedule.Effect) {
			mu.Lock()
			out.effect[recordOf[ctx]] = effect
			mu.Unlock()
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	sink := ordering.PoisonSinkFunc(func(_ context.Context, rec ordering.Record, reason error) error {
		mu.Lock()
		defer mu.Unlock()
		out.poisoned = append(out.poisoned, poisonedRecord{recordID: rec.ID, reason: reason.Error()})
		return nil
	})
	eng, err := ordering.New(h, ordering.Options{MaxConcurrentPartitions: 4, Poison: sink, Logger: quiet,
		SerializeBy: schedule.PeriodPath{}.SerializeBy(), Coalesce: coalesce})
	if err != nil {
		t.Fatal(err)
	}
	entry := source.NewHandler(eng, source.HandlerOptions{Logger: quiet})
	for _, b := range batches {
		resp, err := entry.Invoke(context.Background(), b.payload)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		out.responses = append(out.responses, string(data))
	}
	slices.SortFunc(out.poisoned, func(a, b poisonedRecord) int { return strings.Compare(a.String(), b.String()) })
	out.docs = map[string]schedule.Schedule{}
	for _, p := range w.periods {
		if doc, ok := srv.Document(p); ok {
			out.docs[p] = doc
		}
	}
	out.stats = srv.Stats()
	return out
}

// poisonedRecord is one record the poison sink received.
type poisonedRecord struct {
	recordID, reason string
}

func (p poisonedRecord) String() string { return p.recordID + ": " + p.reason }

// poisonedText is what the sink received, one line per record.
func (r replayed) poisonedText() []string {
	out := make([]string, len(r.poisoned))
	for i, p := range r.poisoned {
		out[i] = p.String()
	}
	return out
}

// unjudged reports whether the run kept the record's change from the API
// because a newer change of its entity superseded it: the record itself was
// superseded, or it is a duplicate, found stale, of a superseded change.
func (r replayed) unjudged(recordID string) bool {
	switch r.effect[recordID] {
	case schedule.EffectSuperseded:
		return true
	case schedule.EffectStale:
		for id, effect := range r.effect {
			if effect == schedule.EffectSuperseded && r.eventOf[id] == r.eventOf[recordID] {
				return true
			}
		}
	}
	return false
}
