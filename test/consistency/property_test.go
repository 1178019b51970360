package consistency_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
	"github.com/orderly-dev/orderly/sim/fakeapi"
)

const apiKey = "consistency-key"

// settings reads the iteration count and base seed: ORDERLY_CONSISTENCY_ITERATIONS
// and ORDERLY_CONSISTENCY_SEED override the defaults, -short lowers the count.
func settings(t *testing.T) (iterations int, seed uint64) {
	iterations, seed = 100, 20261128
	if testing.Short() {
		iterations = 25
	}
	if v := os.Getenv("ORDERLY_CONSISTENCY_ITERATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("ORDERLY_CONSISTENCY_ITERATIONS=%q: want a positive integer", v)
		}
		iterations = n
	}
	if v := os.Getenv("ORDERLY_CONSISTENCY_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("ORDERLY_CONSISTENCY_SEED=%q: want an unsigned integer", v)
		}
		seed = n
	}
	return iterations, seed
}

// newClient is the real API client, served by srv in-process (no
// listener, so that it can run inside a synctest bubble).
func newClient(t *testing.T, srv *fakeapi.Server, maxAttempts int) *scheduleapi.Client {
	t.Helper()
	c, err := scheduleapi.New(scheduleapi.Options{
		BaseURL: "http://fakeapi.invalid",
		HTTP:    &http.Client{Transport: srv.Transport()},
		APIKey:  func(context.Context) (string, error) { return apiKey, nil },
		Limits:  scheduleapi.Limits{MaxAttempts: maxAttempts, CallTimeout: 10 * time.Second, RetryBudget: 20 * time.Second},
		// Backoff is the client's own business (tested there); waiting
		// here would only slow the run down.
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConsistencyUnderRetries is the property test: for random workloads,
// random batch sizes, random transient failures (in the fake API, in the
// handler, in the poison sink, panics and deadline cut-offs), with Lambda's
// redelivery rules for Kinesis and SQS FIFO, every event takes effect
// exactly once, in its partition's delivery order, the final documents
// equal sequential application, malformed events reach the poison sink, and
// the fake API sees no lost update.
func TestConsistencyUnderRetries(t *testing.T) {
	iterations, base := settings(t)
	modes := []struct {
		name string
		run  func(t *testing.T, c *consumer, w workload) delivery
	}{
		{"kinesis", func(t *testing.T, c *consumer, w workload) delivery {
			runKinesis(t, c, w, kinesisSetupFor(w.seed))
			return delivery{}
		}},
		{"fifo", func(t *testing.T, c *consumer, w workload) delivery {
			return runFIFO(t, c, w, fifoSetupFor(w.seed))
		}},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			var cov coverage
			for i := range iterations {
				seed := base + uint64(i)
				synctest.Test(t, func(t *testing.T) {
					srv, err := fakeapi.New(fakeapi.Options{APIKey: apiKey,
						Faults: fakeapi.Faults{ErrorRate: 0.05, ThrottleRate: 0.03, RetryAfter: time.Second, Seed: seed}})
					if err != nil {
						t.Fatal(err)
					}
					defer srv.Close()
					w := generate(seed, 4, 1, 30, true)
					h, err := schedule.NewHandler(newClient(t, srv, 2))
					if err != nil {
						t.Fatal(err)
					}
					poison := &sink{seed: seed, sends: map[string]int{}, got: map[string]int{}}
					fl := &flaky{next: h, seed: seed, attempts: map[string]int{}, chunks: map[string]int{}}
					c := &consumer{t: t, seed: seed, handler: fl, poison: poison, coalesce: coalesces(seed)}
					d := mode.run(t, c, w)
					checkRun(t, srv, w, d, poison, mode.name == "fifo", c.coalesce)
					cov.add(w, d, c, fl, srv, poison)
				})
				if t.Failed() {
					t.Fatalf("iteration %d failed: reproduce with ORDERLY_CONSISTENCY_SEED=%d ORDERLY_CONSISTENCY_ITERATIONS=1 go test -race -run 'TestConsistencyUnderRetries/%s' ./test/consistency/ (server faults land on requests in arrival order, so their placement may differ)",
						i, seed, mode.name)
				}
			}
			t.Logf("%d workloads from seed %d: %+v", iterations, base, cov)
			if iterations >= 20 {
				cov.requireAll(t, mode.name == "fifo")
			}
		})
	}
}

// coalesces draws from the seed whether the run's consumer coalesces (as
// deployed by default) or processes one record at a time.
func coalesces(seed uint64) bool { return unit(seed, "coalesce", 0) < 0.6 }

// checkRun checks one run's outcome; d says which events never reached the
// consumer (deduplicated, or dead-lettered by the Pipe on SQS FIFO).
//
// Every write must make the next events of its period's delivery order take
// effect, and lose nothing: exactly one event per write one record at a
// time; with coalescing, several events at once (the order within one
// write is not observable: the fake API lists them by entity), never two of
// one entity. Together the writes apply each event that must take effect
// exactly once, in order.
func checkRun(t *testing.T, srv *fakeapi.Server, w workload, d delivery, poison *sink, exactlyOncePoison, coalesced bool) {
	t.Helper()
	docs, applied := w.expected()
	if st := srv.Stats(); st.LostUpdates != 0 || st.Unauthorized != 0 || st.BadRequests != 0 {
		t.Errorf("fake API stats %+v: want 0 lost updates, 0 unauthorized, 0 bad requests", st)
	}
	entityOf := w.entities()
	for _, p := range w.periods {
		var got []string
		for _, wr := range srv.History(p) {
			if len(wr.Applied) == 0 || (!coalesced && len(wr.Applied) != 1) || wr.LostUpdate || len(wr.Dropped) > 0 {
				t.Errorf("period %s: write %+v: want every write to apply %s and lose nothing", p, wr, map[bool]string{true: "at least one event", false: "exactly one event"}[coalesced])
			}
			rest := applied[p][min(len(got), len(applied[p])):]
			n := covers(wr.Applied, rest, entityOf)
			if n == 0 {
				t.Errorf("period %s: write %d applied %v, want the newest change of each entity among the next events in delivery order %v", p, wr.Revision, wr.Applied, rest)
				break
			}
			got = append(got, rest[:n]...)
		}
		if !slices.Equal(got, applied[p]) {
			t.Errorf("period %s: events took effect in order\n%v\nwant (sequential application in delivery order)\n%v", p, got, applied[p])
		}
		want, hasWant := docs[p]
		doc, hasDoc := srv.Document(p)
		if hasWant != hasDoc || (hasDoc && !schedule.SameEntities(doc, want)) {
			t.Errorf("period %s: final document %+v (exists %v), want %+v (exists %v)", p, doc.Entities, hasDoc, want.Entities, hasWant)
		}
	}
	poison.mu.Lock()
	defer poison.mu.Unlock()
	var wantPoison []string
	for i, e := range w.events {
		if !e.valid && d.reachedConsumer(i) {
			wantPoison = append(wantPoison, fmt.Sprint(i))
		}
	}
	if len(poison.got) != len(wantPoison) {
		t.Errorf("poison sink got %d records %v, want the %d malformed events delivered (stream positions %v)", len(poison.got), poison.got, len(wantPoison), wantPoison)
	}
	for id, n := range poison.got {
		if exactlyOncePoison && n != 1 {
			t.Errorf("poison sink got message %s %d times: SQS does not redeliver an acknowledged message", id, n)
		}
	}
}

// coverage counts how often the run exercised each path the property is
// about, so that a change which silently stops injecting failures (or
// generating stale events) fails the test instead of making it vacuous.
type coverage struct {
	Events, Invocations, Writes          int64
	Ignored                              int64 // valid events that must not take effect: stale or duplicate
	Poisoned                             int64
	HandlerFaults, ServerFaults, Cutoffs int64
	Retries                              int64 // handler calls beyond a record's first
	// FIFO only: exact duplicates dropped by deduplication, and messages
	// forwarded by the per-key Pipe.
	Deduplicated, Piped int64
	// Coalescing: runs that coalesced, chunks the engine offered, chunks
	// that fell back to one record at a time, and writes that applied
	// several events at once.
	CoalescedRuns, Chunks, ChunkFallbacks, MultiEventWrites int64
	// Superseded counts changes a coalesced push replaced by a newer one
	// of the same entity.
	Superseded int64
	runs       int64
}

func (c *coverage) add(w workload, d delivery, con *consumer, fl *flaky, srv *fakeapi.Server, p *sink) {
	st := srv.Stats()
	_, applied := w.expected()
	valid := 0
	for i, e := range w.events {
		if e.valid && d.reachedConsumer(i) {
			valid++
		}
	}
	for _, ids := range applied {
		valid -= len(ids)
	}
	p.mu.Lock()
	c.Poisoned += int64(len(p.got))
	p.mu.Unlock()
	c.Events += int64(len(w.events))
	c.Invocations += con.invokes.Load()
	c.Writes += st.Puts
	c.Ignored += int64(valid)
	c.HandlerFaults += fl.injected.Load()
	c.ServerFaults += st.Faults.ServerErrors + st.Faults.Throttles
	c.Cutoffs += con.cutoffs.Load()
	c.Retries += fl.retries()
	c.Deduplicated += int64(len(d.dropped))
	c.Piped += int64(d.piped)
	c.runs++
	if con.coalesce {
		c.CoalescedRuns++
	}
	c.Chunks += fl.chunked.Load()
	c.ChunkFallbacks += fl.fellBack.Load()
	entityOf := w.entities()
	for _, p := range w.periods {
		done := 0
		for _, wr := range srv.History(p) {
			if len(wr.Applied) > 1 {
				c.MultiEventWrites++
			}
			n := covers(wr.Applied, applied[p][min(done, len(applied[p])):], entityOf)
			c.Superseded += int64(n - min(n, len(wr.Applied)))
			done += n
		}
	}
}

func (c coverage) requireAll(t *testing.T, fifo bool) {
	t.Helper()
	paths := map[string]int64{
		"ignored (stale/duplicate) events": c.Ignored, "poisoned events": c.Poisoned,
		"injected handler faults": c.HandlerFaults, "injected API faults": c.ServerFaults,
		"deadline cut-offs": c.Cutoffs, "redeliveries": c.Retries,
		"coalescing runs": c.CoalescedRuns, "coalesced chunks": c.Chunks, "chunk fallbacks": c.ChunkFallbacks,
		"writes of several events": c.MultiEventWrites, "runs one record at a time": c.runs - c.CoalescedRuns,
		"superseded changes": c.Superseded,
	}
	if fifo {
		paths["deduplicated duplicates"] = c.Deduplicated
		paths["messages through the Pipe"] = c.Piped
	}
	for name, n := range paths {
		if n == 0 {
			t.Errorf("the run exercised no %s: the property was not tested under them", name)
		}
	}
}

// sameSet reports whether a and b hold the same ids, each once.
// covers returns how many of the next sequential effects (rest, in order)
// one write stands for: the shortest run of them whose newest change per
// entity is exactly what the write applied. A coalesced push carries only
// the newest change of each entity (the earlier ones are superseded); one
// record at a time, every write stands for one effect. 0 means none.
func covers(written, rest []string, entityOf map[string]schedule.EntityKey) int {
	newest := map[schedule.EntityKey]string{}
	for j, id := range rest {
		newest[entityOf[id]] = id
		if len(newest) == len(written) {
			run := make([]string, 0, len(newest))
			for _, id := range newest {
				run = append(run, id)
			}
			if sameSet(written, run) {
				return j + 1
			}
		}
	}
	return 0
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, id := range a {
		if seen[id] {
			return false
		}
		seen[id] = true
	}
	for _, id := range b {
		if !seen[id] {
			return false
		}
	}
	return true
}
