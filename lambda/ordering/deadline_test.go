package ordering_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

// fakeClock advances only when a handler says so, which makes deadline
// behaviour independent of the machine's speed.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestDeadlineStopsStartingRecords(t *testing.T) {
	base := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		timeLeft  time.Duration // at the start of the batch
		perRecord time.Duration
		margin    time.Duration
		records   []ordering.Record
		want      []ordering.Outcome
		blocked   []int // skipped because of an earlier failure, not the deadline
	}{
		{
			name:     "deadline reached mid-batch",
			timeLeft: 10 * time.Second, perRecord: 4 * time.Second, margin: time.Second,
			// starts with 10s, 6s, 2s left; the fourth would start with -2s left.
			records: recs("a1.ok", "a2.ok", "a3.ok", "a4.ok", "a5.ok"),
			want:    []ordering.Outcome{S, S, S, K, K},
		},
		{
			name:     "remaining time exactly the margin still starts",
			timeLeft: 3 * time.Second, perRecord: time.Second, margin: 2 * time.Second,
			records: recs("a1.ok", "a2.ok", "a3.ok"),
			want:    []ordering.Outcome{S, S, K},
		},
		{
			name:     "already inside the margin: nothing starts",
			timeLeft: 500 * time.Millisecond, perRecord: time.Second, margin: time.Second,
			records: recs("a1.ok", "b1.ok"),
			want:    []ordering.Outcome{K, K},
		},
		{
			name:     "failure before the deadline keeps its outcome",
			timeLeft: 5 * time.Second, perRecord: 3 * time.Second, margin: time.Second,
			records: recs("a1.transient", "a2.ok", "b1.ok", "b2.ok"),
			// a single partition runs at a time (concurrency 1): a1 at 5s
			// left, b1 at 2s left, b2 at -1s left.
			want:    []ordering.Outcome{F, K, S, K},
			blocked: []int{1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: base}
			h := ordering.HandlerFunc(func(ctx context.Context, rec ordering.Record) error {
				clock.Advance(tc.perRecord)
				return behave(rec.ID)
			})
			eng, err := ordering.New(h, ordering.Options{
				MaxConcurrentPartitions: 1, DeadlineMargin: tc.margin, Poison: &memorySink{}, Now: clock.Now, Logger: quietLogger(),
			})
			if err != nil {
				t.Fatal(err)
			}
			// The real deadline is far away so that the context never
			// expires; only the fake clock moves towards the deadline the
			// engine sees.
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
			defer cancel()
			deadline, _ := ctx.Deadline()
			clock.now = deadline.Add(-tc.timeLeft)

			res := eng.Process(ctx, tc.records)
			if !slices.Equal(res.Outcomes, tc.want) {
				t.Fatalf("outcomes = %v, want %v", res.Outcomes, tc.want)
			}
			for i, o := range res.Outcomes {
				if o != ordering.Skipped {
					continue
				}
				wantReason := ordering.ErrDeadlineNear
				if slices.Contains(tc.blocked, i) {
					wantReason = ordering.ErrPartitionBlocked
				}
				if !errors.Is(res.Errors[i], wantReason) {
					t.Errorf("record %d skipped for %v, want %v", i, res.Errors[i], wantReason)
				}
			}
			checkErrors(t, res)
		})
	}
}

func TestNoDeadlineMeansNoLimit(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)}
	h := ordering.HandlerFunc(func(ctx context.Context, rec ordering.Record) error {
		clock.Advance(24 * time.Hour)
		return nil
	})
	eng, err := ordering.New(h, ordering.Options{Poison: &memorySink{}, Now: clock.Now, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	res := eng.Process(context.Background(), recs("a1.ok", "a2.ok", "a3.ok"))
	if res.Count(ordering.Succeeded) != 3 {
		t.Fatalf("outcomes = %v, want all succeeded without a deadline", res.Outcomes)
	}
}

func TestCanceledContextSkipsEverything(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
	}{
		{"canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, ordering.ErrCanceled},
		{"deadline passed", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		}, ordering.ErrDeadlineNear},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newScripted()
			eng, err := ordering.New(h, ordering.Options{Poison: &memorySink{}, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := tc.ctx()
			defer cancel()
			res := eng.Process(ctx, recs("a1.ok", "b1.ok", "a2.ok"))
			if !slices.Equal(res.Outcomes, []ordering.Outcome{K, K, K}) {
				t.Fatalf("outcomes = %v, want all skipped", res.Outcomes)
			}
			for i, err := range res.Errors {
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("record %d: error %v, want %v", i, err, tc.wantErr)
				}
			}
			if len(h.calls) != 0 {
				t.Fatalf("handler called %v with a dead context", h.calls)
			}
		})
	}
}
