// Package envvar names the consumer's environment variables, with the
// defaults and bounds of those whose value the stacks also state. It is the
// one definition that the consumer (which reads them), the CDK constructs
// (which set them) and the local simulator (which sets them for the emulated
// function) all import, so the three cannot drift apart.
package envvar

const (
	// APIBaseURL is the base URL of the third-party schedule API.
	APIBaseURL = "SCHEDULE_API_BASE_URL"
	// APIKeySecretARN names the Secrets Manager secret holding the API key
	// (a name, partial ARN or complete ARN).
	APIKeySecretARN = "SCHEDULE_API_KEY_SECRET_ARN"
	// APIKey holds the key itself; it takes precedence over the secret and
	// is meant for local runs only.
	APIKey = "SCHEDULE_API_KEY"
	// PoisonQueueURL is the standard SQS queue that receives events the
	// consumer can never apply.
	PoisonQueueURL = "POISON_QUEUE_URL"
	// PeriodPath is the JSON path of the schedule period in an event: the
	// path the stacks key delivery on, so the consumer serializes exactly
	// what the stream or queue partitions.
	PeriodPath = "ORDERLY_PERIOD_PATH"
	// MaxConcurrentPartitions bounds the partitions one invocation processes
	// at once.
	MaxConcurrentPartitions = "ORDERLY_MAX_CONCURRENT_PARTITIONS"
	// Coalesce ("true" or "false"; default DefaultCoalesce) lets the
	// consumer apply consecutive records of one period in a batch with one
	// fetch and at most one push; "false" processes one record at a time
	// (for comparisons). Outcomes are the same either way.
	Coalesce = "ORDERLY_COALESCE"
	// MaxChunkRecords bounds the records applied with one fetch and one
	// push (default ordering.DefaultMaxChunk).
	MaxChunkRecords = "ORDERLY_MAX_CHUNK_RECORDS"
	// DeadlineMarginMs is how long before the invocation deadline the
	// consumer stops starting records, in milliseconds. Unset, it is
	// derived from the API call limits below; set, it must not be smaller.
	DeadlineMarginMs = "ORDERLY_DEADLINE_MARGIN_MS"
	// APICallTimeoutMs bounds one attempt of a third-party API call.
	APICallTimeoutMs = "ORDERLY_API_CALL_TIMEOUT_MS"
	// APIMaxAttempts bounds the attempts of one API call.
	APIMaxAttempts = "ORDERLY_API_MAX_ATTEMPTS"
	// APIRetryBudgetMs bounds one API call including its retries.
	APIRetryBudgetMs = "ORDERLY_API_RETRY_BUDGET_MS"
	// APIRequestsPerSecond caps the requests of one execution environment
	// (scheduleapi.Limits.RequestsPerSecond): the stacks' share of
	// api.maxRequestsPerSecond. Unset means no cap.
	APIRequestsPerSecond = "ORDERLY_API_REQUESTS_PER_SECOND"
	// RetryBackoffBaseSeconds and RetryBackoffMaxSeconds are the backoff
	// (lambda/visibility) after which an SQS message reported for retry is
	// visible again: base × 2^(receives−1), capped at max, in whole
	// seconds. Max unset or 0 leaves the queue's visibility timeout in
	// place; base unset is visibility.DefaultBackoff's. Only FifoStack sets
	// them, with max below the queue's visibility timeout.
	RetryBackoffBaseSeconds = "ORDERLY_RETRY_BACKOFF_BASE_SECONDS"
	RetryBackoffMaxSeconds  = "ORDERLY_RETRY_BACKOFF_MAX_SECONDS"
	// IsolateAfterSeconds (0 or unset: off) is the age, from the record's
	// arrival in the stream or queue, after which a record whose period
	// fails while other periods succeed is taken out of line: sent whole
	// to IsolatedQueueURL instead of blocking its shard or message group.
	IsolateAfterSeconds = "ORDERLY_ISOLATE_AFTER_SECONDS"
	// IsolatedQueueURL is the standard SQS queue that keeps isolated
	// records for `make redrive`; required when isolation is on.
	IsolatedQueueURL = "ISOLATED_QUEUE_URL"
	// OutageHoldSeconds is how long an SQS message stays invisible after a
	// failure that no other period's success contradicts (the vendor looks
	// down): long, so that fifo.maxReceiveCount receives cover
	// fifo.outageToleranceSeconds. Unset or 0 leaves the queue's
	// visibility timeout in place. Only FifoStack sets it.
	OutageHoldSeconds = "ORDERLY_OUTAGE_HOLD_SECONDS"
	// LogLevel is Lambda's own log-level variable, honoured by the consumer.
	LogLevel = "AWS_LAMBDA_LOG_LEVEL"
	// FunctionName is set by Lambda; the consumer publishes its metrics
	// under it so that each stack alarms on its own consumer.
	FunctionName = "AWS_LAMBDA_FUNCTION_NAME"
	// SQSEndpoint redirects the AWS SDK's SQS client (local runs).
	SQSEndpoint = "AWS_ENDPOINT_URL_SQS"
)

// MaxConcurrentPartitionsLimit is the largest MaxConcurrentPartitions the
// consumer accepts, and so the largest function.maxConcurrentPartitions:
// it keeps a typo from spawning an absurd number of concurrent HTTP calls
// against the third-party API.
const MaxConcurrentPartitionsLimit = 1000

// DefaultCoalesce is Coalesce when the variable is unset. It is also the
// default of the stacks' function.coalesce (infra/relay/defaults.Coalesce):
// coalescing saves API calls and changes no outcome.
const DefaultCoalesce = true
