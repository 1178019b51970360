package smoke

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck"
	"github.com/orderly-dev/orderly/infra/onfailure"
	"github.com/orderly-dev/orderly/infra/outputs"
)

// WatchedQueues are the outputs naming the queues that must receive nothing
// from the canary: the poison queue and every dead-letter queue. The
// Kinesis on-failure bucket is watched too (checkBucket).
func WatchedQueues(c config.Config, kind string) []string {
	return deploycheck.FailureQueues(c, kind)
}

// RequiredOutputs are every output the smoke check reads.
func RequiredOutputs(c config.Config, kind string) []string {
	out := append([]string{outputs.EventBusName, outputs.LogGroupName}, WatchedQueues(c, kind)...)
	if bucket := deploycheck.FailureBucket(kind); bucket != "" {
		out = append(out, bucket)
	}
	return out
}

// maxPeeks bounds how many receives look into one queue. A queue holding
// more than maxPeeks*10 older messages is reported as not fully inspected.
const maxPeeks = 10

// peekQueue looks at a queue's visible messages without consuming them and
// returns how many it holds and how many of those are the canary's. A
// receive hides what it returns for the queue's visibility timeout (the SDK
// leaves a VisibilityTimeout of 0 out of ReceiveMessage), so every message
// seen is made visible again at once afterwards; its receive count goes up,
// which matters to nothing here since these queues have no redrive of
// their own.
func peekQueue(ctx context.Context, client *sqs.Client, url string, waitSeconds int32, isCanary func(string) bool) (held, canary int, complete bool, err error) {
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		return 0, 0, false, err
	}
	held, _ = strconv.Atoi(attrs.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	if held == 0 {
		return 0, 0, true, nil
	}
	seen := map[string]bool{}
	var handles []string
	defer func() {
		for _, h := range handles {
			// Best effort: a message not released reappears after the
			// queue's visibility timeout anyway; nothing is lost.
			_, _ = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
				QueueUrl: aws.String(url), ReceiptHandle: aws.String(h), VisibilityTimeout: 0,
			})
		}
	}()
	for range maxPeeks {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds,
		})
		if err != nil {
			return held, canary, false, err
		}
		fresh := 0
		for _, m := range out.Messages {
			handles = append(handles, aws.ToString(m.ReceiptHandle))
			id := aws.ToString(m.MessageId)
			if seen[id] {
				continue
			}
			seen[id], fresh = true, fresh+1
			if isCanary(aws.ToString(m.Body)) {
				canary++
			}
		}
		if fresh == 0 || len(seen) >= held {
			break
		}
	}
	return held, canary, len(seen) >= held, nil
}

// canaryMatcher recognizes a canary message: every event body (poison
// payload, target dead letter, FIFO dead letter, a record of an on-failure
// object) carries the run id in its entity id; an on-failure object also
// names its batch's sequence number range, matched against the canary
// records' sequence numbers in case its payload cannot be read.
func canaryMatcher(run string, recordIDs []string) func(string) bool {
	return func(body string) bool {
		if strings.Contains(body, CanaryEntityPrefix+run) {
			return true
		}
		object, err := onfailure.Decode([]byte(body))
		if err != nil {
			return false
		}
		if records, err := object.Records(); err == nil {
			for _, rec := range records {
				if strings.Contains(string(rec.Kinesis.Data), CanaryEntityPrefix+run) {
					return true
				}
			}
		}
		for _, seq := range recordIDs {
			if object.KinesisBatchInfo.Covers(seq) {
				return true
			}
		}
		return false
	}
}

func describeQueue(name string, held, canary int, complete bool) string {
	switch {
	case canary > 0:
		return fmt.Sprintf("%s holds %d canary message(s)", name, canary)
	case held == 0:
		return ""
	case !complete:
		return fmt.Sprintf("%s holds %d older message(s); %d peeked, none from this canary", name, held, maxPeeks*10)
	default:
		return ""
	}
}
