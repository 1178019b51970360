// Package outputs names the CloudFormation outputs of KinesisStack and
// FifoStack. The stacks declare them and the deploy tools (preflight, smoke)
// read them back from the deployed stack, so both import these names. It
// imports nothing from the CDK, so the tools build without it.
package outputs

// Output keys. Each stack declares the ones its comment names.
const (
	// EventBusName is the bus the rules listen on (both stacks).
	EventBusName = "EventBusName"
	// EventBusArn is that bus's ARN: a replay's destination (both stacks).
	EventBusArn = "EventBusArn"
	// ArchiveArn is the bus archive a replay starts from (both stacks, only
	// when they create the bus and bus.archiveRetentionDays is not 0).
	ArchiveArn = "ArchiveArn"
	// BusLogGroupName receives the created bus's logs (both stacks, only
	// when bus.logLevel is not off).
	BusLogGroupName = "BusLogGroupName"
	// FunctionName is the consumer function (both stacks).
	FunctionName = "FunctionName"
	// LogGroupName is the consumer's log group (both stacks).
	LogGroupName = "LogGroupName"
	// PoisonQueueURL receives events the consumer can never apply (both stacks).
	PoisonQueueURL = "PoisonQueueUrl"
	// TargetDeadLetterQueueURL receives events EventBridge could not deliver
	// (both stacks).
	TargetDeadLetterQueueURL = "TargetDeadLetterQueueUrl"
	// IsolatedQueueURL receives records the consumer took out of line
	// because their period kept failing while other periods succeeded
	// (both stacks, only when isolation.afterSeconds is not 0).
	IsolatedQueueURL = "IsolatedQueueUrl"
	// DashboardName is the stack's CloudWatch dashboard (both stacks).
	DashboardName = "DashboardName"
	// StreamName is the Kinesis stream (KinesisStack).
	StreamName = "StreamName"
	// OnFailureBucketName receives the full invocation record of every batch
	// the Kinesis event source mapping gave up on (KinesisStack).
	OnFailureBucketName = "OnFailureBucketName"
	// QueueURL is the FIFO queue the consumer reads (FifoStack).
	QueueURL = "QueueUrl"
	// DeadLetterQueueURL is the redrive dead-letter queue of QueueURL (FifoStack).
	DeadLetterQueueURL = "DeadLetterQueueUrl"
	// IngestDeadLetterQueueURL is the redrive dead-letter queue of the ingest
	// queue in per-key mode (FifoStack, fifo.messageGroups = per-key only).
	IngestDeadLetterQueueURL = "IngestDeadLetterQueueUrl"
	// EncryptionKeyArn is the customer managed key of the stores (both
	// stacks, only with encryption.kmsKey set): the deploy tools name it
	// when a call fails for want of a permission on it.
	EncryptionKeyArn = "EncryptionKeyArn"
)
