package consistency_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/fakeapi"
)

// Isolation timing in the runs' virtual time: a period is broken for
// brokenFor from the start, and its records are taken out of line from
// isolateAfter old (both far beyond one Kinesis retry's delay and within
// a few FIFO visibility timeouts).
const (
	brokenFor    = 3 * time.Minute
	isolateAfter = 20 * time.Second
)

// TestIsolationThenRedriveReachesTheSameState: taking a record out of
// line must not cost an update, because the stamp guard (not the order of
// application) decides each entity's final state. One period of a random
// workload is broken (every API request for it answers 503) for the first
// three minutes while the others work, on top of the handler's injected
// faults; one long-lived consumer container with isolation on takes the
// records of a period failing alone out of line once they are old enough.
// The isolated events are then redriven through the same kind of pipeline,
// as `make redrive` does after the period recovers. The final documents
// must equal sequential application of the whole workload, the fake API
// must see no lost update, and nothing may be dead-lettered or discarded.
func TestIsolationThenRedriveReachesTheSameState(t *testing.T) {
	iterations, base := settings(t)
	modes := []struct {
		name string
		run  func(t *testing.T, c *consumer, w workload)
	}{
		{"kinesis", func(t *testing.T, c *consumer, w workload) { runKinesis(t, c, w, kinesisSetupFor(w.seed)) }},
		{"fifo", func(t *testing.T, c *consumer, w workload) { runFIFO(t, c, w, fifoSetupFor(w.seed)) }},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			var isolated, runs int
			for i := range iterations {
				seed := base + uint64(i)
				synctest.Test(t, func(t *testing.T) {
					n, ok := isolateAndRedrive(t, seed, mode.run, false)
					isolated += n
					if ok {
						runs++
					}
				})
				if t.Failed() {
					t.Fatalf("iteration %d failed: reproduce with ORDERLY_CONSISTENCY_SEED=%d ORDERLY_CONSISTENCY_ITERATIONS=1 go test -run 'TestIsolationThenRedriveReachesTheSameState/%s' ./test/consistency/", i, seed, mode.name)
				}
			}
			t.Logf("%d workloads with a broken period, %d records isolated and redriven", runs, isolated)
			if iterations >= 20 && isolated == 0 {
				t.Error("no record was isolated in any run: the test no longer exercises isolation")
			}
		})
	}
}

// isolateAndRedrive runs one seed's workload with a broken period, then
// redrives what was isolated, and checks the outcome. It reports how many
// records were isolated, and false when the workload has a single period
// (nothing could tell a broken period from an outage).
// With outage, every period fails for brokenFor instead of one.
func isolateAndRedrive(t *testing.T, seed uint64, run func(*testing.T, *consumer, workload), outage bool) (int, bool) {
	srv, err := fakeapi.New(fakeapi.Options{APIKey: apiKey})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	w := generate(seed, 4, 10, 40, false)
	if len(w.periods) < 2 {
		return 0, false
	}
	broken := w.events[0].period
	start := time.Now()
	until := start.Add(brokenFor)
	breakdown := fakeapi.Breakdown{BrokenPeriods: []string{broken}, BrokenFor: brokenFor}
	if outage {
		breakdown = fakeapi.Breakdown{Outage: fakeapi.Window{For: brokenFor}}
	}
	if err := srv.SetBreakdown(breakdown, start); err != nil {
		t.Fatal(err)
	}
	h, err := schedule.NewHandler(newClient(t, srv, 2))
	if err != nil {
		t.Fatal(err)
	}
	out := &isolatedRecords{}
	c := &consumer{t: t, seed: seed, handler: &flaky{next: h, seed: seed, attempts: map[string]int{}, chunks: map[string]int{}},
		poison: &sink{seed: seed, sends: map[string]int{}, got: map[string]int{}}}
	if outage {
		// Only the outage fails: a record the handler's faults made fail
		// alone for long enough after it would rightly be isolated.
		c.handler = h
	}
	// Virtual time stands still while the bubble works, so two readings
	// are usually equal; a real clock always moves on. A nanosecond per
	// reading keeps "another period succeeded after this one began
	// failing" meaningful.
	var ticks atomic.Int64
	c.engine, err = ordering.New(c.handler, ordering.Options{
		MaxConcurrentPartitions: 2, Poison: c.poison, Logger: quiet,
		Now:         func() time.Time { return time.Now().Add(time.Duration(ticks.Add(1))) },
		SerializeBy: schedule.PeriodPath{}.SerializeBy(), Coalesce: coalesces(seed),
		// A long evidence window: the workload is one burst, so the other
		// periods' successes all come early; the test is about what
		// isolation does to the final state, not about when it starts.
		Isolation: ordering.Isolation{After: isolateAfter, Window: time.Hour, Sink: out},
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, c, w)

	// The period has recovered (the redrive runs after brokenFor): put the
	// isolated events back, each as the workload event it was. The
	// handler's injected faults can isolate a redriven record again, so
	// redrive in rounds until a round isolates nothing new, as an operator
	// would run `make redrive` again when the alarm fires again.
	time.Sleep(time.Until(until))
	redriven := 0
	for round := 1; ; round++ {
		fresh := out.payloads()[redriven:]
		if len(fresh) == 0 {
			break
		}
		if round > 5 {
			t.Fatalf("still isolating records after %d redrives of a recovered period", round-1)
		}
		redriven += len(fresh)
		redrive := workload{seed: seed, periods: w.periods}
		for _, data := range fresh {
			e, ok := w.eventOf(data)
			if !ok {
				t.Fatalf("isolated a record that is no event of the workload: %s", data)
			}
			redrive.events = append(redrive.events, e)
		}
		run(t, c, redrive)
	}

	docs, _ := w.expected()
	if st := srv.Stats(); st.LostUpdates != 0 {
		t.Errorf("fake API stats %+v: want 0 lost updates", st)
	}
	for _, p := range w.periods {
		want, hasWant := docs[p]
		doc, hasDoc := srv.Document(p)
		if hasWant != hasDoc || (hasDoc && !schedule.SameEntities(doc, want)) {
			t.Errorf("period %s (broken: %v): final document %+v (exists %v), want %+v (exists %v), after isolating and redriving %d records",
				p, p == broken, doc.Entities, hasDoc, want.Entities, hasWant, redriven)
		}
	}
	return redriven, true
}

// isolatedRecords is the isolation sink: it keeps each record's payload,
// in the order records were isolated.
type isolatedRecords struct {
	mu   sync.Mutex
	data [][]byte
}

func (s *isolatedRecords) Isolate(_ context.Context, rec ordering.Record, _ *ordering.IsolatedError) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data = append(s.data, bytes.Clone(rec.Data))
	return nil
}

func (s *isolatedRecords) payloads() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data
}

// eventOf finds the workload event whose payload is data, or the body of
// data when it is the per-key Pipe's wrapper (as `make redrive` extracts
// the original event from either).
func (w workload) eventOf(data []byte) (genEvent, bool) {
	var piped struct {
		Body string `json:"body"`
	}
	if json.Unmarshal(data, &piped) == nil && piped.Body != "" {
		data = []byte(piped.Body)
	}
	for _, e := range w.events {
		if bytes.Equal(e.data, data) {
			return e, true
		}
	}
	return genEvent{}, false
}
