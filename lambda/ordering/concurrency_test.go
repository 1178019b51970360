package ordering_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

func TestPartitionsRunConcurrentlyUpToTheLimit(t *testing.T) {
	const limit = 3
	var arrived atomic.Int32
	allIn := make(chan struct{})
	h := ordering.HandlerFunc(func(ctx context.Context, rec ordering.Record) error {
		if arrived.Add(1) == limit {
			close(allIn)
		}
		// Every partition blocks until all `limit` partitions are inside
		// the handler together, which only a concurrent engine achieves.
		// The timeout only turns a serial engine's deadlock into a failure.
		select {
		case <-allIn:
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("partitions did not run concurrently")
		}
	})
	eng, err := ordering.New(h, ordering.Options{MaxConcurrentPartitions: limit, Poison: &memorySink{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	res := eng.Process(context.Background(), recs("a1.ok", "b1.ok", "c1.ok"))
	if res.Count(ordering.Succeeded) != limit {
		t.Fatalf("outcomes %v, errors %v", res.Outcomes, res.Errors)
	}
}

func TestConcurrencyNeverExceedsTheLimit(t *testing.T) {
	for _, limit := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			var inFlight, peak atomic.Int32
			h := ordering.HandlerFunc(func(ctx context.Context, rec ordering.Record) error {
				n := inFlight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(time.Millisecond) // widen the window in which overlaps are visible
				inFlight.Add(-1)
				return nil
			})
			eng, err := ordering.New(h, ordering.Options{MaxConcurrentPartitions: limit, Poison: &memorySink{}, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			var batch []ordering.Record
			for p := range 12 {
				for n := range 3 {
					batch = append(batch, ordering.Record{Partition: fmt.Sprintf("p%02d", p), ID: fmt.Sprintf("p%02d-%d", p, n)})
				}
			}
			res := eng.Process(context.Background(), batch)
			if res.Count(ordering.Succeeded) != len(batch) {
				t.Fatalf("outcomes %v", res.Outcomes)
			}
			if got := peak.Load(); got > int32(limit) {
				t.Fatalf("%d handler calls overlapped, limit is %d", got, limit)
			}
		})
	}
}

// TestRandomBatchesMatchSequentialModel compares the concurrent engine with
// the obvious sequential definition of the semantics on random batches.
func TestRandomBatchesMatchSequentialModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if env := os.Getenv("ORDERING_SEED"); env != "" {
		var err error
		if seed, err = strconv.ParseUint(env, 10, 64); err != nil {
			t.Fatalf("ORDERING_SEED=%q: want an unsigned integer", env)
		}
	}
	t.Logf("seed %d (rerun with ORDERING_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	behaviours := []string{"ok", "ok", "ok", "ok", "transient", "permanent", "panic"}
	for iter := range 200 {
		n := rng.IntN(40)
		partitions := 1 + rng.IntN(6)
		batch := make([]ordering.Record, n)
		for i := range batch {
			p := string(rune('a' + rng.IntN(partitions)))
			batch[i] = ordering.Record{Partition: p, ID: fmt.Sprintf("%s%d.%s", p, i, behaviours[rng.IntN(len(behaviours))])}
		}
		h := newScripted()
		eng, err := ordering.New(h, ordering.Options{MaxConcurrentPartitions: 1 + rng.IntN(4), Poison: &memorySink{}, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		res := eng.Process(context.Background(), batch)
		want, wantCalls := sequentialModel(batch)
		if !slices.Equal(res.Outcomes, want) {
			t.Fatalf("seed %d iteration %d: batch %v\noutcomes %v\nwant     %v", seed, iter, ids(batch), res.Outcomes, want)
		}
		for p, calls := range wantCalls {
			if got := h.callsOf(p); !slices.Equal(got, calls) {
				t.Fatalf("seed %d iteration %d: partition %s handled %v, want %v", seed, iter, p, got, calls)
			}
		}
		checkErrors(t, res)
	}
}

func sequentialModel(batch []ordering.Record) ([]ordering.Outcome, map[string][]string) {
	out := make([]ordering.Outcome, len(batch))
	calls := map[string][]string{}
	blocked := map[string]bool{}
	for i, r := range batch {
		if blocked[r.Partition] {
			out[i] = ordering.Skipped
			continue
		}
		calls[r.Partition] = append(calls[r.Partition], r.ID)
		switch r.ID[strings.LastIndexByte(r.ID, '.')+1:] {
		case "ok":
			out[i] = ordering.Succeeded
		case "permanent":
			out[i] = ordering.Poisoned
		default: // transient, panic
			out[i] = ordering.Failed
			blocked[r.Partition] = true
		}
	}
	return out, calls
}

func ids(batch []ordering.Record) []string {
	out := make([]string, len(batch))
	for i, r := range batch {
		out[i] = r.ID
	}
	return out
}
