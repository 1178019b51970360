// Package visibility shortens the wait of an SQS FIFO message group after
// the consumer reports a failure. Lambda leaves the reported messages (the
// failed one and the rest of its group) in flight, and the group locked,
// until the queue's visibility timeout ends: a multiple of the function
// timeout (infra/relay/defaults.VisibilityTimeoutFactor), minutes for a
// failure that is usually gone in seconds. Before the response is returned,
// a Delayer sets the visibility timeout of each reported message with
// ChangeMessageVisibilityBatch to a backoff on its ApproximateReceiveCount
// (Backoff), so the group resumes within seconds and slows down only when
// the failure persists.
//
// It is an optimization, never a condition of correctness: when a call
// fails or some entries fail, those messages keep the queue's visibility
// timeout (their group is only slower), and the Delayer logs it and reports
// the count through Options.NotDelayed. A crash or a timeout returns no
// response, so nothing is delayed and the group waits for the queue's
// visibility timeout. Poisoned messages are never in the response, so they
// are never delayed. A group stays locked until the last of its reported
// messages is visible again, so its wait is the longest of their delays.
//
// The function's role needs sqs:ChangeMessageVisibility on the queue (the
// action behind both ChangeMessageVisibility and its batch form), which
// the SQS event source mapping's grant already includes.
package visibility
