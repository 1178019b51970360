// Package config is orderly's one typed configuration. It is resolved once,
// from CDK context, and validated all-or-nothing before any construct exists,
// so a bad value can never produce a partial cloud assembly.
//
// Every key, its default and its allowed values live in the registry in
// keys.go; the key table in docs/configuration.md is generated from it.
package config

import (
	"time"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
	"github.com/orderly-dev/orderly/lambda/visibility"
)

// Config is everything the stacks need for one environment.
type Config struct {
	// Env is the selected environment (context key "env"; default "dev").
	Env string
	// Account and Region pin the stacks to an AWS environment. When both are
	// empty the stacks are environment-agnostic.
	Account, Region string
	// NamePrefix prefixes stack and bus names so environments can share an account.
	NamePrefix string
	// RemovalPolicy decides what happens to stateful resources on stack deletion.
	RemovalPolicy RemovalPolicy
	// TerminationProtection guards the stacks against deletion.
	TerminationProtection bool
	// PeriodPath is where events carry the schedule period: the one
	// ordering key (Kinesis partition key, FIFO group) and the path the
	// consumer reads the period through. Parsed once, when the key is read.
	PeriodPath schedule.PeriodPath

	Bus      Bus
	Rule     Rule
	Target   Target
	Function Function
	API      API
	Kinesis  Kinesis
	Fifo     Fifo
	// Isolation takes a failing period's records out of line (both
	// stacks).
	Isolation Isolation
	Alarms    Alarms
	// Encryption selects the customer managed key, if any, of everything
	// that stores events.
	Encryption Encryption
}

// RemovalPolicy is "retain" or "destroy".
type RemovalPolicy string

// Removal policies.
const (
	Retain  RemovalPolicy = "retain"
	Destroy RemovalPolicy = "destroy"
)

// Bus selects the event bus: a new one named Name, or an existing one.
type Bus struct {
	// Name of the bus to create (default "<namePrefix>-<env>").
	Name string
	// Existing is the name or ARN of a bus to import instead of creating one.
	Existing string
	// ArchiveRetentionDays is how long the archive of a created bus keeps
	// orderly's events for replay; 0 means no archive.
	ArchiveRetentionDays int
	// LogLevel is what a created bus logs to CloudWatch Logs.
	LogLevel BusLogLevel
}

// BusLogLevel is "off", "error" or "info".
type BusLogLevel string

// Bus log levels.
const (
	BusLogOff   BusLogLevel = "off"
	BusLogError BusLogLevel = "error"
	BusLogInfo  BusLogLevel = "info"
)

// Rule is the event pattern that selects orderly's events.
type Rule struct {
	Sources     []string
	DetailTypes []string
}

// Target is how EventBridge retries delivery to the stream or queue before
// it gives up and sends the event to the target dead-letter queue.
type Target struct {
	RetryAttempts      int
	MaxEventAgeSeconds int
}

// Function configures the consumer Lambda shared by both stacks.
type Function struct {
	MemoryMiB int
	// TimeoutSeconds also sets the FIFO visibility timeout
	// (Config.VisibilityTimeout).
	TimeoutSeconds int
	// ReservedConcurrency of 0 leaves the function unreserved.
	ReservedConcurrency int
	LogRetentionDays    int
	// APIBaseURL is the third-party schedule API.
	APIBaseURL string
	// APIKeySecret is the name or ARN of an existing Secrets Manager secret.
	APIKeySecret string
	// APIKeySecretKMSKey is the ARN of the customer managed key that
	// encrypts APIKeySecret; empty when the secret uses aws/secretsmanager.
	APIKeySecretKMSKey string
	// MaxConcurrentPartitions bounds the partitions one invocation runs at once.
	MaxConcurrentPartitions int
	// Coalesce lets the consumer apply a period's consecutive records with
	// one fetch and one push.
	Coalesce bool
	// EventSourceMetrics turns on the event source mapping's EventCount
	// metrics.
	EventSourceMetrics bool
}

// API bounds the consumer's calls to the third-party schedule API.
type API struct {
	CallTimeoutSeconds int
	MaxAttempts        int
	// RetryBudgetSeconds is derived from the call timeout when unset
	// (scheduleapi.Limits.WithDefaults).
	RetryBudgetSeconds int
	// MaxRequestsPerSecond caps the whole fleet's requests to the API; 0 is
	// no cap. Each stack splits it over its concurrent executions
	// (Config.APILimits).
	MaxRequestsPerSecond int
}

// Limits are the consumer's call limits.
func (a API) Limits() scheduleapi.Limits {
	return scheduleapi.Limits{
		CallTimeout: time.Duration(a.CallTimeoutSeconds) * time.Second,
		MaxAttempts: a.MaxAttempts,
		RetryBudget: time.Duration(a.RetryBudgetSeconds) * time.Second,
	}
}

// StreamMode is the Kinesis capacity mode.
type StreamMode string

// Stream modes.
const (
	Provisioned StreamMode = "provisioned"
	OnDemand    StreamMode = "on-demand"
)

// StartingPosition is where a new event source mapping starts reading.
type StartingPosition string

// Starting positions.
const (
	TrimHorizon StartingPosition = "TRIM_HORIZON"
	Latest      StartingPosition = "LATEST"
)

// Kinesis configures the stream and its event source mapping.
type Kinesis struct {
	StreamMode            StreamMode
	ShardCount            int
	RetentionHours        int
	BatchSize             int
	MaxBatchingWindowSecs int
	ParallelizationFactor int
	StartingPosition      StartingPosition
	RetryAttempts         int
	MaxRecordAgeSeconds   int
	BisectBatchOnError    bool
	// OnFailureExpirationDays is how long the on-failure bucket keeps the
	// invocation records of discarded batches.
	OnFailureExpirationDays int
}

// Fifo configures the SQS FIFO alternative.
type Fifo struct {
	// Groups is how events map to message groups.
	Groups          Grouping
	BatchSize       int
	MaxConcurrency  int
	MaxReceiveCount int
	RetentionHours  int
	// RetryBackoffBaseSeconds and RetryBackoffMaxSeconds are the consumer's
	// backoff before a message it reported for retry is visible again
	// (lambda/visibility); Max 0 leaves the visibility timeout in place.
	RetryBackoffBaseSeconds int
	RetryBackoffMaxSeconds  int
	// OutageToleranceSeconds is the vendor-wide outage that dead-letters
	// nothing: the consumer's outage hold (OutageHold) makes
	// MaxReceiveCount − 1 held receives last at least this long (the
	// first failure of an outage can still get the retry backoff).
	OutageToleranceSeconds int
}

// OutageHold is the visibility timeout the consumer sets after a failure
// that looks vendor-wide.
func (f Fifo) OutageHold() visibility.Hold {
	return visibility.HoldFor(time.Duration(f.OutageToleranceSeconds)*time.Second, f.MaxReceiveCount)
}

// Isolation configures taking a record out of line when its period fails
// while other periods succeed.
type Isolation struct {
	// AfterSeconds is the record age (from its arrival in the stream or
	// queue) from which it is isolated; 0 turns isolation off.
	AfterSeconds int
}

// RetryBackoff is the consumer's retry backoff.
func (f Fifo) RetryBackoff() visibility.Backoff {
	return visibility.Backoff{
		Base: time.Duration(f.RetryBackoffBaseSeconds) * time.Second,
		Max:  time.Duration(f.RetryBackoffMaxSeconds) * time.Second,
	}
}

// Grouping is either PerKey, or Count static message groups.
type Grouping struct {
	// PerKey takes the group id from the period through an EventBridge Pipe.
	PerKey bool
	// Count of static groups when PerKey is false.
	Count int
}

// String renders the grouping as it is written in context.
func (g Grouping) String() string {
	if g.PerKey {
		return PerKeyGroups
	}
	return itoa(g.Count)
}

// PerKeyGroups is the fifo.messageGroups value that selects dynamic groups.
const PerKeyGroups = "per-key"

// Alarms configures the CloudWatch alarms.
type Alarms struct {
	// TopicArn of an SNS topic that receives alarm and OK actions; empty for none.
	TopicArn                string
	IteratorAgeSeconds      int
	OldestMessageAgeSeconds int
}

// CreateKMSKey is the encryption.kmsKey value that makes each stack create
// its own key.
const CreateKMSKey = "create"

// Encryption is the key of the bus, its archive, the stream, every queue,
// the on-failure bucket and the log groups.
type Encryption struct {
	// KMSKey is empty (AWS owned and managed keys), CreateKMSKey, or the
	// ARN of an existing key.
	KMSKey string
}

// Enabled reports whether a customer managed key encrypts the stores.
func (e Encryption) Enabled() bool { return e.KMSKey != "" }

// CreatesKey reports whether each stack creates its key.
func (e Encryption) CreatesKey() bool { return e.KMSKey == CreateKMSKey }

// ImportedKeyARN is the ARN of the existing key, or "" when there is none
// or the stacks create theirs.
func (e Encryption) ImportedKeyARN() string {
	if e.CreatesKey() {
		return ""
	}
	return e.KMSKey
}

// StackName is the CloudFormation stack name of a stack kind ("kinesis",
// "fifo") in this environment, so environments can share one account.
func (c Config) StackName(kind string) string {
	return c.NamePrefix + "-" + c.Env + "-" + kind
}

// EnvMetadataKey is the template metadata key under which each stack records
// the environment it was synthesized from; the assembly reader reads it back.
const EnvMetadataKey = "orderly:env"

// VisibilityTimeout is the FIFO queue visibility timeout the relay sets
// (defaults.VisibilityTimeout).
func (c Config) VisibilityTimeout() time.Duration {
	return defaults.VisibilityTimeout(time.Duration(c.Function.TimeoutSeconds) * time.Second)
}

// VisibilityTimeoutSeconds is VisibilityTimeout in the whole seconds the
// keys are written in.
func (c Config) VisibilityTimeoutSeconds() int {
	return int(c.VisibilityTimeout() / time.Second)
}
