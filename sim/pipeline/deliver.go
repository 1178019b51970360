package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/sim/kinesisesm"
	"github.com/orderly-dev/orderly/sim/payloads"
	"github.com/orderly-dev/orderly/sim/sqsfifo"
)

// settle waits until done reports true, the run ends, or a component
// fails.
func settle(ctx context.Context, done func() bool, failed <-chan error) error {
	for !done() {
		select {
		case <-ctx.Done():
			return nil
		case err := <-failed:
			if err == nil {
				err = fmt.Errorf("stopped before every event was processed")
			}
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// deliverKinesis creates the stream in kinesalite, runs the event source
// mapping emulator from the synthesized settings, and sends the events.
func (r *runState) deliverKinesis(ctx context.Context, k *kinesalite) error {
	s, cons, evs, opts, ev, rep := r.settings, r.cons, r.events, r.opts, r.ev, r.rep
	ks := s.Kinesis
	shards := ks.ShardCount
	if ks.OnDemand {
		shards = onDemandShards
	}
	ids, err := k.createStream(ctx, r.stream, shards)
	if err != nil {
		return err
	}
	readers := make([]kinesisesm.Shard, len(ids))
	for i, id := range ids {
		readers[i] = &shardReader{client: k.client, stream: r.stream, id: id}
	}
	maxAge := time.Duration(ks.MaxRecordAgeSeconds) * time.Second
	if ks.MaxRecordAgeSeconds < 0 {
		maxAge = 0
	}
	var mu sync.Mutex
	var discarded []kinesisesm.OnFailure
	m, err := kinesisesm.New(kinesisesm.Config{
		BatchSize:               ks.BatchSize,
		ParallelizationFactor:   max(1, ks.ParallelizationFactor),
		MaxRetryAttempts:        ks.RetryAttempts,
		MaxRecordAge:            maxAge,
		BisectBatchOnError:      ks.BisectBatchOnError,
		ReportBatchItemFailures: ks.ReportsItemFailures,
		StreamARN:               fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", localRegion, localAccount, r.stream),
		FunctionARN:             fmt.Sprintf("arn:aws:lambda:%s:%s:function:orderly-local-consumer", localRegion, localAccount),
		Region:                  localRegion,
		Discarded: func(f kinesisesm.OnFailure) {
			r.tally.discarded.Add(int64(len(f.Records)))
			mu.Lock()
			discarded = append(discarded, f)
			mu.Unlock()
		},
	}, cons, readers)
	if err != nil {
		return err
	}
	r.tally.track(nil, func() int { return max(0, int(r.tally.sent.Load())-m.Stats().Finished) })
	mctx, stop := context.WithCancel(ctx)
	var running sync.WaitGroup
	// Stop the emulator and wait for it, so that no invocation is still
	// running when the consumers are stopped.
	defer running.Wait()
	defer stop()
	failed := make(chan error, 1)
	startMapping := func() { running.Go(func() { failed <- m.Run(mctx) }) }
	if !opts.Backlog {
		startMapping()
	}

	var rules []assembly.Rule
	for _, r := range s.Rules {
		if r.PartitionKeyPath != "" {
			rules = append(rules, r)
		}
	}
	target := &kinesisTarget{client: k.client, stream: r.stream, rules: rules, seq: map[string]*big.Int{}, lanes: ev.laneOf}
	fmt.Fprintf(opts.Progress, "sending %d events to kinesalite (%d shards)\n", len(evs), shards)
	if err := pace(ctx, evs, opts.Rate, ev.sentAt, &r.tally.sent, target.put); err != nil && ctx.Err() == nil {
		return err
	}
	var drainStart time.Time
	if opts.Backlog && ctx.Err() == nil {
		fmt.Fprintf(opts.Progress, "%d records wait in the stream: starting the event source mapping\n", target.routed)
		drainStart = time.Now()
		startMapping()
	}
	err = settle(ctx, func() bool { return m.Stats().Finished >= target.routed }, failed)
	if !drainStart.IsZero() {
		rep.DrainSeconds = time.Since(drainStart).Seconds()
	}
	stop()
	running.Wait()
	rep.DuplicateDeliveries = m.Stats().Redelivered
	ev.rank = ranks(evs, bigLess(target.seq))
	mu.Lock()
	defer mu.Unlock()
	for _, f := range discarded {
		for _, r := range f.Records {
			if id, ok := eventIDOf(r.Data); ok {
				ev.deadLettered[id] = true
			}
		}
	}
	return err
}

// fifoQueueName is the name of the local FIFO queue the consumer reads.
const fifoQueueName = "orderly-local.fifo"

// deliverFifo runs the SQS FIFO model (and, in per-key mode, the Pipe from
// the ingest queue) from the synthesized settings, and sends the events.
func (r *runState) deliverFifo(ctx context.Context) error {
	s, cons, evs, opts, ev, rep := r.settings, r.cons, r.events, r.opts, r.ev, r.rep
	f, d := s.Fifo, s.Fifo.Delivery
	vt := time.Duration(f.VisibilityTimeout) * time.Second
	if vt <= 0 {
		vt = 30 * time.Second // SQS's default
	}
	main, err := sqsfifo.NewQueue(sqsfifo.QueueConfig{
		Name: "orderly-local", VisibilityTimeout: vt, MaxReceiveCount: f.MaxReceiveCount,
		ContentBasedDeduplication: d.ContentBasedDeduplication, DeduplicationScope: d.DeduplicationScope,
	})
	if err != nil {
		return err
	}
	queueARN := fmt.Sprintf("arn:aws:sqs:%s:%s:%s", localRegion, localAccount, fifoQueueName)
	// The consumer's retry backoff changes visibility through the SQS
	// endpoint, by the queue URL it derives from this ARN.
	r.sqs.Attach(fifoQueueName, main)
	mctx, stop := context.WithCancel(ctx)
	var running sync.WaitGroup
	defer running.Wait()
	defer stop()
	failed := make(chan error, 2)

	entry := main
	var ingest *sqsfifo.Queue
	if d.PipeGroupIDPath != "" {
		// The Pipe never fails in the model, so the ingest queue's own
		// visibility timeout and redrive never come into play.
		ingest, err = sqsfifo.NewQueue(sqsfifo.QueueConfig{Name: "orderly-local-ingest", VisibilityTimeout: 30 * time.Second, MaxReceiveCount: 5, ContentBasedDeduplication: true})
		if err != nil {
			return err
		}
		pipe, err := sqsfifo.NewPipe(sqsfifo.PipeConfig{
			GroupIDPath: d.PipeGroupIDPath, DeduplicationIDPath: d.PipeDeduplicationIDPath, BatchSize: d.PipeBatchSize,
			SourceARN: fmt.Sprintf("arn:aws:sqs:%s:%s:orderly-local-ingest.fifo", localRegion, localAccount), Region: localRegion,
		}, ingest, main)
		if err != nil {
			return err
		}
		running.Go(func() { failed <- pipe.Run(mctx) })
		entry = ingest
	}
	r.tally.track(func() int { return len(main.DeadLetters()) }, func() int {
		stored := main.Stats().Stored
		if ingest != nil {
			stored += ingest.Stats().Stored
		}
		return stored
	})
	m, err := sqsfifo.NewMapping(sqsfifo.MappingConfig{
		BatchSize: f.BatchSize, MaxConcurrency: r.plan.concurrency, ReportBatchItemFailures: f.ReportsItemFailures,
		QueueARN: queueARN, Region: localRegion,
	}, main, cons)
	if err != nil {
		return err
	}
	running.Go(func() { failed <- m.Run(mctx) })

	target := &fifoTarget{queue: entry, rules: s.Rules, lanes: ev.laneOf, perKey: ingest != nil}
	fmt.Fprintf(opts.Progress, "sending %d events to the SQS FIFO model\n", len(evs))
	if err := pace(ctx, evs, opts.Rate, ev.sentAt, &r.tally.sent, target.put); err != nil && ctx.Err() == nil {
		return err
	}
	drained := func() bool {
		if ingest != nil && ingest.Stats().Stored > 0 {
			return false
		}
		return main.Stats().Stored == 0
	}
	done := drained
	if opts.SkipIdleTime {
		done = func() bool {
			if drained() {
				return true
			}
			rep.IdleSecondsSkipped += m.SkipIdleTime().Seconds()
			return false
		}
	}
	err = settle(ctx, done, failed)
	stop()
	running.Wait()
	rep.DuplicateDeliveries = main.Stats().Redelivered
	ms := m.Stats()
	rep.FailedGroups, rep.GroupWaitSeconds = ms.FailedGroups, ms.GroupWait.Seconds()
	for _, c := range r.sqs.VisibilityChanges() {
		if c.Err != "" {
			rep.VisibilityChangesRefused++
		}
	}
	ev.rank = ranks(evs, func(a, b Event) bool { return a.Index < b.Index })
	dead := main.DeadLetters()
	if ingest != nil {
		dead = append(dead, ingest.DeadLetters()...)
	}
	for _, msg := range dead {
		if id, ok := eventIDOf([]byte(msg.Body)); ok {
			ev.deadLettered[id] = true
		}
	}
	return err
}

// asyncRetries is how often Lambda retries a failed asynchronous
// invocation.
const asyncRetries = 2

// deliverUnordered invokes the function once per event, many at once and
// in no particular order, as an EventBridge rule targeting the function
// directly would (asynchronous invocations). Each event arrives as a
// one-message batch without a message group, so the consumer's per-partition
// serialization has nothing to work with: that is the race orderly exists
// to prevent.
func (r *runState) deliverUnordered(ctx context.Context) error {
	cons, evs, ev, rep := r.cons, r.events, r.ev, r.rep
	jobs := make(chan Event)
	var wg sync.WaitGroup
	var retries atomic.Int64
	for range cons.pool.Size() {
		wg.Go(func() {
			for e := range jobs {
				retries.Add(int64(invokeAsync(ctx, cons, e)))
			}
		})
	}
	err := pace(ctx, evs, r.opts.Rate, ev.sentAt, &r.tally.sent, func(ctx context.Context, batch []Event) error {
		for _, e := range batch {
			select {
			case jobs <- e:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	close(jobs)
	wg.Wait()
	rep.DuplicateDeliveries = int(retries.Load())
	ev.rank = ranks(evs, func(a, b Event) bool { return a.Index < b.Index })
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// invokeAsync delivers one event with asynchronous invocation's retries
// (shortened from minutes to 100 ms steps) and returns how many it took.
func invokeAsync(ctx context.Context, cons *consumer, e Event) int {
	payload := payloads.SQSPayload(payloads.Message{ID: e.ID, Data: e.JSON})
	for attempt := 0; attempt <= asyncRetries; attempt++ {
		resp, err := cons.Invoke(ctx, payload)
		if err == nil && !reportsFailure(resp) {
			return attempt
		}
		select {
		case <-ctx.Done():
			return attempt
		case <-time.After(time.Duration(attempt+1) * 100 * time.Millisecond):
		}
	}
	return asyncRetries
}

func reportsFailure(resp []byte) bool {
	var r events.SQSEventResponse
	return json.Unmarshal(resp, &r) == nil && len(r.BatchItemFailures) > 0
}
