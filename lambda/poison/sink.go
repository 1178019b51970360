// Package poison implements the ordering engine's poison sink on an SQS
// standard queue: records that can never succeed are parked there with
// their original payload and the reason, for inspection and replay.
package poison

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

// SendMessageAPI is the part of *sqs.Client the sink uses.
type SendMessageAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Message attribute names set on every poison message, so that operators
// can filter without parsing bodies.
const (
	AttrSource     = "orderly.source"
	AttrPartition  = "orderly.partition"
	AttrRecordID   = "orderly.recordId"
	AttrPoisonedAt = "orderly.poisonedAt"
	// AttrKind and AttrPeriod are set on isolated messages.
	AttrKind   = "orderly.kind"
	AttrPeriod = "orderly.period"
)

// Sink sends poisoned records to an SQS standard queue.
type Sink struct {
	client   SendMessageAPI
	queueURL string
	now      func() time.Time
}

var _ ordering.PoisonSink = (*Sink)(nil)

// IsolatedSink sends isolated records (ordering.Isolation) to an SQS
// standard queue, in the poison message format with Kind KindIsolated, so
// that `make redrive` reads both queues alike.
type IsolatedSink struct{ sink *Sink }

var _ ordering.IsolationSink = IsolatedSink{}

// NewIsolated returns an IsolatedSink for queueURL. now defaults to
// time.Now.
func NewIsolated(client SendMessageAPI, queueURL string, now func() time.Time) (IsolatedSink, error) {
	s, err := New(client, queueURL, now)
	if err != nil {
		return IsolatedSink{}, fmt.Errorf("isolated sink: %w", err)
	}
	return IsolatedSink{sink: s}, nil
}

// Isolate sends rec whole, with the failing period, its arrival and the
// last error. It fails rather than drop any of the payload.
func (s IsolatedSink) Isolate(ctx context.Context, rec ordering.Record, reason *ordering.IsolatedError) error {
	m := Message{Kind: KindIsolated, Reason: reason.Error(), Period: reason.Key, LastError: reasonText(reason.Last)}
	if !rec.Arrived.IsZero() {
		arrived := rec.Arrived.UTC()
		m.ArrivedAt = &arrived
	}
	return s.sink.send(ctx, rec, m, map[string]string{AttrKind: KindIsolated, AttrPeriod: reason.Key})
}

// New returns a Sink for queueURL. now defaults to time.Now.
func New(client SendMessageAPI, queueURL string, now func() time.Time) (*Sink, error) {
	if client == nil {
		return nil, errors.New("poison: SQS client is required")
	}
	if queueURL == "" {
		return nil, errors.New("poison: queue URL is required")
	}
	if now == nil {
		now = time.Now
	}
	return &Sink{client: client, queueURL: queueURL, now: now}, nil
}

// Poison sends rec with reason. The queue is a standard queue (no message
// group): poisoned records are out of the ordered flow by definition.
func (s *Sink) Poison(ctx context.Context, rec ordering.Record, reason error) error {
	return s.send(ctx, rec, Message{Reason: reasonText(reason)}, nil)
}

// send fills m with rec's identity and the time, and sends it with the
// common attributes plus extra.
func (s *Sink) send(ctx context.Context, rec ordering.Record, m Message, extra map[string]string) error {
	at := s.now().UTC()
	m.Source, m.Partition, m.RecordID, m.PoisonedAt = rec.Source, rec.Partition, rec.ID, at
	queue := "poison"
	if m.Kind != "" {
		queue = m.Kind
	}
	body, err := Body(m, rec.Data)
	if err != nil {
		return fmt.Errorf("%s record %s: %w", queue, rec.ID, err)
	}
	values := map[string]string{
		AttrSource:     rec.Source,
		AttrPartition:  rec.Partition,
		AttrRecordID:   rec.ID,
		AttrPoisonedAt: at.Format(time.RFC3339Nano),
	}
	for name, value := range extra {
		values[name] = value
	}
	attrs := map[string]types.MessageAttributeValue{}
	for name, value := range values {
		// SQS rejects empty attribute values, and attribute values must be
		// valid SQS characters like the body.
		if value != "" && validSQSText(value) {
			attrs[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(value)}
		}
	}
	_, err = s.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(s.queueURL),
		MessageBody:       aws.String(body),
		MessageAttributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("send record %s to %s queue: %w", rec.ID, queue, err)
	}
	return nil
}

func reasonText(err error) string {
	if err == nil {
		return "unknown"
	}
	return err.Error()
}
