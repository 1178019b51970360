// Package sqsfifo is a small in-process model of an SQS FIFO queue and of
// the Lambda event source mapping that polls it: the semantics the orderly
// consumer relies on, for local runs and tests. The emulators that run
// offline fall short: goaws speaks only SQS's XML protocol, and
// local-aws-sqs does not lock a message group while one of its messages is
// in flight. So this model is what the local pipeline drives the real
// bootstrap with, and what the consistency tests run the consumer against.
//
// What the queue models:
//
//   - Message groups: messages of a group are received in send order, and a
//     group is locked while any of its messages is in flight; other groups
//     are served meanwhile.
//   - Visibility timeout: a received message that is not deleted becomes
//     visible again, at its place at the head of its group, when the
//     timeout expires. ChangeVisibility (ChangeMessageVisibility) sets a
//     new timeout, from now, for a message still in flight, shorter or
//     longer than the queue's (up to 12 hours: the consumer's outage hold
//     is longer). Deleting or
//     changing with a receipt handle from an earlier receive fails.
//   - Deduplication: a message whose deduplication id (given, or the
//     SHA-256 of the body with content-based deduplication) was sent within
//     the deduplication window (5 minutes) is accepted and dropped. The
//     scope is the queue or the message group.
//   - Redrive: a message received maxReceiveCount times and still not
//     deleted moves to the dead-letter queue at the next receive attempt,
//     and its group moves on.
//   - Receives return at most 10 messages, as many as possible from one
//     group first, then from other unlocked groups, oldest group first.
//
// Records carry the system attributes the consumer reads: SentTimestamp
// and ApproximateReceiveCount (its isolation age and retry count) among
// them. When the queue skips idle time (SkipIdleTime), its clock runs ahead
// of the wall clock; the timestamps handed to the function are shifted back
// by the time skipped, so that the consumer's wall clock minus
// SentTimestamp is the age the message has on the queue's clock.
//
// What the event source mapping models: up to MaxConcurrency concurrent
// pollers, each receiving a batch of at most BatchSize (<= 10) messages and
// invoking the function synchronously; on success it deletes every message
// not listed in batchItemFailures; on a function error it deletes nothing,
// so the whole batch reappears after the visibility timeout. It sums how
// long the groups of reported failures stay locked (GroupWait), which is
// what a function's ChangeMessageVisibility calls can shorten.
//
// What it does not model: message retention, delay queues, long polling
// and Lambda's poller scaling (a fixed number of pollers, each waiting
// PollInterval after an empty receive), throttled invocations (pollers
// never exceed the function's concurrency, so a message is never returned
// to the queue for lack of concurrency), the per-group and per-queue
// throughput limits, message attributes beyond the system ones the
// consumer reads, and the 12-hour limit on a message's total invisibility.
package sqsfifo
