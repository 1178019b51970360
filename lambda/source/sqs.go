package source

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

// MessageGroupIDAttribute is the SQS system attribute carrying the FIFO group.
const MessageGroupIDAttribute = "MessageGroupId"

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
		recs[i] = ordering.Record{Partition: group, ID: m.MessageId, Data: []byte(m.Body), Source: string(SQS)}
	}
	return recs
}

// SQSRetries returns, in batch order, every message that must be retried:
// the failed ones and every later message of their groups (the engine marks
// those Skipped). Returning a failed message while acknowledging a later
// one of the same group would let the later one overtake it.
//
// res must come from processing SQSRecords(ev).
func SQSRetries(ev events.SQSEvent, res ordering.Result) []events.SQSMessage {
	var retry []events.SQSMessage
	for i, o := range res.Outcomes {
		if o.Retry() {
			retry = append(retry, ev.Records[i])
		}
	}
	return retry
}

// SQSResponse lists the messages of SQSRetries(ev, res) by message id.
func SQSResponse(ev events.SQSEvent, res ordering.Result) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range SQSRetries(ev, res) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
	}
	return resp
}
