package sqsfifo

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// DefaultDeduplicationWindow is SQS's fixed deduplication interval.
const DefaultDeduplicationWindow = 5 * time.Minute

// MaxReceiveBatch is the most messages one receive returns.
const MaxReceiveBatch = 10

// Deduplication scopes.
const (
	ScopeQueue        = "queue"
	ScopeMessageGroup = "messageGroup"
)

// QueueConfig configures a Queue.
type QueueConfig struct {
	// Name appears in message ids and ARNs.
	Name              string
	VisibilityTimeout time.Duration
	// MaxReceiveCount of the redrive policy; 0 means no dead-letter queue.
	MaxReceiveCount           int
	ContentBasedDeduplication bool
	// DeduplicationScope is ScopeQueue (default) or ScopeMessageGroup.
	DeduplicationScope  string
	DeduplicationWindow time.Duration
	// Now defaults to time.Now; tests move the clock to expire visibility
	// timeouts and deduplication windows.
	Now func() time.Time
}

// Message is a message as stored.
type Message struct {
	ID              string
	GroupID         string
	Body            string
	DeduplicationID string
	// SequenceNumber orders all messages of the queue.
	SequenceNumber  int64
	SentAt          time.Time
	ReceiveCount    int
	FirstReceivedAt time.Time
}

// Received is a message handed out by Receive.
type Received struct {
	Message
	ReceiptHandle string
	// Skipped is the idle time the queue's clock had jumped over
	// (SkipIdleTime) when the message was received: its times (SentAt,
	// FirstReceivedAt) are on the queue's clock, which runs ahead of the
	// wall clock by Skipped.
	Skipped time.Duration
}

// QueueStats counts what happened to the queue's messages.
type QueueStats struct {
	Sent         int // accepted and stored
	Duplicates   int // accepted and dropped by deduplication
	Received     int // receives of messages (a message can count several times)
	Redelivered  int // receives of a message received before
	Deleted      int
	DeadLettered int
	Stored       int // still in the queue, visible or in flight
	InFlight     int
}

// ErrStaleReceipt is returned when deleting with a receipt handle that is no
// longer the message's current one (its visibility timeout expired and it
// was received again, or it is gone).
var ErrStaleReceipt = errors.New("receipt handle is not current")

type entry struct {
	msg       Message
	inFlight  bool
	visibleAt time.Time
	receipt   string
}

type group struct {
	id       string
	entries  []*entry
	inFlight int
}

// Queue is the FIFO queue model. It is safe for concurrent use.
type Queue struct {
	cfg QueueConfig

	mu       sync.Mutex
	seq      int64
	receipts int64
	groups   map[string]*group
	dedup    map[string]dedupRecord
	byHandle map[string]*entry
	dlq      []Message
	stats    QueueStats
	// skipped is the idle time SkipIdleTime jumped over: the queue's clock
	// is cfg.Now plus skipped.
	skipped time.Duration
}

type dedupRecord struct {
	messageID string
	at        time.Time
}

// NewQueue returns an empty queue.
func NewQueue(cfg QueueConfig) (*Queue, error) {
	if cfg.VisibilityTimeout <= 0 {
		return nil, fmt.Errorf("queue %s: visibility timeout %s: want a positive duration", cfg.Name, cfg.VisibilityTimeout)
	}
	if cfg.MaxReceiveCount < 0 {
		return nil, fmt.Errorf("queue %s: maxReceiveCount %d: want 0 (no redrive) or more", cfg.Name, cfg.MaxReceiveCount)
	}
	switch cfg.DeduplicationScope {
	case "":
		cfg.DeduplicationScope = ScopeQueue
	case ScopeQueue, ScopeMessageGroup:
	default:
		return nil, fmt.Errorf("queue %s: deduplication scope %q: want %q or %q", cfg.Name, cfg.DeduplicationScope, ScopeQueue, ScopeMessageGroup)
	}
	if cfg.DeduplicationWindow <= 0 {
		cfg.DeduplicationWindow = DefaultDeduplicationWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Queue{cfg: cfg, groups: map[string]*group{}, dedup: map[string]dedupRecord{}, byHandle: map[string]*entry{}}, nil
}

// nowLocked is the queue's clock.
func (q *Queue) nowLocked() time.Time { return q.cfg.Now().Add(q.skipped) }

// SkipIdleTime moves the queue's clock to the moment the next in-flight
// message becomes visible again, when nothing is visible now, and returns
// how far it moved (0 when something is visible or nothing is in flight).
// Nobody can observe the time skipped: no message could have been received
// in it. Only the caller knows whether nobody is holding a message it is
// still working on (Mapping.SkipIdleTime does).
func (q *Queue) SkipIdleTime() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.nowLocked()
	q.expireLocked(now)
	var next time.Time
	for _, g := range q.groups {
		if len(g.entries) == 0 {
			continue
		}
		if g.inFlight == 0 {
			return 0 // a receive would get this group's head now
		}
		for _, e := range g.head() {
			if e.inFlight && (next.IsZero() || e.visibleAt.Before(next)) {
				next = e.visibleAt
			}
		}
	}
	if next.IsZero() || !next.After(now) {
		return 0
	}
	d := next.Sub(now)
	q.skipped += d
	return d
}

// Config returns the queue's configuration (with defaults applied).
func (q *Queue) Config() QueueConfig { return q.cfg }

// SendResult is the answer to Send.
type SendResult struct {
	MessageID string
	// Duplicate is true when deduplication dropped the message; MessageID
	// is then the original message's id.
	Duplicate bool
}

// Send stores a message at the end of its group. dedupID may be empty only
// with content-based deduplication.
func (q *Queue) Send(groupID, body, dedupID string) (SendResult, error) {
	if groupID == "" {
		return SendResult{}, fmt.Errorf("queue %s: MessageGroupId is required on a FIFO queue", q.cfg.Name)
	}
	if dedupID == "" {
		if !q.cfg.ContentBasedDeduplication {
			return SendResult{}, fmt.Errorf("queue %s: MessageDeduplicationId is required without content-based deduplication", q.cfg.Name)
		}
		sum := sha256.Sum256([]byte(body))
		dedupID = hex.EncodeToString(sum[:])
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.nowLocked()
	key := dedupID
	if q.cfg.DeduplicationScope == ScopeMessageGroup {
		key = groupID + "\x00" + dedupID
	}
	if prev, ok := q.dedup[key]; ok && now.Sub(prev.at) < q.cfg.DeduplicationWindow {
		q.stats.Duplicates++
		return SendResult{MessageID: prev.messageID, Duplicate: true}, nil
	}
	q.seq++
	msg := Message{
		ID:              fmt.Sprintf("%s-%08d", q.cfg.Name, q.seq),
		GroupID:         groupID,
		Body:            body,
		DeduplicationID: dedupID,
		SequenceNumber:  q.seq,
		SentAt:          now,
	}
	q.dedup[key] = dedupRecord{messageID: msg.ID, at: now}
	g := q.groups[groupID]
	if g == nil {
		g = &group{id: groupID}
		q.groups[groupID] = g
	}
	g.entries = append(g.entries, &entry{msg: msg})
	q.stats.Sent++
	return SendResult{MessageID: msg.ID}, nil
}

// Receive returns up to max (at most 10) visible messages, in group order,
// from groups with nothing in flight, and makes them invisible for the
// visibility timeout.
func (q *Queue) Receive(max int) ([]Received, error) {
	if max < 1 || max > MaxReceiveBatch {
		return nil, fmt.Errorf("queue %s: receive %d messages: want 1 to %d", q.cfg.Name, max, MaxReceiveBatch)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.nowLocked()
	q.expireLocked(now)

	// Unlocked groups, the one with the oldest head message first.
	var ready []*group
	for _, g := range q.groups {
		if g.inFlight == 0 && len(g.entries) > 0 {
			ready = append(ready, g)
		}
	}
	slices.SortFunc(ready, func(a, b *group) int {
		return int(a.entries[0].msg.SequenceNumber - b.entries[0].msg.SequenceNumber)
	})
	var out []Received
	for _, g := range ready {
		for len(out) < max && len(g.entries) > g.inFlight {
			e := g.entries[g.inFlight]
			if q.cfg.MaxReceiveCount > 0 && e.msg.ReceiveCount >= q.cfg.MaxReceiveCount {
				// Received maxReceiveCount times already: redrive instead of
				// delivering a further time.
				q.removeLocked(g, e)
				q.dlq = append(q.dlq, e.msg)
				q.stats.DeadLettered++
				continue
			}
			q.receipts++
			e.inFlight = true
			e.visibleAt = now.Add(q.cfg.VisibilityTimeout)
			e.receipt = fmt.Sprintf("%s-rh-%d", e.msg.ID, q.receipts)
			e.msg.ReceiveCount++
			if e.msg.ReceiveCount > 1 {
				q.stats.Redelivered++
			}
			if e.msg.FirstReceivedAt.IsZero() {
				e.msg.FirstReceivedAt = now
			}
			q.byHandle[e.receipt] = e
			g.inFlight++
			q.stats.Received++
			out = append(out, Received{Message: e.msg, ReceiptHandle: e.receipt, Skipped: q.skipped})
		}
		if len(out) == max {
			break
		}
	}
	q.gcLocked()
	return out, nil
}

// expireLocked makes in-flight messages whose visibility timeout has passed
// visible again. Entries stay in send order, so an expired message is back
// at the head of its group; a group with a message still in flight stays
// locked.
func (q *Queue) expireLocked(now time.Time) {
	for _, g := range q.groups {
		if g.inFlight == 0 {
			continue
		}
		for _, e := range g.head() {
			if e.inFlight && !now.Before(e.visibleAt) {
				e.inFlight = false
				delete(q.byHandle, e.receipt)
				e.receipt = ""
				g.inFlight--
			}
		}
	}
}

// head holds every in-flight message of the group: a receive serves only a
// group with nothing in flight, from its head, at most MaxReceiveBatch
// messages.
func (g *group) head() []*entry { return g.entries[:min(len(g.entries), MaxReceiveBatch)] }

func (q *Queue) removeLocked(g *group, e *entry) {
	i := slices.Index(g.entries, e)
	if i < 0 {
		return
	}
	if e.inFlight {
		g.inFlight--
		delete(q.byHandle, e.receipt)
	}
	g.entries = slices.Delete(g.entries, i, i+1)
}

// gcLocked forgets empty groups and deduplication records past the window.
func (q *Queue) gcLocked() {
	for id, g := range q.groups {
		if len(g.entries) == 0 {
			delete(q.groups, id)
		}
	}
	now := q.nowLocked()
	for k, d := range q.dedup {
		if now.Sub(d.at) >= q.cfg.DeduplicationWindow {
			delete(q.dedup, k)
		}
	}
}

// Delete removes a received message. The receipt handle must be the one of
// its latest receive, and that receive's visibility timeout must not have
// expired.
func (q *Queue) Delete(receipt string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.expireLocked(q.nowLocked())
	e, ok := q.byHandle[receipt]
	if !ok {
		return fmt.Errorf("queue %s: delete %s: %w", q.cfg.Name, receipt, ErrStaleReceipt)
	}
	q.removeLocked(q.groups[e.msg.GroupID], e)
	q.stats.Deleted++
	return nil
}

// MaxVisibilityTimeout is the longest visibility timeout SQS accepts.
const MaxVisibilityTimeout = 12 * time.Hour

// ChangeVisibility makes an in-flight message visible again timeout from
// now (0: at once), as ChangeMessageVisibility does. The receipt handle
// must be the current one of a message still in flight; its group stays
// locked until every in-flight message of the group is visible again or
// deleted.
func (q *Queue) ChangeVisibility(receipt string, timeout time.Duration) error {
	if timeout < 0 || timeout > MaxVisibilityTimeout {
		return fmt.Errorf("queue %s: visibility timeout %s: want 0 to %s", q.cfg.Name, timeout, MaxVisibilityTimeout)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.nowLocked()
	q.expireLocked(now)
	e, ok := q.byHandle[receipt]
	if !ok {
		return fmt.Errorf("queue %s: change visibility of %s: %w", q.cfg.Name, receipt, ErrStaleReceipt)
	}
	e.visibleAt = now.Add(timeout)
	return nil
}

// LockedFor returns how long groupID stays locked from now if nothing
// changes: until the last of its in-flight messages is visible again. It is
// 0 for a group with nothing in flight.
func (q *Queue) LockedFor(groupID string) time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.nowLocked()
	q.expireLocked(now)
	g := q.groups[groupID]
	if g == nil {
		return 0
	}
	var locked time.Duration
	for _, e := range g.head() {
		if e.inFlight {
			locked = max(locked, e.visibleAt.Sub(now))
		}
	}
	return locked
}

// DeadLetters returns the messages moved to the dead-letter queue.
func (q *Queue) DeadLetters() []Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.dlq)
}

// Stats returns a snapshot of the counters.
func (q *Queue) Stats() QueueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	for _, g := range q.groups {
		s.Stored += len(g.entries)
		s.InFlight += g.inFlight
	}
	return s
}
