package consistency_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/fakeapi"
)

// TestContrastUnorderedLosesUpdates proves the lost-update detector works,
// and that the ordering is what prevents lost updates: the same workload
// against the same slow API loses updates when every event runs in its own
// goroutine (as asynchronous Lambda invocations would), and loses none when
// it goes through the engine.
//
// The unordered run is reliable, not lucky: all goroutines start together
// and each read takes the API latency, so the ~30 writers of a period all
// read the same revision before any of them writes; every write after the
// first of such a group is based on a stale revision and carries different
// content. Avoiding that would need the scheduler to serialize them all.
func TestContrastUnorderedLosesUpdates(t *testing.T) {
	const seed = 7
	w := generate(seed, 2, 60, 60, false)
	tests := []struct {
		name     string
		run      func(t *testing.T, h *schedule.Handler)
		wantLost bool
	}{
		{"ordered by the engine, Kinesis redelivery", func(t *testing.T, h *schedule.Handler) {
			poison := &sink{seed: seed, sends: map[string]int{}, got: map[string]int{}}
			runKinesis(t, &consumer{t: t, seed: seed, handler: h, poison: poison}, w, kinesisSetup{shards: 1, batchSize: 10, parallelization: 1})
			if len(poison.sends) != 0 {
				t.Errorf("records %v poisoned: the contrast workload has no malformed events", poison.sends)
			}
		}, false},
		{"unordered, one goroutine per event", func(t *testing.T, h *schedule.Handler) {
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, e := range w.events {
				wg.Go(func() {
					<-start
					rec := ordering.Record{Partition: e.period, ID: fmt.Sprint(i), Data: e.data}
					if err := h.Handle(context.Background(), rec); err != nil {
						t.Errorf("event %d: %v", i, err)
					}
				})
			}
			close(start)
			wg.Wait()
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// In a synctest bubble the API latency is virtual time: every
			// goroutine waiting on it wakes at the same instant.
			synctest.Test(t, func(t *testing.T) {
				srv, err := fakeapi.New(fakeapi.Options{APIKey: apiKey, Faults: fakeapi.Faults{Latency: 5 * time.Millisecond}})
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				h, err := schedule.NewHandler(newClient(t, srv, 1))
				if err != nil {
					t.Fatal(err)
				}

				tc.run(t, h)

				st := srv.Stats()
				docs, _ := w.expected()
				missing := 0
				for p, want := range docs {
					got, _ := srv.Document(p)
					for k, e := range want.Entities {
						if g, ok := got.Entities[k]; !ok || g.Stamp.EventID != e.Stamp.EventID {
							missing++
						}
					}
				}
				t.Logf("seed %d: %d events, %d writes, %d lost updates, %d entities not in their final state", seed, len(w.events), st.Puts, st.LostUpdates, missing)
				if got := st.LostUpdates > 0; got != tc.wantLost {
					t.Fatalf("lost updates = %d, want lost updates: %v (seed %d)", st.LostUpdates, tc.wantLost, seed)
				}
				if !tc.wantLost && missing != 0 {
					t.Fatalf("%d entities did not reach their final state without any lost update (seed %d)", missing, seed)
				}
			})
		})
	}
}
