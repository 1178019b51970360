package sqsfifo

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/sync/errgroup"
)

// Invoker invokes the function synchronously with a Lambda SQS event. A
// non-nil error means the invocation failed as a whole.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (response []byte, err error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Invoke calls f.
func (f InvokerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// MappingConfig configures the event source mapping model.
type MappingConfig struct {
	// BatchSize is 1 to 10 for FIFO queues.
	BatchSize int
	// MaxConcurrency is the number of concurrent pollers, each running one
	// invocation at a time.
	MaxConcurrency          int
	ReportBatchItemFailures bool
	QueueARN                string
	Region                  string
	// PollInterval is the wait after an empty receive. Default 20ms.
	PollInterval time.Duration
	// Invoked observes every invocation; quick and concurrency-safe.
	Invoked func(Invocation)
}

// Invocation describes one invocation, for observers.
type Invocation struct {
	Poller   int
	Messages []Received
	Err      error
	// Failed lists the message ids the function reported (or all, when the
	// batch failed as a whole).
	Failed   []string
	Started  time.Time
	Finished time.Time
}

// MappingStats counts what the mapping did.
type MappingStats struct {
	Invocations     int
	FailedInvokes   int
	PartialFailures int
	Deleted         int
	StaleDeletes    int // deletes refused because the visibility timeout had expired
	// FailedGroups counts, per invocation that reported failures, the
	// message groups of its reported messages; GroupWait sums how long
	// each stayed locked from the moment the response was processed:
	// until the last of its reported messages was visible again, after
	// the queue's visibility timeout or a shorter one the function set.
	FailedGroups int
	GroupWait    time.Duration
}

// Mapping is the Lambda SQS event source mapping model.
type Mapping struct {
	cfg    MappingConfig
	queue  *Queue
	invoke Invoker

	mu    sync.Mutex
	stats MappingStats
	// busy counts batches received and not yet done with; a receive and
	// its count change together, under mu, so SkipIdleTime sees either.
	busy int
}

// NewMapping returns a mapping of queue onto the function behind invoke.
func NewMapping(cfg MappingConfig, queue *Queue, invoke Invoker) (*Mapping, error) {
	if cfg.BatchSize < 1 || cfg.BatchSize > MaxReceiveBatch {
		return nil, fmt.Errorf("SQS FIFO event source mapping: batch size %d: want 1 to %d", cfg.BatchSize, MaxReceiveBatch)
	}
	if cfg.MaxConcurrency < 1 {
		return nil, fmt.Errorf("SQS FIFO event source mapping: max concurrency %d: want at least 1", cfg.MaxConcurrency)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	return &Mapping{cfg: cfg, queue: queue, invoke: invoke}, nil
}

// Stats returns a snapshot of the counters.
func (m *Mapping) Stats() MappingStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// Run polls until ctx ends (then it returns nil) or the queue refuses a
// receive.
func (m *Mapping) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	for i := range m.cfg.MaxConcurrency {
		g.Go(func() error { return m.poll(ctx, i) })
	}
	err := g.Wait()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (m *Mapping) poll(ctx context.Context, poller int) error {
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		m.mu.Lock()
		msgs, err := m.queue.Receive(m.cfg.BatchSize)
		if len(msgs) > 0 {
			m.busy++
		}
		m.mu.Unlock()
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(m.cfg.PollInterval):
			}
			continue
		}
		m.deliver(ctx, poller, msgs)
		m.mu.Lock()
		m.busy--
		m.mu.Unlock()
	}
}

// SkipIdleTime moves the queue's clock over time in which nothing can
// happen: no batch is being worked on and nothing is visible, only
// messages waiting out a visibility timeout (a crashed invocation's batch)
// or the consumer's retry backoff. It returns how far the clock moved.
// Tests use it so that a minute-long visibility timeout costs no minute;
// anything that reports how long groups waited must not.
func (m *Mapping) SkipIdleTime() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.busy > 0 {
		return 0
	}
	return m.queue.SkipIdleTime()
}

// deliver invokes the function with one batch and deletes what succeeded.
// Messages not deleted stay in flight until their visibility timeout
// expires, which keeps their groups locked meanwhile.
func (m *Mapping) deliver(ctx context.Context, poller int, msgs []Received) {
	inv := Invocation{Poller: poller, Messages: msgs, Started: time.Now()}
	resp, err := m.invoke.Invoke(ctx, m.payload(msgs))
	if ctx.Err() != nil {
		return
	}
	inv.Finished, inv.Err = time.Now(), err
	failed := map[string]bool{}
	switch {
	case err != nil:
		for _, msg := range msgs {
			failed[msg.ID] = true
		}
	case m.cfg.ReportBatchItemFailures:
		failed = failuresOf(msgs, resp)
	}
	for _, msg := range msgs {
		if failed[msg.ID] {
			inv.Failed = append(inv.Failed, msg.ID)
		}
	}
	deleted, stale := 0, 0
	for _, msg := range msgs {
		if failed[msg.ID] {
			continue
		}
		if err := m.queue.Delete(msg.ReceiptHandle); err != nil {
			stale++
			continue
		}
		deleted++
	}
	var wait time.Duration
	groups := map[string]bool{}
	if err == nil {
		for _, msg := range msgs {
			if failed[msg.ID] && !groups[msg.GroupID] {
				groups[msg.GroupID] = true
				wait += m.queue.LockedFor(msg.GroupID)
			}
		}
	}
	m.mu.Lock()
	m.stats.Invocations++
	m.stats.Deleted += deleted
	m.stats.StaleDeletes += stale
	m.stats.FailedGroups += len(groups)
	m.stats.GroupWait += wait
	if err != nil {
		m.stats.FailedInvokes++
	} else if len(failed) > 0 {
		m.stats.PartialFailures++
	}
	m.mu.Unlock()
	if m.cfg.Invoked != nil {
		m.cfg.Invoked(inv)
	}
}

// failuresOf reads a partial batch response the way Lambda does: an empty
// or missing list is success; invalid JSON, an empty identifier or an
// unknown message id fail the whole batch.
func failuresOf(msgs []Received, resp []byte) map[string]bool {
	all := func() map[string]bool {
		out := map[string]bool{}
		for _, m := range msgs {
			out[m.ID] = true
		}
		return out
	}
	failed := map[string]bool{}
	if len(resp) == 0 || string(resp) == "null" {
		return failed
	}
	var r events.SQSEventResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		return all()
	}
	known := map[string]bool{}
	for _, m := range msgs {
		known[m.ID] = true
	}
	for _, item := range r.BatchItemFailures {
		if item.ItemIdentifier == "" || !known[item.ItemIdentifier] {
			return all()
		}
		failed[item.ItemIdentifier] = true
	}
	return failed
}

// payload is the Lambda SQS event for msgs.
func (m *Mapping) payload(msgs []Received) []byte {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, msg := range msgs {
		ev.Records[i] = sqsRecord(msg, m.cfg.QueueARN, m.cfg.Region)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		panic(fmt.Sprintf("marshal SQS event: %v", err))
	}
	return data
}

// sqsRecord is a received message as Lambda (and an EventBridge Pipe)
// presents it.
//
// Its timestamps are shifted back by the idle time the queue skipped: a
// consumer measures a message's age as its own (wall) clock minus
// SentTimestamp, and the queue's clock runs ahead of the wall clock by
// msg.Skipped, so the shifted stamps give the age the message has on the
// queue's clock, the one its visibility timeouts and holds run on. Without
// the shift, a skipped minute would make every message a minute younger to
// the consumer than to the queue (an isolation age would be reached later
// in model time than in a real queue).
func sqsRecord(msg Received, queueARN, region string) events.SQSMessage {
	sum := md5.Sum([]byte(msg.Body))
	ms := func(t time.Time) string { return strconv.FormatInt(t.Add(-msg.Skipped).UnixMilli(), 10) }
	return events.SQSMessage{
		MessageId:     msg.ID,
		ReceiptHandle: msg.ReceiptHandle,
		Body:          msg.Body,
		Md5OfBody:     hex.EncodeToString(sum[:]),
		Attributes: map[string]string{
			"ApproximateReceiveCount":          strconv.Itoa(msg.ReceiveCount),
			"SentTimestamp":                    ms(msg.SentAt),
			"SequenceNumber":                   fmt.Sprintf("%020d", msg.SequenceNumber),
			"MessageGroupId":                   msg.GroupID,
			"SenderId":                         "AIDALOCALORDERLY",
			"MessageDeduplicationId":           msg.DeduplicationID,
			"ApproximateFirstReceiveTimestamp": ms(msg.FirstReceivedAt),
		},
		MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSource:       "aws:sqs",
		EventSourceARN:    queueARN,
		AWSRegion:         region,
	}
}
