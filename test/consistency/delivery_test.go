package consistency_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
	"github.com/orderly-dev/orderly/sim/kinesisesm"
	"github.com/orderly-dev/orderly/sim/sqsfifo"
)

// The runs below drive the simulator's own models of Lambda's event source
// mappings (sim/kinesisesm, sim/sqsfifo) in-process, with the consumer as
// their invoker. They must run inside a testing/synctest bubble: the
// models' waits (poll intervals, retry backoff, visibility timeouts) are
// then virtual time, so they keep realistic values and cost no wall time.
// Nothing in an invocation sleeps (the API client's backoff is stubbed and
// the fake API is served in-process), so a visibility timeout can never
// expire while its batch is still being processed.
const (
	// maxInvocations bounds every run: injected failures stop after a few
	// attempts per record, so a run that needs more is stuck.
	maxInvocations = 5000
	// maxVirtualTime bounds a run that stops invoking without finishing.
	maxVirtualTime = 24 * time.Hour
	// pollInterval is the models' wait after an empty read, and how often
	// the run checks whether everything was processed.
	pollInterval = time.Second
	// visibilityTimeout is the stack's for the shortest function timeout
	// allowed (10 s).
	visibilityTimeout = defaults.VisibilityTimeoutFactor * 10 * time.Second
	// The per-key mode's Pipe settings, as relay.KeyedPipe sets them.
	pipeGroupIDPath = "$.body.detail.scheduleDate"
	pipeDedupIDPath = "$.messageId"
	// ingestGroup is the rule's static group on the per-key mode's ingest queue.
	ingestGroup = "orderly"
	// ingestMaxReceiveCount is the ingest queue's redrive (the default of
	// fifo.maxReceiveCount): a message the Pipe cannot route (no group id
	// in it) is dead-lettered there.
	ingestMaxReceiveCount = defaults.MaxReceiveCount
)

// kinesisSetup is one Kinesis event source mapping configuration.
type kinesisSetup struct {
	shards, batchSize, parallelization int
	bisect                             bool
}

// kinesisSetupFor draws a configuration from the seed.
func kinesisSetupFor(seed uint64) kinesisSetup {
	return kinesisSetup{
		shards:          1 + int(seed%3),
		batchSize:       1 + int(unit(seed, "kinesis-batch", 0)*10),
		parallelization: 1 + int(unit(seed, "parallelization", 0)*3),
		bisect:          unit(seed, "bisect", 0) < 0.5,
	}
}

// runKinesis puts the workload on an in-memory stream (partition key: the
// period, as the stack's $.detail.scheduleDate) and runs the Kinesis event
// source mapping model with ReportBatchItemFailures until every record is
// checkpointed past. Retries are unlimited: a discarded record would be a
// lost event, which the property forbids.
func runKinesis(t *testing.T, c *consumer, w workload, k kinesisSetup) {
	t.Helper()
	stream, err := kinesisesm.NewMemoryStream(k.shards, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range w.events {
		stream.Put(e.period, e.data)
	}
	c.check = checkKinesis
	m, err := kinesisesm.New(kinesisesm.Config{
		BatchSize:               k.batchSize,
		ParallelizationFactor:   k.parallelization,
		MaxRetryAttempts:        -1,
		BisectBatchOnError:      k.bisect,
		ReportBatchItemFailures: true,
		PollInterval:            pollInterval,
	}, c, stream.Shards())
	if err != nil {
		t.Fatal(err)
	}
	drive(t, c, func() string { return fmt.Sprintf("Kinesis %+v: %+v", k, m.Stats()) }, func() bool { return m.Stats().Finished >= len(w.events) }, m.Run)
	if st := m.Stats(); st.Discarded != 0 || st.FailedInvokes != 0 {
		t.Errorf("Kinesis mapping %+v: want no discarded records and no failed invocations", st)
	}
}

// fifoSetup is one SQS FIFO configuration.
type fifoSetup struct {
	batchSize, concurrency int
	// perKey routes through an ingest queue and the Pipe, which sets one
	// group per period; otherwise events go straight to the consumer's
	// queue in static groups (detail.partition).
	perKey bool
	// lateDuplicates gives every send its own deduplication id, as if each
	// duplicate arrived after the 5-minute deduplication window; otherwise
	// content-based deduplication drops exact duplicates, as it does on
	// the stack's queues.
	lateDuplicates bool
}

func fifoSetupFor(seed uint64) fifoSetup {
	return fifoSetup{
		batchSize:      1 + int(unit(seed, "fifo-batch", 0)*10),
		concurrency:    2,
		perKey:         unit(seed, "pipe", 0) < 0.5,
		lateDuplicates: unit(seed, "late-duplicates", 0) < 0.5,
	}
}

// delivery is what a run's transport did to the workload before the
// consumer saw it.
type delivery struct {
	// dropped holds the positions of events that deduplication dropped.
	dropped map[int]bool
	// deadLettered holds the positions of events the Pipe could not route
	// (per-key mode), which the ingest queue dead-lettered.
	deadLettered map[int]bool
	// piped counts messages the Pipe forwarded.
	piped int
}

// reachedConsumer reports whether the event at position i was delivered
// to the consumer.
func (d delivery) reachedConsumer(i int) bool { return !d.dropped[i] && !d.deadLettered[i] }

// runFIFO sends the workload to the SQS FIFO queue model and runs its event
// source mapping (and, per key, the Pipe) until both queues are empty. The
// queue has no redrive: a dead-lettered message would be a lost event.
func runFIFO(t *testing.T, c *consumer, w workload, f fifoSetup) delivery {
	t.Helper()
	newQueue := func(name string, maxReceiveCount int) *sqsfifo.Queue {
		q, err := sqsfifo.NewQueue(sqsfifo.QueueConfig{Name: name, VisibilityTimeout: visibilityTimeout, MaxReceiveCount: maxReceiveCount, ContentBasedDeduplication: true})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	main := newQueue("orderly-consumer", 0)
	entry := main
	runs := []func(context.Context) error{}
	var pipe *sqsfifo.Pipe
	if f.perKey {
		entry = newQueue("orderly-ingest", ingestMaxReceiveCount)
		var err error
		pipe, err = sqsfifo.NewPipe(sqsfifo.PipeConfig{
			GroupIDPath: pipeGroupIDPath, DeduplicationIDPath: pipeDedupIDPath, BatchSize: sqsfifo.MaxReceiveBatch, PollInterval: pollInterval,
		}, entry, main)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, pipe.Run)
	}
	dropped := map[int]bool{}
	position := map[string]int{} // message id -> event position
	for i, e := range w.events {
		group := e.group
		if f.perKey {
			group = ingestGroup
		}
		dedupID := ""
		if f.lateDuplicates {
			dedupID = fmt.Sprintf("delivery-%d", i)
		}
		res, err := entry.Send(group, string(e.data), dedupID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Duplicate {
			dropped[i] = true
			continue
		}
		position[res.MessageID] = i
	}
	c.check = checkSQS
	m, err := sqsfifo.NewMapping(sqsfifo.MappingConfig{
		BatchSize: f.batchSize, MaxConcurrency: f.concurrency, ReportBatchItemFailures: true, PollInterval: pollInterval,
	}, main, c)
	if err != nil {
		t.Fatal(err)
	}
	runs = append(runs, m.Run)
	drained := func() bool { return entry.Stats().Stored == 0 && main.Stats().Stored == 0 }
	describe := func() string {
		return fmt.Sprintf("FIFO %+v: ingest %+v, consumer queue %+v", f, entry.Stats(), main.Stats())
	}
	drive(t, c, describe, drained, runs...)
	if st := m.Stats(); st.FailedInvokes != 0 || st.StaleDeletes != 0 {
		t.Errorf("FIFO mapping %+v: want no failed invocations and no deletes after a visibility timeout", st)
	}
	d := delivery{dropped: dropped, deadLettered: map[int]bool{}}
	if pipe != nil {
		d.piped, _ = pipe.Counts()
	}
	if dead := main.DeadLetters(); len(dead) != 0 {
		t.Errorf("the consumer's queue dead-lettered %d messages, but it has no redrive", len(dead))
	}
	if entry != main {
		for _, msg := range entry.DeadLetters() {
			i := position[msg.ID]
			d.deadLettered[i] = true
			if w.events[i].valid {
				t.Errorf("the Pipe could not route valid event %d (%s): it was dead-lettered", i, msg.Body)
			}
		}
	}
	return d
}

// drive runs the models until done reports true, then stops them and
// waits for them. A run that takes more than maxInvocations invocations or
// maxVirtualTime is stuck.
func drive(t *testing.T, c *consumer, describe func() string, done func() bool, runs ...func(context.Context) error) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, len(runs))
	for _, run := range runs {
		wg.Go(func() { errs <- run(ctx) })
	}
	limit := time.Now().Add(maxVirtualTime)
	for !done() {
		if n := c.invokes.Load(); n > maxInvocations || time.Now().After(limit) {
			t.Errorf("%s: stuck after %d invocations and %s", describe(), n, maxVirtualTime-time.Until(limit))
			break
		}
		time.Sleep(pollInterval)
	}
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("%s: %v", describe(), err)
		}
	}
}
