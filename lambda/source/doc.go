// Package source turns an ordering engine into a Lambda handler for Kinesis
// and SQS FIFO event source mappings: it maps their events onto
// ordering.Records and the per-record outcomes onto partial batch responses
// that keep each partition's order through retries.
//
//	lambda.Start(source.NewHandler(engine, source.HandlerOptions{}).Invoke)
//
// Handler.Invoke takes the raw payload and tells the source from
// Records[0].eventSource (Detect), so one function serves a Kinesis mapping,
// an SQS mapping, or both. A record's partition is its Kinesis partition key
// or its SQS MessageGroupId (a message without a group, from a standard
// queue, is a partition of its own), and its Source is "kinesis" or "sqs".
//
// # The response
//
// The event source mapping must report batch item failures
// (FunctionResponseTypes: ReportBatchItemFailures). Without it Lambda
// ignores the response and counts the whole batch as done, failed records
// included.
//
// Invoke always answers with a batchItemFailures list, [] when every record
// succeeded or was poisoned:
//
//   - Kinesis: at most one entry, the sequence number of the earliest record
//     that failed or was skipped. Lambda checkpoints just before it and
//     redelivers the shard from there, so records of other partitions that
//     succeeded after it come back too: the record handler must be
//     idempotent. Listing later records would add nothing, and a later one
//     listed alone would checkpoint past the earlier failure and lose it.
//   - SQS FIFO: every message to retry, which is the failed message and every
//     later message of its group (the engine skipped them), like
//     Powertools' SqsFifoPartialProcessor with skipGroupOnError. Messages of
//     other groups are deleted. Acknowledging a later message of the failed
//     group would let it overtake the failed one. Lambda leaves the listed
//     messages in flight, and their groups locked, until the queue's
//     visibility timeout ends; HandlerOptions.OnSQSRetry sees them first,
//     which is where lambda/visibility shortens that wait.
//
// Invoke returns an error only when the payload is not a Kinesis or SQS
// event; Lambda then retries the whole batch. Per-record problems never fail
// the invocation: they are in batchItemFailures.
package source
