package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/delivery"
	"github.com/orderly-dev/orderly/infra/jsonpath"
	"github.com/orderly-dev/orderly/sim/sqsfifo"
)

// putBatch is the largest PutRecords request.
const putBatch = 500

// pace hands events to put in send order: all at once (in chunks of
// putBatch) when rate <= 0, otherwise at rate events per second, in small
// batches of whatever is due. It records when each event was handed over.
func pace(ctx context.Context, events []Event, rate float64, sentAt map[string]time.Time, sent *atomic.Int64, put func(ctx context.Context, batch []Event) error) error {
	start := time.Now()
	for i := 0; i < len(events); {
		n := min(putBatch, len(events)-i)
		if rate > 0 {
			due := int(time.Since(start).Seconds()*rate) + 1
			n = min(n, due-i)
			if n <= 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(5 * time.Millisecond):
				}
				continue
			}
		}
		batch := events[i : i+n]
		now := time.Now()
		for _, e := range batch {
			sentAt[e.ID] = now
		}
		if err := put(ctx, batch); err != nil {
			return err
		}
		sent.Add(int64(n))
		i += n
	}
	return nil
}

// kinesisTarget writes events to the stream as the rule's Kinesis target
// does: the event JSON as data, keyed by the synthesized PartitionKeyPath.
type kinesisTarget struct {
	client *kinesis.Client
	stream string
	rules  []assembly.Rule
	// seq records each event's sequence number, for arrival order.
	seq map[string]*big.Int
	// routed counts events some rule delivered.
	routed int
	// lanes, when set, records the shard each event's period went to.
	lanes map[string]string
}

func (k *kinesisTarget) put(ctx context.Context, batch []Event) error {
	entries := make([]types.PutRecordsRequestEntry, 0, len(batch))
	var ids, periods []string
	for _, e := range batch {
		matched, err := delivery.MatchingRules(k.rules, e.JSON)
		if err != nil {
			return err
		}
		for _, r := range matched {
			var doc any
			_ = json.Unmarshal(e.JSON, &doc)
			key, err := jsonpath.String(doc, r.PartitionKeyPath)
			if err != nil {
				// EventBridge fails such a delivery to the target's DLQ.
				return fmt.Errorf("event %s: partition key %s: %w", e.ID, r.PartitionKeyPath, err)
			}
			entries = append(entries, types.PutRecordsRequestEntry{Data: e.JSON, PartitionKey: aws.String(key)})
			ids = append(ids, e.ID)
			periods = append(periods, e.Period)
		}
	}
	if len(entries) == 0 {
		return nil
	}
	out, err := k.client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(k.stream), Records: entries})
	if err != nil {
		return fmt.Errorf("put %d records: %w", len(entries), err)
	}
	if n := aws.ToInt32(out.FailedRecordCount); n > 0 {
		// Retrying single records would reorder them; a local stream has
		// no reason to refuse any.
		return fmt.Errorf("kinesalite refused %d of %d records", n, len(entries))
	}
	for i, r := range out.Records {
		seq, ok := new(big.Int).SetString(aws.ToString(r.SequenceNumber), 10)
		if !ok {
			return fmt.Errorf("sequence number %q is not a number", aws.ToString(r.SequenceNumber))
		}
		k.seq[ids[i]] = seq
		if k.lanes != nil {
			k.lanes[periods[i]] = aws.ToString(r.ShardId)
		}
	}
	k.routed += len(entries)
	return nil
}

// fifoTarget sends events to the FIFO model as the rules' SQS targets do:
// the event JSON as body, the rule's static group, content-based
// deduplication.
type fifoTarget struct {
	queue  *sqsfifo.Queue
	rules  []assembly.Rule
	routed int
	// lanes, when set, records the message group each event's period went
	// to; "per-key" when the Pipe regroups by key (periods share no group).
	lanes map[string]string
	// perKey: the queue is the Pipe's ingest queue, and the consumer's
	// groups are keyed by period.
	perKey bool
}

func (f *fifoTarget) put(_ context.Context, batch []Event) error {
	for _, e := range batch {
		matched, err := delivery.MatchingRules(f.rules, e.JSON)
		if err != nil {
			return err
		}
		for _, r := range matched {
			if _, err := f.queue.Send(r.MessageGroupID, string(e.JSON), ""); err != nil {
				return fmt.Errorf("event %s: %w", e.ID, err)
			}
			if f.lanes != nil {
				f.lanes[e.Period] = r.MessageGroupID
				if f.perKey {
					f.lanes[e.Period] = "per-key " + e.Period
				}
			}
			f.routed++
		}
	}
	return nil
}
