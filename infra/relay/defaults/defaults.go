// Package defaults owns the default of every relay setting. The relay
// constructs fill a zero Props field from here, and the config key registry
// (infra/config, which feeds cdk.json users and the key table in
// docs/configuration.md) takes its defaults from here too, so the two cannot
// drift apart.
//
// It imports nothing from CDK, so the config and the simulator that reads it
// stay free of the CDK runtime. Durations are whole seconds or hours, as the
// config keys spell them.
package defaults

import (
	"time"

	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
)

// The bus, the rule and EventBridge's delivery to the stream or queue.
const (
	// PeriodPath is where events carry the schedule period, the one
	// ordering key: the Kinesis partition key, the FIFO group (static
	// groups route on its value, per-key mode uses it as the group id), and
	// what the consumer serializes its read-modify-writes on. The consumer
	// owns the default.
	PeriodPath = schedule.DefaultPeriodPath
	// TargetRetryAttempts is EventBridge's own maximum.
	TargetRetryAttempts = 185
	// TargetMaxEventAgeSeconds is EventBridge's own maximum, 24 hours.
	TargetMaxEventAgeSeconds = 86400
	// ArchiveRetentionDays keeps a created bus's events as long as the
	// dead-letter and poison queues keep theirs (DeadLetterRetentionDays):
	// whatever can still be redriven can also be replayed. 0 means no archive.
	ArchiveRetentionDays = DeadLetterRetentionDays
)

// BusLogLevel leaves a created bus's logging off: at "info" a bus writes
// several records per event to CloudWatch Logs, billed per GB (the cost
// planner estimates it). The name is the config key's value; the relay
// maps it (relay.BusLogLevels).
const BusLogLevel = "off"

// RemovalPolicy keeps the bus, the stream, the queues, the on-failure
// bucket and the log groups when their stack is deleted: they may hold
// events not yet applied, or the record of those that failed. The name is
// the config key's value; relay.RemovalPolicyOf maps it to CDK's.
const RemovalPolicy = "retain"

// KMSKey is no customer managed key: every store keeps AWS's own
// encryption (SSE-SQS queues, an SSE-S3 bucket, the AWS-managed Kinesis
// key, AWS-owned keys for the bus, its archive and the log groups), which
// needs no key policy and costs nothing. The config key encryption.kmsKey
// names a key to create or import instead.
const KMSKey = ""

// DeadLetterRetentionDays is the retention of every dead-letter and poison
// queue: 14 days, SQS's maximum, so failed events stay long enough to be
// inspected and redriven.
const DeadLetterRetentionDays = 14

// Sources is the event pattern's source list.
func Sources() []string { return []string{"com.example.scheduling"} }

// DetailTypes is the event pattern's detail-type list: the two the
// consumer applies.
func DetailTypes() []string {
	return []string{schedule.DetailTypeUpserted, schedule.DetailTypeDeleted}
}

// The consumer function.
const (
	FunctionMemoryMiB      = 256
	FunctionTimeoutSeconds = 60
	LogRetentionDays       = 30
	// MaxConcurrentPartitions is the consumer's own default, stated in the
	// template so the deployed value is visible.
	MaxConcurrentPartitions = ordering.DefaultMaxConcurrentPartitions
	// Coalesce lets the consumer apply a period's consecutive records in a
	// batch with one fetch and at most one push. The consumer owns the
	// default; the template states it.
	Coalesce = envvar.DefaultCoalesce
)

// The consumer's calls to the third-party API: its own defaults, stated in
// the template. The retry budget defaults to
// scheduleapi.DefaultRetryBudgetFactor call timeouts.
const (
	APICallTimeoutSeconds = int(scheduleapi.DefaultCallTimeout / time.Second)
	APIMaxAttempts        = scheduleapi.DefaultMaxAttempts
	// APIMaxRequestsPerSecond of 0 leaves the rate uncapped: the vendor's
	// limit is the integrator's to state.
	APIMaxRequestsPerSecond = 0
)

// The Kinesis stream and its event source mapping. StreamMode and
// StartingPosition are named as the config keys' values
// (relay.StreamModeOf and StartingPositionOf map them to CDK's).
const (
	// StreamMode is a provisioned stream of ShardCount shards.
	StreamMode = "provisioned"
	// StartingPosition reads a new stream from its oldest record, so a new
	// event source mapping skips none already in it.
	StartingPosition         = "TRIM_HORIZON"
	ShardCount               = 1
	StreamRetentionHours     = 24
	KinesisBatchSize         = 100
	MaxBatchingWindowSeconds = 0
	ParallelizationFactor    = 1
	// KinesisRetryAttempts of -1 retries a failing batch until its record
	// is MaxRecordAgeSeconds old, Lambda's "infinite": an outage is held for
	// the record age, a time the config can check, rather than for
	// however long 10000 invocations take against an API that fails fast
	// (about 20 minutes). A broken period leaves the line by isolation.
	KinesisRetryAttempts = -1
	MaxRecordAgeSeconds  = 86400
	BisectBatchOnError   = true
	// OnFailureExpirationDays keeps the full invocation records of discarded
	// batches as long as the dead-letter queues keep theirs, for redrive.
	OnFailureExpirationDays = DeadLetterRetentionDays
)

// VisibilityTimeoutFactor sets a FIFO queue's visibility timeout to this
// many function timeouts, as AWS advises for queues a function consumes, so
// that a message is not redelivered while the invocation that received it
// may still be running.
const VisibilityTimeoutFactor = 6

// VisibilityTimeout is the visibility timeout of a FIFO queue read by a
// consumer with this timeout: VisibilityTimeoutFactor of them. The relay
// sets it; the config checks the retry backoff and the retention against it.
func VisibilityTimeout(functionTimeout time.Duration) time.Duration {
	return VisibilityTimeoutFactor * functionTimeout
}

// The SQS FIFO queue and its event source mapping.
const (
	// MessageGroups of 1 is one static group: a strict total order.
	MessageGroups = 1
	FifoBatchSize = 10
	// MaxReceiveCount of 10 lets the retry backoff age a failing message
	// past IsolateAfterSeconds before it could be dead-lettered (the
	// config checks that relation), and gives an outage hold of
	// OutageToleranceSeconds / (10 − 1) = 200 s per receive (one receive
	// is not counted: the failure that meets the start of an outage can
	// still get the retry backoff).
	MaxReceiveCount    = 10
	FifoRetentionHours = 96
)

// Blast radius (docs/isolation.md).
const (
	// IsolateAfterSeconds: a record whose period fails while others
	// succeed is taken out of line once it is 3 minutes old. Long enough
	// for a period's brief hiccup (a lock, a slow push) to clear with a few
	// retries, short enough that the periods sharing its shard or group
	// wait minutes, not the stream's 24 h record age.
	IsolateAfterSeconds = 180
	// OutageToleranceSeconds: a vendor-wide outage this long dead-letters
	// and isolates nothing; the stream or queue holds everything and
	// drains in order when the vendor recovers. 30 minutes is what the
	// queue's visibility timeout gave before the retry backoff.
	OutageToleranceSeconds = 1800
)

// EventSourceMetrics turns on the event source mappings' EventCount
// metrics (MetricsConfig): polled, invoked, filtered, failed and dropped
// events per minute, which the dashboards chart. CloudWatch bills them as
// custom metrics (the cost planner counts them).
const EventSourceMetrics = true

// The alarms.
const (
	IteratorAgeSeconds      = 300
	OldestMessageAgeSeconds = 300
)
