package source

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

// KinesisRecords maps a Kinesis batch onto engine records, keeping batch
// order (which is shard order) and using the partition key as partition.
func KinesisRecords(ev events.KinesisEvent) []ordering.Record {
	recs := make([]ordering.Record, len(ev.Records))
	for i, r := range ev.Records {
		recs[i] = ordering.Record{
			Partition: r.Kinesis.PartitionKey,
			ID:        r.Kinesis.SequenceNumber,
			Data:      r.Kinesis.Data,
			Source:    string(Kinesis),
			Arrived:   r.Kinesis.ApproximateArrivalTimestamp.Time,
		}
	}
	return recs
}

// KinesisResponse reports at most one failure: the earliest record (in
// batch order) that must be retried. Lambda checkpoints just before it and
// redelivers everything from there on, so listing later records would add
// nothing, and listing a later one first would lose the earlier.
//
// res must come from processing KinesisRecords(ev).
func KinesisResponse(ev events.KinesisEvent, res ordering.Result) events.KinesisEventResponse {
	resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
	for i, o := range res.Outcomes {
		if o.Retry() {
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.KinesisBatchItemFailure{ItemIdentifier: ev.Records[i].Kinesis.SequenceNumber})
			break
		}
	}
	return resp
}
