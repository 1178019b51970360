package sqsfifo

import (
	"strconv"
	"testing"
	"time"
)

// age is how old the consumer finds a record: its clock (the wall clock,
// here wall) minus SentTimestamp.
func age(t *testing.T, rec map[string]string, wall time.Time) time.Duration {
	t.Helper()
	ms, err := strconv.ParseInt(rec["SentTimestamp"], 10, 64)
	if err != nil {
		t.Fatalf("SentTimestamp %q: %v", rec["SentTimestamp"], err)
	}
	return wall.Sub(time.UnixMilli(ms))
}

func TestRecordsCarrySentTimestampAndReceiveCountOnTheQueuesClock(t *testing.T) {
	c := newClock() // the wall clock: the model adds what it skipped
	q := newQueue(t, c, nil)
	sentAt := c.Now()
	send(t, q, "a1", "b1")
	first := receive(t, q, 1) // a1, in flight for 30 s
	rec := sqsRecord(first[0], "arn", "eu-west-1").Attributes
	if rec["ApproximateReceiveCount"] != "1" {
		t.Errorf("first receive: ApproximateReceiveCount %q, want 1", rec["ApproximateReceiveCount"])
	}
	if got := rec["SentTimestamp"]; got != strconv.FormatInt(sentAt.UnixMilli(), 10) {
		t.Errorf("SentTimestamp %s, want the send's %d", got, sentAt.UnixMilli())
	}
	receive(t, q, 10) // b1: everything in flight
	c.advance(5 * time.Second)
	skipped := q.SkipIdleTime() // to a1's and b1's visibility, 25 s on
	if skipped != 25*time.Second {
		t.Fatalf("skipped %s, want 25s", skipped)
	}
	again := receive(t, q, 1) // a1 again, 30 s old on the queue's clock
	rec = sqsRecord(again[0], "arn", "eu-west-1").Attributes
	if rec["ApproximateReceiveCount"] != "2" {
		t.Errorf("second receive: ApproximateReceiveCount %q, want 2", rec["ApproximateReceiveCount"])
	}
	// The consumer's clock did not skip: only 5 s passed on it, yet the
	// message has waited 30 s in the queue, and its age must say so.
	if got := age(t, rec, c.Now()); got != 30*time.Second {
		t.Errorf("age the consumer sees %s, want 30s (5 s on the wall clock + 25 s skipped)", got)
	}
	firstRecv := rec["ApproximateFirstReceiveTimestamp"]
	if ms, _ := strconv.ParseInt(firstRecv, 10, 64); c.Now().Sub(time.UnixMilli(ms)) != 30*time.Second {
		t.Errorf("ApproximateFirstReceiveTimestamp %s: want 30 s before the consumer's now, like SentTimestamp", firstRecv)
	}
}

func TestChangeVisibilityBeyondTheQueuesTimeoutHoldsTheGroup(t *testing.T) {
	c := newClock()
	q := newQueue(t, c, func(cfg *QueueConfig) { cfg.VisibilityTimeout = time.Minute; cfg.MaxReceiveCount = 10 })
	send(t, q, "a1", "a2")
	got := receive(t, q, 1)
	// An outage hold longer than the queue's timeout: 180 s, three times it.
	if err := q.ChangeVisibility(got[0].ReceiptHandle, 180*time.Second); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Minute)
	if rs := receive(t, q, 10); len(rs) != 0 {
		t.Fatalf("received %v one visibility timeout into a 180 s hold", bodies(rs))
	}
	if d := q.LockedFor("a"); d != 2*time.Minute {
		t.Errorf("group locked for %s more, want 2m", d)
	}
	if d := q.SkipIdleTime(); d != 2*time.Minute {
		t.Fatalf("skipped %s, want the hold's remaining 2m", d)
	}
	rs := receive(t, q, 10)
	if len(rs) != 2 || rs[0].Body != "a1" || rs[0].ReceiveCount != 2 {
		t.Fatalf("after the hold received %v (receive count %d), want a1 again (2) then a2", bodies(rs), rs[0].ReceiveCount)
	}
	if err := q.ChangeVisibility(rs[0].ReceiptHandle, MaxVisibilityTimeout+time.Second); err == nil {
		t.Error("a hold beyond 12 hours was accepted")
	}
}
