// Package kinesisesm emulates a Lambda event source mapping on a Kinesis
// stream, as the Lambda documentation describes it, so that the consumer can
// be driven locally from a real Kinesis API (kinesalite). It is a test
// harness, kept small: it models what decides ordering and delivery, not
// Lambda's scaling or performance.
//
// What it models:
//
//   - One poller per shard, reading from the trim horizon.
//   - ParallelizationFactor: records of a shard are spread over that many
//     lanes by a hash of the partition key; each lane runs one batch at a
//     time, so records of one key stay in order while lanes run
//     concurrently.
//   - BatchSize: a batch holds up to that many of the lane's records, in
//     shard order; there is no batching window (MaximumBatchingWindow 0).
//   - ReportBatchItemFailures: the lane checkpoints just before the lowest
//     reported sequence number and redelivers from there, so records after
//     it come back even if they had succeeded. An empty or unknown
//     itemIdentifier fails the whole batch.
//   - A failed invocation (function error, crash, timeout) fails the whole
//     batch. With BisectBatchOnFunctionError the batch is split in two and
//     the halves are retried one after the other; splitting does not use up
//     the retry quota. A partial failure is retried as the remaining records
//     only ("bisected at the returned sequence number").
//   - MaximumRetryAttempts: a batch that has been retried that many times
//     and fails again is discarded: its metadata goes to the on-failure
//     destination (OnFailure) and the lane moves on. The count restarts when
//     a batch succeeds. -1 retries forever.
//   - MaximumRecordAge: records older than that when a batch is formed are
//     discarded the same way, before the function sees them.
//
// Concurrency is bounded by the invoker: when there are more lanes than
// consumer instances (reserved concurrency, or the local cap), a lane waits
// for a free instance, as a throttled invocation would be retried without
// using the retry quota.
//
// What it does not model: the service's own errors before an invocation,
// enhanced fan-out, shard splits and merges, the 6 MB
// payload limit, tumbling windows, filtering, and Lambda's polling rates
// (an idle shard is polled every PollInterval, 50 ms by default, and a
// failed batch is retried after a short exponential backoff).
package kinesisesm
