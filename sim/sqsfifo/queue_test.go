package sqsfifo

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newQueue(t *testing.T, c *clock, mutate func(*QueueConfig)) *Queue {
	t.Helper()
	cfg := QueueConfig{Name: "q", VisibilityTimeout: 30 * time.Second, MaxReceiveCount: 3, ContentBasedDeduplication: true, Now: c.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	q, err := NewQueue(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// send sends "group:body" strings.
func send(t *testing.T, q *Queue, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		var g, b string
		fmt.Sscanf(m, "%1s%s", &g, &b)
		if _, err := q.Send(g, m, ""); err != nil {
			t.Fatal(err)
		}
	}
}

func bodies(rs []Received) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Body)
	}
	return out
}

func receive(t *testing.T, q *Queue, n int) []Received {
	t.Helper()
	rs, err := q.Receive(n)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestGroupIsLockedWhileAnyMessageIsInFlight(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, nil)
	send(t, q, "A1", "A2", "B1", "A3", "B2")

	first := receive(t, q, 1)
	if got := bodies(first); !reflect.DeepEqual(got, []string{"A1"}) {
		t.Fatalf("first receive %v, want [A1]", got)
	}
	// Group A is locked by A1: only B is served, as much of it as possible.
	if got := bodies(receive(t, q, 10)); !reflect.DeepEqual(got, []string{"B1", "B2"}) {
		t.Fatalf("second receive %v, want [B1 B2]", got)
	}
	if got := receive(t, q, 10); len(got) != 0 {
		t.Fatalf("third receive %v, want nothing: both groups are locked", bodies(got))
	}
	if err := q.Delete(first[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if got := bodies(receive(t, q, 10)); !reflect.DeepEqual(got, []string{"A2", "A3"}) {
		t.Fatalf("after deleting A1: %v, want [A2 A3]", got)
	}
}

func TestReceiveFillsFromOneGroupThenOthersOldestFirst(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, nil)
	send(t, q, "B1", "A1", "A2", "B2", "C1")
	if got := bodies(receive(t, q, 4)); !reflect.DeepEqual(got, []string{"B1", "B2", "A1", "A2"}) {
		t.Errorf("receive %v, want B's messages, then A's (A's head is older than C's)", got)
	}
}

func TestBatchesHoldAtMostTen(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, nil)
	for i := range 15 {
		send(t, q, fmt.Sprintf("A%02d", i))
	}
	for _, n := range []int{0, 11} {
		if _, err := q.Receive(n); err == nil {
			t.Errorf("Receive(%d) accepted", n)
		}
	}
	if got := receive(t, q, 10); len(got) != 10 {
		t.Errorf("Receive(10) returned %d messages", len(got))
	}
}

func TestVisibilityTimeoutExpiryRedeliversAtTheHead(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, nil)
	send(t, q, "A1", "A2")
	first := receive(t, q, 1)
	c.advance(29 * time.Second)
	if got := receive(t, q, 10); len(got) != 0 {
		t.Fatalf("before the timeout: %v, want nothing", bodies(got))
	}
	c.advance(time.Second)
	again := receive(t, q, 10)
	if got := bodies(again); !reflect.DeepEqual(got, []string{"A1", "A2"}) {
		t.Fatalf("after the timeout: %v, want [A1 A2]", got)
	}
	if again[0].ReceiveCount != 2 || again[1].ReceiveCount != 1 {
		t.Errorf("receive counts %d and %d, want 2 and 1", again[0].ReceiveCount, again[1].ReceiveCount)
	}
	if err := q.Delete(first[0].ReceiptHandle); !errors.Is(err, ErrStaleReceipt) {
		t.Errorf("delete with the expired receipt: %v, want ErrStaleReceipt", err)
	}
	for _, r := range again {
		if err := q.Delete(r.ReceiptHandle); err != nil {
			t.Errorf("delete %s: %v", r.Body, err)
		}
	}
	if s := q.Stats(); s.Stored != 0 || s.Deleted != 2 || s.Received != 3 || s.Redelivered != 1 {
		t.Errorf("stats %+v, want 3 receives, 1 of them a redelivery, and everything deleted", s)
	}
}

func TestDeduplicationWindow(t *testing.T) {
	cases := []struct {
		name       string
		scope      string
		groups     [2]string
		wait       time.Duration
		duplicated bool
	}{
		{"same body within the window", ScopeQueue, [2]string{"A", "A"}, 4 * time.Minute, true},
		{"same body after the window", ScopeQueue, [2]string{"A", "A"}, 5 * time.Minute, false},
		{"queue scope spans groups", ScopeQueue, [2]string{"A", "B"}, 0, true},
		{"message group scope does not", ScopeMessageGroup, [2]string{"A", "B"}, 0, false},
		{"message group scope within a group", ScopeMessageGroup, [2]string{"A", "A"}, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			q := newQueue(t, c, func(cfg *QueueConfig) { cfg.DeduplicationScope = tc.scope })
			first, err := q.Send(tc.groups[0], "same", "")
			if err != nil {
				t.Fatal(err)
			}
			c.advance(tc.wait)
			second, err := q.Send(tc.groups[1], "same", "")
			if err != nil {
				t.Fatal(err)
			}
			if second.Duplicate != tc.duplicated {
				t.Fatalf("duplicate = %v, want %v", second.Duplicate, tc.duplicated)
			}
			if tc.duplicated && second.MessageID != first.MessageID {
				t.Errorf("a duplicate answers the original id %s, got %s", first.MessageID, second.MessageID)
			}
			want := 2
			if tc.duplicated {
				want = 1
			}
			if s := q.Stats(); s.Stored != want {
				t.Errorf("stored %d messages, want %d", s.Stored, want)
			}
		})
	}
	t.Run("explicit ids win over content", func(t *testing.T) {
		q := newQueue(t, newClock(), nil)
		a, _ := q.Send("A", "same", "id-1")
		b, _ := q.Send("A", "same", "id-2")
		c, _ := q.Send("A", "other", "id-1")
		if a.Duplicate || b.Duplicate || !c.Duplicate {
			t.Errorf("duplicates %v %v %v, want false false true", a.Duplicate, b.Duplicate, c.Duplicate)
		}
	})
	t.Run("no id without content-based deduplication", func(t *testing.T) {
		q := newQueue(t, newClock(), func(cfg *QueueConfig) { cfg.ContentBasedDeduplication = false })
		if _, err := q.Send("A", "x", ""); err == nil {
			t.Error("accepted a message without deduplication id")
		}
	})
}

func TestMaxReceiveCountMovesToTheDeadLetterQueue(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, func(cfg *QueueConfig) { cfg.MaxReceiveCount = 2 })
	send(t, q, "A1", "A2")
	for i := 1; i <= 2; i++ {
		got := receive(t, q, 1)
		if len(got) != 1 || got[0].Body != "A1" || got[0].ReceiveCount != i {
			t.Fatalf("receive %d: %+v, want A1 with receive count %d", i, got, i)
		}
		c.advance(30 * time.Second)
	}
	// A1 was received twice and never deleted: the next receive moves it
	// to the dead-letter queue and the group moves on.
	if got := bodies(receive(t, q, 1)); !reflect.DeepEqual(got, []string{"A2"}) {
		t.Fatalf("third receive %v, want [A2]", got)
	}
	dl := q.DeadLetters()
	if len(dl) != 1 || dl[0].Body != "A1" || dl[0].ReceiveCount != 2 {
		t.Errorf("dead letters %+v, want A1 received twice", dl)
	}
	if s := q.Stats(); s.DeadLettered != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestQueueConfigErrors(t *testing.T) {
	cases := []QueueConfig{
		{Name: "q"},
		{Name: "q", VisibilityTimeout: time.Second, MaxReceiveCount: -1},
		{Name: "q", VisibilityTimeout: time.Second, DeduplicationScope: "global"},
	}
	for _, cfg := range cases {
		if _, err := NewQueue(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	q := newQueue(t, newClock(), nil)
	if _, err := q.Send("", "x", ""); err == nil {
		t.Error("a message without group was accepted")
	}
}

func TestChangeVisibilityShortensTheWaitAndTheGroupStaysLocked(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, nil)
	send(t, q, "A1", "A2", "A3")
	got := receive(t, q, 10)
	if q.LockedFor("A") != 30*time.Second {
		t.Fatalf("LockedFor = %s, want the 30 s visibility timeout", q.LockedFor("A"))
	}
	// Like the consumer after A1 failed: A1 waits 5 s, the skipped rest 1 s.
	for i, timeout := range []time.Duration{5 * time.Second, time.Second, time.Second} {
		if err := q.ChangeVisibility(got[i].ReceiptHandle, timeout); err != nil {
			t.Fatal(err)
		}
	}
	if q.LockedFor("A") != 5*time.Second {
		t.Fatalf("LockedFor = %s, want 5 s: the longest in-flight message", q.LockedFor("A"))
	}
	c.advance(time.Second)
	if again := receive(t, q, 10); len(again) != 0 {
		t.Fatalf("A2 and A3 visible while A1 is in flight: received %v, want nothing", bodies(again))
	}
	if q.LockedFor("A") != 4*time.Second {
		t.Errorf("LockedFor = %s, want the 4 s A1 has left", q.LockedFor("A"))
	}
	c.advance(4 * time.Second)
	if q.LockedFor("A") != 0 {
		t.Errorf("LockedFor = %s after every message is visible, want 0", q.LockedFor("A"))
	}
	again := receive(t, q, 10)
	if b := bodies(again); !reflect.DeepEqual(b, []string{"A1", "A2", "A3"}) {
		t.Fatalf("after 5 s: %v, want [A1 A2 A3] in order", b)
	}
	if err := q.ChangeVisibility(got[0].ReceiptHandle, 0); !errors.Is(err, ErrStaleReceipt) {
		t.Errorf("change with the receipt of the earlier receive: %v, want ErrStaleReceipt", err)
	}
	if err := q.ChangeVisibility(again[0].ReceiptHandle, 13*time.Hour); err == nil {
		t.Error("a 13-hour visibility timeout was accepted")
	}
	// 0 makes the message visible at once; its group is free again once
	// every in-flight message of the group is visible.
	for _, r := range again {
		if err := q.ChangeVisibility(r.ReceiptHandle, 0); err != nil {
			t.Fatal(err)
		}
	}
	third := receive(t, q, 10)
	if b := bodies(third); !reflect.DeepEqual(b, []string{"A1", "A2", "A3"}) {
		t.Fatalf("after a 0 s change: %v, want [A1 A2 A3]", b)
	}
	if err := q.Delete(third[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if err := q.ChangeVisibility(third[0].ReceiptHandle, time.Second); !errors.Is(err, ErrStaleReceipt) {
		t.Errorf("change after delete: %v, want ErrStaleReceipt", err)
	}
	c.advance(30 * time.Second)
	if err := q.ChangeVisibility(third[1].ReceiptHandle, time.Second); !errors.Is(err, ErrStaleReceipt) {
		t.Errorf("change after the visibility timeout expired: %v, want ErrStaleReceipt (no longer in flight)", err)
	}
}
