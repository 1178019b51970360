package sqsfifo

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSkipIdleTimeJumpsToTheNextVisibleMessageOnly(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, nil) // 30 s visibility
	send(t, q, "a1", "a2", "b1")
	got := receive(t, q, 2) // group a first: a1, a2
	if len(got) != 2 {
		t.Fatalf("received %v, want group a's two messages", bodies(got))
	}
	if d := q.SkipIdleTime(); d != 0 {
		t.Fatalf("skipped %s while b1 is visible", d)
	}
	receive(t, q, 10) // b1, now everything is in flight
	c.advance(10 * time.Second)
	if err := q.ChangeVisibility(got[1].ReceiptHandle, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// a1 is visible again in 20 s, a2 in 5 s, b1 in 20 s: the group unlocks
	// only when both of its messages are visible again, yet the first
	// moment anything can change is a2's.
	if d := q.SkipIdleTime(); d != 5*time.Second {
		t.Fatalf("skipped %s, want 5s (a2's shortened visibility)", d)
	}
	if d := q.SkipIdleTime(); d != 15*time.Second {
		t.Fatalf("skipped %s, want 15s more (a1 and b1)", d)
	}
	if again := receive(t, q, 10); len(again) == 0 {
		t.Fatal("nothing visible after the skips")
	}
	// The skipped time counts for every clock of the queue, deduplication
	// included: a resend of a1's body is still a duplicate (20 s < 5 min).
	if res, err := q.Send("a", "a1", ""); err != nil || !res.Duplicate {
		t.Fatalf("resend after the skip: %+v, %v; want a duplicate", res, err)
	}
}

func TestMappingSkipsNothingWhileABatchIsInProgress(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, nil)
	send(t, q, "a1")
	inside := make(chan struct{})
	release := make(chan struct{})
	first := true // only the poller goroutine reads and writes it
	m, err := NewMapping(MappingConfig{BatchSize: 10, MaxConcurrency: 1, PollInterval: time.Millisecond},
		q, InvokerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
			if !first {
				return nil, nil // the redelivery succeeds
			}
			first = false
			close(inside)
			<-release
			return nil, errors.New("crashed")
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	<-inside
	if d := m.SkipIdleTime(); d != 0 {
		t.Errorf("skipped %s while the batch was being worked on", d)
	}
	close(release)
	// The crashed batch waits out its 30 s; once the mapping is done with
	// it, that wait is idle time.
	deadline := time.Now().Add(10 * time.Second)
	var skipped time.Duration
	for skipped == 0 && time.Now().Before(deadline) {
		skipped = m.SkipIdleTime()
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if skipped != 30*time.Second {
		t.Errorf("skipped %s after the crash, want the 30 s visibility timeout", skipped)
	}
}
