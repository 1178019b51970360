package redrive

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderly-dev/orderly/infra/deploycheck/awsenv"
	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

type clients struct {
	sqs    *sqs.Client
	s3     *s3.Client
	events *eventbridge.Client
}

func newClients(cfg aws.Config) clients {
	return clients{sqs: sqs.NewFromConfig(cfg), s3: awsenv.S3(cfg), events: eventbridge.NewFromConfig(cfg)}
}

// run is one redrive's state.
type run struct {
	o       Options
	period  schedule.PeriodPath
	bus     string
	client  clients
	sources []*source
	report  *Report
}

// source is a queue or the bucket, by the stack output naming it.
type source struct {
	output, ref string
	queue       bool
	seen        map[string]bool
	items       []*item
	stats       SourceStats
}

// item is one message or object and the events it carries.
type item struct {
	source   *source
	id       string // message id or object key
	handle   string // receipt handle of a message
	events   []event.Event
	problems []string
	// unaccepted counts the item's events PutEvents has not accepted yet.
	unaccepted int
	deleted    bool
}

func (it *item) keep(problem string) { it.problems = append(it.problems, problem) }

// collect receives every message not seen yet from each queue and reads
// every object not seen yet from the bucket.
func (run *run) collect(ctx context.Context) ([]*item, error) {
	var items []*item
	for _, s := range run.sources {
		if s.seen == nil {
			s.seen = map[string]bool{}
		}
		var fresh []*item
		var err error
		if s.queue {
			fresh, err = run.receive(ctx, s)
		} else {
			fresh, err = run.readObjects(ctx, s)
		}
		if err != nil {
			return nil, err
		}
		s.items = append(s.items, fresh...)
		s.stats.Found += len(fresh)
		items = append(items, fresh...)
	}
	return items, nil
}

func (run *run) receive(ctx context.Context, s *source) ([]*item, error) {
	var fresh []*item
	for {
		out, err := run.client.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(s.ref), MaxNumberOfMessages: 10, WaitTimeSeconds: run.o.WaitSeconds,
			VisibilityTimeout: int32(run.o.Visibility.Seconds()),
		})
		if err != nil {
			return nil, fmt.Errorf("receive from %s (%s): %s", s.output, s.ref, awsenv.Describe(err))
		}
		n := 0
		for _, m := range out.Messages {
			id := aws.ToString(m.MessageId)
			if s.seen[id] {
				continue
			}
			s.seen[id], n = true, n+1
			it := &item{source: s, id: id, handle: aws.ToString(m.ReceiptHandle)}
			it.events, it.problems = decode(s.output, []byte(aws.ToString(m.Body)))
			fresh = append(fresh, it)
		}
		if n == 0 {
			return fresh, nil
		}
	}
}

func (run *run) readObjects(ctx context.Context, s *source) ([]*item, error) {
	var fresh []*item
	pages := s3.NewListObjectsV2Paginator(run.client.s3, &s3.ListObjectsV2Input{Bucket: aws.String(s.ref)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s (%s): %s", s.output, s.ref, awsenv.Describe(err))
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			if s.seen[key] {
				continue
			}
			s.seen[key] = true
			body, err := run.getObject(ctx, s.ref, key)
			if err != nil {
				return nil, fmt.Errorf("read %s object %s: %s", s.output, key, awsenv.Describe(err))
			}
			it := &item{source: s, id: key}
			it.events, it.problems = decode(s.output, body)
			fresh = append(fresh, it)
		}
	}
	return fresh, nil
}

func (run *run) getObject(ctx context.Context, bucket, key string) ([]byte, error) {
	out, err := run.client.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// remove deletes a message or object whose every event PutEvents accepted.
func (run *run) remove(ctx context.Context, it *item) {
	s := it.source
	var err error
	if s.queue {
		_, err = run.client.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(s.ref), ReceiptHandle: aws.String(it.handle)})
	} else {
		_, err = run.client.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.ref), Key: aws.String(it.id)})
	}
	if err != nil {
		// Its events were put: the next run puts them again, to no effect.
		it.keep("delete failed after its events were put: " + awsenv.Describe(err))
		return
	}
	it.deleted = true
	s.stats.Deleted++
}

// release makes every message the run received and did not delete visible
// again, for inspection or the next run. Best effort: a message it cannot
// release reappears after the visibility timeout anyway.
func (run *run) release() {
	ctx := context.Background()
	for _, s := range run.sources {
		if !s.queue {
			continue
		}
		for _, it := range s.items {
			if it.deleted || it.handle == "" {
				continue
			}
			_, _ = run.client.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
				QueueUrl: aws.String(s.ref), ReceiptHandle: aws.String(it.handle), VisibilityTimeout: 0,
			})
			it.handle = ""
		}
	}
}

// remaining counts what each source still holds once the run released what
// it kept: kept items, a FIFO group a kept message blocks, new arrivals.
func (run *run) remaining(ctx context.Context) {
	run.release()
	for _, s := range run.sources {
		if s.queue {
			out, err := run.client.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
				QueueUrl: aws.String(s.ref),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
					sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
			})
			if err != nil {
				s.stats.Remaining = -1
				continue
			}
			visible, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
			hidden, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
			s.stats.Remaining = visible + hidden
			continue
		}
		n := 0
		pages := s3.NewListObjectsV2Paginator(run.client.s3, &s3.ListObjectsV2Input{Bucket: aws.String(s.ref)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				n = -1
				break
			}
			n += len(page.Contents)
		}
		s.stats.Remaining = n
	}
}
