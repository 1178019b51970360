package ordering

// The engine's per-record log line, one JSON line per record and attempt.
// They are named here, once, because tools outside the consumer read them
// back: the smoke check (infra/deploycheck/smoke) finds each canary event's
// outcome in the function's log group by these names.
const (
	// LogRecordProcessed is the message of the per-record line.
	LogRecordProcessed = "record processed"
	// LogPartition holds the record's partition (Kinesis partition key or
	// SQS MessageGroupId).
	LogPartition = "partition"
	// LogRecordID holds the Kinesis sequence number or SQS message id.
	LogRecordID = "recordId"
	// LogOutcome holds Outcome.String(): succeeded, failed, poisoned, isolated, skipped.
	LogOutcome = "outcome"
	// LogDurationMs holds how long the handler ran (absent for skipped records).
	LogDurationMs = "durationMs"
	// LogFailureScope holds FailureScope.String() of a record whose handler
	// failed transiently, as judged when it failed: "key" (its key alone
	// fails) or "wide" (no evidence that anything else succeeds).
	LogFailureScope = "failureScope"
	// LogError holds the error of a failed, poisoned or skipped record.
	LogError = "error"
)
