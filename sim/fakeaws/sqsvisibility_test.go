package fakeaws_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/orderly-dev/orderly/lambda/sdkhttp"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/sqsfifo"
)

const fifoURL = "https://sqs.eu-west-1.amazonaws.com/000000000000/orderly-local.fifo"

func sqsClient(t *testing.T, fake *fakeaws.Server) *sqs.Client {
	t.Helper()
	return sqs.NewFromConfig(aws.Config{
		HTTPClient:       sdkhttp.Client(),
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	}, func(o *sqs.Options) { o.BaseEndpoint = aws.String(fake.URL()) })
}

func entry(id, receipt string, seconds int32) types.ChangeMessageVisibilityBatchRequestEntry {
	return types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(id), ReceiptHandle: aws.String(receipt), VisibilityTimeout: seconds}
}

func TestChangeMessageVisibilityReachesTheAttachedModel(t *testing.T) {
	q, err := sqsfifo.NewQueue(sqsfifo.QueueConfig{Name: "orderly-local", VisibilityTimeout: time.Minute, ContentBasedDeduplication: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"a1", "a2", "a3"} {
		if _, err := q.Send("a", body, ""); err != nil {
			t.Fatal(err)
		}
	}
	got, err := q.Receive(10)
	if err != nil || len(got) != 3 {
		t.Fatalf("receive %v, %v", got, err)
	}
	fake := fakeaws.New()
	t.Cleanup(fake.Close)
	fake.Attach("orderly-local.fifo", q)
	c := sqsClient(t, fake)
	ctx := context.Background()

	out, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(fifoURL), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		entry("m0", got[0].ReceiptHandle, 3), entry("m1", "not-a-current-handle", 1), entry("m2", got[2].ReceiptHandle, 1),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "m1" ||
		aws.ToString(out.Failed[0].Code) != "ReceiptHandleIsInvalid" || !out.Failed[0].SenderFault {
		t.Fatalf("result %+v / %+v: want m0 and m2 changed, m1 refused as ReceiptHandleIsInvalid", out.Successful, out.Failed)
	}
	// a2 keeps its minute: the group stays locked for it.
	if locked := q.LockedFor("a"); locked <= 50*time.Second {
		t.Errorf("group locked for %s, want a2's remaining minute", locked)
	}
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(fifoURL), ReceiptHandle: aws.String(got[1].ReceiptHandle), VisibilityTimeout: 2}); err != nil {
		t.Fatal(err)
	}
	if locked := q.LockedFor("a"); locked > 3*time.Second {
		t.Errorf("group locked for %s after every message was changed, want at most 3 s", locked)
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(fifoURL), ReceiptHandle: aws.String("stale"), VisibilityTimeout: 2})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ReceiptHandleIsInvalid" {
		t.Errorf("stale handle: %v, want ReceiptHandleIsInvalid", err)
	}
	changes := fake.VisibilityChanges()
	if len(changes) != 5 || changes[0].VisibilityTimeout != 3 || changes[1].Err == "" || changes[3].ReceiptHandle != got[1].ReceiptHandle {
		t.Errorf("recorded %+v", changes)
	}
}

func TestChangeMessageVisibilityBatchRequestErrors(t *testing.T) {
	fake := fakeaws.New()
	t.Cleanup(fake.Close)
	fake.Attach("orderly-local.fifo", fakeaws.AcceptVisibility)
	c := sqsClient(t, fake)
	ctx := context.Background()
	var eleven []types.ChangeMessageVisibilityBatchRequestEntry
	for i := range 11 {
		eleven = append(eleven, entry("m"+strings.Repeat("x", i), "rh", 1))
	}
	tests := []struct {
		name    string
		entries []types.ChangeMessageVisibilityBatchRequestEntry
		code    string
	}{
		{"empty", []types.ChangeMessageVisibilityBatchRequestEntry{}, "EmptyBatchRequest"},
		{"eleven", eleven, "TooManyEntriesInBatchRequest"},
		{"duplicate ids", []types.ChangeMessageVisibilityBatchRequestEntry{entry("m", "a", 1), entry("m", "b", 1)}, "BatchEntryIdsNotDistinct"},
	}
	var apiErr smithy.APIError
	for _, tc := range tests {
		_, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(fifoURL), Entries: tc.entries})
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	// AcceptVisibility takes valid changes; out-of-range timeouts are
	// refused before they reach it.
	out, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(fifoURL), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		entry("ok", "rh-1", 5), entry("long", "rh-2", 43201),
	}})
	if err != nil || len(out.Successful) != 1 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "InvalidParameterValue" {
		t.Fatalf("AcceptVisibility: %+v, %v", out, err)
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String("https://sqs.eu-west-1.amazonaws.com/000000000000/nowhere"), ReceiptHandle: aws.String("rh"), VisibilityTimeout: 1})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "QueueDoesNotExist" {
		t.Errorf("a queue neither added nor attached: %v, want QueueDoesNotExist", err)
	}
	fake.FailNextSQS(1)
	if _, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(fifoURL), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{entry("m", "a", 1)}}); err == nil {
		t.Error("FailNext(1): the call succeeded")
	}
}
