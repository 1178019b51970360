package scheduleapi

import (
	"context"
	"errors"
	"testing"
	"time"
)

// epochs are injected clocks behind and ahead of the machine's: the pacer
// must judge a budget on the clock it is given. (It once compared the
// deadline with the wall clock, and these tests began failing at random
// once the machine's date passed their fixed start time.)
var epochs = []time.Time{
	time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC),
}

// TestPacerGivesUpWhenTheSlotLiesBeyondTheBudget: three calls that began
// together, with a 2 s budget, at one request per second: the first two
// get slots at 0 s and 1 s, the third's slot (2 s) is past its budget.
func TestPacerGivesUpWhenTheSlotLiesBeyondTheBudget(t *testing.T) {
	for _, t0 := range epochs {
		t.Run(t0.Format("2006"), func(t *testing.T) { givesUpBeyondTheBudget(t, t0) })
	}
}

func givesUpBeyondTheBudget(t *testing.T, t0 time.Time) {
	now := t0
	clock := func() time.Time { return now }
	var slept []time.Duration
	sleep := func(_ context.Context, d time.Duration) error { slept = append(slept, d); now = now.Add(d); return nil }
	p := newPacer(time.Second)
	deadline := t0.Add(2 * time.Second)
	ctx := context.Background()
	for i := range 2 {
		if err := p.wait(ctx, deadline, clock, sleep); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if err := p.wait(ctx, deadline, clock, sleep); !errors.Is(err, errNoSlot) {
		t.Errorf("third call: %v, want errNoSlot", err)
	}
	if len(slept) != 1 || slept[0] != time.Second {
		t.Errorf("slept %v, want one 1 s wait (the third call does not wait for a slot it cannot use)", slept)
	}
}

// TestPacerSpacesFromTheActualWake: a sleep that overshoots pushes the next
// slot back; it never lets the next request follow closer than interval.
func TestPacerSpacesFromTheActualWake(t *testing.T) {
	for _, t0 := range epochs {
		t.Run(t0.Format("2006"), func(t *testing.T) { spacesFromTheActualWake(t, t0) })
	}
}

func spacesFromTheActualWake(t *testing.T, t0 time.Time) {
	now := t0
	clock := func() time.Time { return now }
	sleep := func(_ context.Context, d time.Duration) error { now = now.Add(d + 30*time.Millisecond); return nil }
	p := newPacer(200 * time.Millisecond)
	var sends []time.Time
	for range 4 {
		if err := p.wait(context.Background(), t0.Add(time.Minute), clock, sleep); err != nil {
			t.Fatal(err)
		}
		sends = append(sends, now)
	}
	for i := 1; i < len(sends); i++ {
		if gap := sends[i].Sub(sends[i-1]); gap < 200*time.Millisecond {
			t.Errorf("requests %d and %d %s apart, want at least 200ms", i, i+1, gap)
		}
	}
}

// TestPacerRefusesACallWithNoBudgetLeft: a free slot is still refused once
// the budget is spent, whatever the machine's time.
func TestPacerRefusesACallWithNoBudgetLeft(t *testing.T) {
	for _, t0 := range epochs {
		clock := func() time.Time { return t0 }
		sleep := func(context.Context, time.Duration) error { return nil }
		if err := newPacer(time.Second).wait(context.Background(), t0, clock, sleep); !errors.Is(err, errNoSlot) {
			t.Errorf("%s: %v, want errNoSlot", t0.Format("2006"), err)
		}
	}
}
