package kinesisesm

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderly-dev/orderly/infra/onfailure"
)

// runLane delivers the lane's records batch by batch until ctx ends.
func (m *Mapping) runLane(ctx context.Context, l *lane) {
	// sizes holds the sizes of the batches still owed after a bisection or
	// a partial failure, the next one last; empty means BatchSize.
	var sizes []int
	retries := 0
	for {
		limit := m.cfg.BatchSize
		if len(sizes) > 0 {
			limit = sizes[len(sizes)-1]
		}
		batch, ok := l.head(ctx, limit)
		if !ok {
			return
		}
		if n := m.expired(batch); n > 0 {
			m.discard(l, batch[:n], onfailure.RecordAgeExceeded, retries, "")
			sizes, retries = nil, 0
			continue
		}
		inv := Invocation{ShardID: l.shard, Lane: l.index, Records: batch, Retry: retries, Started: m.cfg.Now()}
		resp, err := m.invoke.Invoke(ctx, m.payload(batch))
		if ctx.Err() != nil {
			// The harness is shutting down; the outcome means nothing.
			return
		}
		inv.Finished, inv.Err = m.cfg.Now(), err
		failedAt, whole := -1, err != nil
		if err == nil && m.cfg.ReportBatchItemFailures {
			failedAt, whole, inv.Failed = checkpointOf(batch, resp)
		}
		m.observe(inv, failedAt >= 0 || whole)

		switch {
		case err != nil && m.cfg.BisectBatchOnError && len(batch) > 1:
			// Splitting does not consume the retry quota.
			first := len(batch) / 2
			sizes = append(pop(sizes), len(batch)-first, first)
			m.count(func(s *Stats) { s.Bisections++ })
		case whole || failedAt >= 0:
			done := 0
			if !whole {
				done = failedAt
			}
			m.complete(l, batch[:done])
			rest := batch[done:]
			sizes = append(pop(sizes), len(rest))
			retries++
			if m.cfg.MaxRetryAttempts >= 0 && retries > m.cfg.MaxRetryAttempts {
				m.discard(l, rest, onfailure.RetryAttemptsExhausted, retries, functionError(err))
				sizes, retries = pop(sizes), 0
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(m.cfg.RetryDelay(retries)):
			}
		default:
			m.complete(l, batch)
			sizes, retries = pop(sizes), 0
		}
	}
}

func pop(sizes []int) []int {
	if len(sizes) == 0 {
		return sizes
	}
	return sizes[:len(sizes)-1]
}

func functionError(err error) string {
	if err == nil {
		return ""
	}
	return "Unhandled"
}

// checkpointOf reads a partial batch response the way Lambda does: an empty
// or missing list is complete success; otherwise the lowest reported
// record is where the lane checkpoints. Invalid JSON, an empty identifier
// or one that is not in the batch fail the whole batch.
func checkpointOf(batch []Record, resp []byte) (failedAt int, whole bool, failed string) {
	var r events.KinesisEventResponse
	if len(resp) == 0 || string(resp) == "null" {
		return -1, false, ""
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return -1, true, ""
	}
	failedAt = -1
	for _, item := range r.BatchItemFailures {
		if item.ItemIdentifier == "" {
			return -1, true, ""
		}
		i := indexOf(batch, item.ItemIdentifier)
		if i < 0 {
			return -1, true, item.ItemIdentifier
		}
		if failedAt < 0 || i < failedAt {
			failedAt = i
		}
	}
	if failedAt >= 0 {
		failed = batch[failedAt].SequenceNumber
	}
	return failedAt, false, failed
}

func indexOf(batch []Record, seq string) int {
	for i, r := range batch {
		if r.SequenceNumber == seq {
			return i
		}
	}
	return -1
}

// expired counts the leading records older than MaxRecordAge. Records of a
// shard arrive in order, so the old ones are always at the front.
func (m *Mapping) expired(batch []Record) int {
	if m.cfg.MaxRecordAge <= 0 {
		return 0
	}
	now := m.cfg.Now()
	n := 0
	for n < len(batch) && now.Sub(batch[n].ArrivalTime) > m.cfg.MaxRecordAge {
		n++
	}
	return n
}

func (m *Mapping) observe(inv Invocation, failed bool) {
	m.mu.Lock()
	m.stats.Invocations++
	if inv.Err != nil {
		m.stats.FailedInvokes++
	} else if failed {
		m.stats.PartialFailures++
	}
	for _, r := range inv.Records {
		if m.delivered[r.SequenceNumber] {
			m.stats.Redelivered++
		}
		m.delivered[r.SequenceNumber] = true
	}
	m.mu.Unlock()
	if m.cfg.Invoked != nil {
		m.cfg.Invoked(inv)
	}
}

func (m *Mapping) count(update func(*Stats)) {
	m.mu.Lock()
	update(&m.stats)
	m.mu.Unlock()
}

// complete checkpoints past recs, the lane's first pending records.
func (m *Mapping) complete(l *lane, recs []Record) {
	if len(recs) == 0 {
		return
	}
	l.drop(len(recs))
	m.mu.Lock()
	m.stats.Finished += len(recs)
	m.checkpoints[l.key()] = recs[len(recs)-1].SequenceNumber
	m.mu.Unlock()
}

// discard moves past recs, the lane's first pending records, and sends
// their metadata to the on-failure destination.
func (m *Mapping) discard(l *lane, recs []Record, cond onfailure.Condition, invokes int, fnErr string) {
	l.drop(len(recs))
	m.mu.Lock()
	m.stats.Finished += len(recs)
	m.stats.Discarded += len(recs)
	m.checkpoints[l.key()] = recs[len(recs)-1].SequenceNumber
	m.requests++
	id := fmt.Sprintf("local-onfailure-%d", m.requests)
	m.mu.Unlock()
	if m.cfg.Discarded == nil {
		return
	}
	status := 200
	m.cfg.Discarded(OnFailure{
		Object: onfailure.Object{
			RequestContext:  onfailure.RequestContext{RequestID: id, FunctionARN: m.cfg.FunctionARN, Condition: cond, ApproximateInvokeCount: invokes},
			ResponseContext: onfailure.ResponseContext{StatusCode: status, ExecutedVersion: "$LATEST", FunctionError: fnErr},
			Version:         "1.0",
			Timestamp:       m.cfg.Now().UTC().Format(onfailure.TimeLayout),
			KinesisBatchInfo: &onfailure.BatchInfo{
				ShardID:                         l.shard,
				StartSequenceNumber:             recs[0].SequenceNumber,
				EndSequenceNumber:               recs[len(recs)-1].SequenceNumber,
				ApproximateArrivalOfFirstRecord: recs[0].ArrivalTime.UTC().Format(onfailure.TimeLayout),
				ApproximateArrivalOfLastRecord:  recs[len(recs)-1].ArrivalTime.UTC().Format(onfailure.TimeLayout),
				BatchSize:                       len(recs),
				StreamARN:                       m.cfg.StreamARN,
			},
		},
		Records: append([]Record(nil), recs...),
	})
}

// payload is the Lambda Kinesis event for batch.
func (m *Mapping) payload(batch []Record) []byte {
	ev := events.KinesisEvent{Records: make([]events.KinesisEventRecord, len(batch))}
	for i, r := range batch {
		ev.Records[i] = events.KinesisEventRecord{
			AwsRegion:         m.cfg.Region,
			EventID:           r.ShardID + ":" + r.SequenceNumber,
			EventName:         "aws:kinesis:record",
			EventSource:       "aws:kinesis",
			EventSourceArn:    m.cfg.StreamARN,
			EventVersion:      "1.0",
			InvokeIdentityArn: "arn:aws:iam::000000000000:role/orderly-local",
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: r.ArrivalTime},
				Data:                        r.Data,
				PartitionKey:                r.PartitionKey,
				SequenceNumber:              r.SequenceNumber,
				KinesisSchemaVersion:        "1.0",
			},
		}
	}
	data, err := json.Marshal(ev)
	if err != nil {
		// Only plain strings, bytes and times: cannot fail.
		panic(fmt.Sprintf("marshal Kinesis event: %v", err))
	}
	return data
}
