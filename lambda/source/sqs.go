package source

import (
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

// MessageGroupIDAttribute is the SQS system attribute carrying the FIFO group.
const MessageGroupIDAttribute = "MessageGroupId"

// SentTimestampAttribute is the SQS system attribute holding when the
// message was sent, in milliseconds since the epoch: the record's arrival.
const SentTimestampAttribute = "SentTimestamp"

// SQSRetry is a message to retry and the scope of the failure that holds
// it back (ordering.Result.Scopes).
type SQSRetry struct {
	Message events.SQSMessage
	Scope   ordering.FailureScope
}

// SQSRecords maps an SQS batch onto engine records, using the FIFO message
// group as partition. A message without a group (a standard queue) becomes
// its own partition: standard queues promise no order to preserve, and one
// shared partition would needlessly serialize the batch.
func SQSRecords(ev events.SQSEvent) []ordering.Record {
	recs := make([]ordering.Record, len(ev.Records))
	for i, m := range ev.Records {
		group, ok := m.Attributes[MessageGroupIDAttribute]
		if !ok {
			group = "message:" + m.MessageId
		}
		recs[i] = ordering.Record{Partition: group, ID: m.MessageId, Data: []byte(m.Body), Source: string(SQS), Arrived: sentAt(m)}
	}
	return recs
}

// sentAt reads SentTimestamp; zero (unknown, never isolated) when it is
// missing or malformed.
func sentAt(m events.SQSMessage) time.Time {
	ms, err := strconv.ParseInt(m.Attributes[SentTimestampAttribute], 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// SQSRetries returns, in batch order, every message that must be retried:
// the failed ones and every later message of their groups (the engine marks
// those Skipped). Returning a failed message while acknowledging a later
// one of the same group would let the later one overtake it.
//
// res must come from processing SQSRecords(ev).
func SQSRetries(ev events.SQSEvent, res ordering.Result) []SQSRetry {
	var retry []SQSRetry
	for i, o := range res.Outcomes {
		if o.Retry() {
			r := SQSRetry{Message: ev.Records[i]}
			if i < len(res.Scopes) {
				r.Scope = res.Scopes[i]
			}
			retry = append(retry, r)
		}
	}
	return retry
}

// SQSResponse lists the messages of SQSRetries(ev, res) by message id.
func SQSResponse(ev events.SQSEvent, res ordering.Result) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, r := range SQSRetries(ev, res) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.Message.MessageId})
	}
	return resp
}
