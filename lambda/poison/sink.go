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
)

// Sink sends poisoned records to an SQS standard queue.
type Sink struct {
	client   SendMessageAPI
	queueURL string
	now      func() time.Time
}

var _ ordering.PoisonSink = (*Sink)(nil)

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
	at := s.now().UTC()
	body, err := Body(Message{
		Reason:     reasonText(reason),
		Source:     rec.Source,
		Partition:  rec.Partition,
		RecordID:   rec.ID,
		PoisonedAt: at,
	}, rec.Data)
	if err != nil {
		return fmt.Errorf("poison record %s: %w", rec.ID, err)
	}
	attrs := map[string]types.MessageAttributeValue{}
	for name, value := range map[string]string{
		AttrSource:     rec.Source,
		AttrPartition:  rec.Partition,
		AttrRecordID:   rec.ID,
		AttrPoisonedAt: at.Format(time.RFC3339Nano),
	} {
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
		return fmt.Errorf("send record %s to poison queue: %w", rec.ID, err)
	}
	return nil
}

func reasonText(err error) string {
	if err == nil {
		return "unknown"
	}
	return err.Error()
}
