// Package awsmetrics names the CloudWatch metrics AWS publishes for the
// resources orderly creates and that its alarms and dashboards read: the
// namespace, the metric and the dimension it is published under. The relay
// constructs build their metrics from these names, the cost planner counts
// the billed ones, and a test checks every dashboard widget against
// Catalog. It imports nothing, so the planner and the deploy tools build
// without the CDK.
//
// The names and dimensions were checked against AWS's documentation:
// Lambda's "Types of metrics for Lambda functions" (function and event
// source mapping metrics), EventBridge's "Monitoring Amazon EventBridge",
// "Logging and monitoring Amazon EventBridge Pipes", and the SQS, Kinesis
// and S3 request-metrics references.
package awsmetrics

// Namespaces.
const (
	Lambda  = "AWS/Lambda"
	Events  = "AWS/Events"
	Pipes   = "AWS/EventBridge/Pipes"
	SQS     = "AWS/SQS"
	Kinesis = "AWS/Kinesis"
	S3      = "AWS/S3"
)

// Dimensions.
const (
	FunctionName           = "FunctionName"
	EventSourceMappingUUID = "EventSourceMappingUUID"
	// RuleName alone is a rule of the default bus; a rule of a custom bus
	// is published under RuleName and EventBusName together.
	RuleName     = "RuleName"
	EventBusName = "EventBusName"
	PipeName     = "PipeName"
	QueueName    = "QueueName"
	StreamName   = "StreamName"
	BucketName   = "BucketName"
	FilterID     = "FilterId"
)

// Lambda function metrics (FunctionName).
const (
	Invocations = "Invocations"
	Errors      = "Errors"
	Throttles   = "Throttles"
	Duration    = "Duration"
	// DestinationDeliveryFailures counts records Lambda could not write to
	// an on-failure destination: for a Kinesis mapping, a discarded batch
	// whose record is then lost.
	DestinationDeliveryFailures = "DestinationDeliveryFailures"
)

// Event source mapping metrics (EventSourceMappingUUID), published only
// when the mapping's MetricsConfig names EventCount, and billed as custom
// metrics.
const (
	PolledEventCount                        = "PolledEventCount"
	InvokedEventCount                       = "InvokedEventCount"
	FilteredOutEventCount                   = "FilteredOutEventCount"
	FailedInvokeEventCount                  = "FailedInvokeEventCount"
	DroppedEventCount                       = "DroppedEventCount"
	DeletedEventCount                       = "DeletedEventCount"
	OnFailureDestinationDeliveredEventCount = "OnFailureDestinationDeliveredEventCount"
)

// StreamEventCounts are the EventCount metrics of a Kinesis mapping.
func StreamEventCounts() []string {
	return []string{PolledEventCount, InvokedEventCount, FilteredOutEventCount, FailedInvokeEventCount,
		DroppedEventCount, OnFailureDestinationDeliveredEventCount}
}

// QueueEventCounts are the EventCount metrics of an SQS mapping.
func QueueEventCounts() []string {
	return []string{PolledEventCount, InvokedEventCount, FilteredOutEventCount, FailedInvokeEventCount, DeletedEventCount}
}

// EventBridge rule metrics (RuleName, plus EventBusName on a custom bus).
const (
	MatchedEvents = "MatchedEvents"
	// RuleInvocations is Invocations of AWS/Events: deliveries to the target.
	RuleInvocations = "Invocations"
	// FailedInvocations counts events whose delivery failed for good: they
	// go to the target's dead-letter queue.
	FailedInvocations = "FailedInvocations"
	// InvocationsFailedToBeSentToDlq counts events that also could not be
	// put on the dead-letter queue: they are lost.
	InvocationsFailedToBeSentToDlq = "InvocationsFailedToBeSentToDlq"
)

// EventBridge Pipes metrics (PipeName).
const (
	PipeInvocations            = "Invocations"
	PipeEventCount             = "EventCount"
	ExecutionFailed            = "ExecutionFailed"
	ExecutionPartiallyFailed   = "ExecutionPartiallyFailed"
	ExecutionTimeout           = "ExecutionTimeout"
	ExecutionThrottled         = "ExecutionThrottled"
	TargetStageFailed          = "TargetStageFailed"
	TargetStagePartiallyFailed = "TargetStagePartiallyFailed"
)

// PipeFailures are the pipe metrics that count executions which did not
// forward their messages; each is alarmed.
func PipeFailures() []string {
	return []string{ExecutionFailed, ExecutionPartiallyFailed, ExecutionTimeout, ExecutionThrottled,
		TargetStageFailed, TargetStagePartiallyFailed}
}

// SQS metrics (QueueName).
const (
	NumberOfMessagesSent               = "NumberOfMessagesSent"
	NumberOfMessagesReceived           = "NumberOfMessagesReceived"
	NumberOfMessagesDeleted            = "NumberOfMessagesDeleted"
	ApproximateNumberOfMessagesVisible = "ApproximateNumberOfMessagesVisible"
	ApproximateAgeOfOldestMessage      = "ApproximateAgeOfOldestMessage"
)

// Kinesis stream metrics (StreamName).
const (
	IncomingRecords             = "IncomingRecords"
	GetRecordsRecords           = "GetRecords.Records"
	GetRecordsIteratorAgeMillis = "GetRecords.IteratorAgeMilliseconds"
	WriteProvisionedThroughput  = "WriteProvisionedThroughputExceeded"
)

// S3 request metrics (BucketName and FilterId of a metrics configuration).
const PutRequests = "PutRequests"

// Catalog holds, per namespace, every metric orderly reads and the
// dimension names it is published under.
var Catalog = map[string]map[string][]string{
	Lambda: {
		Invocations: {FunctionName}, Errors: {FunctionName}, Throttles: {FunctionName}, Duration: {FunctionName},
		DestinationDeliveryFailures: {FunctionName},
		PolledEventCount:            {EventSourceMappingUUID}, InvokedEventCount: {EventSourceMappingUUID},
		FilteredOutEventCount: {EventSourceMappingUUID}, FailedInvokeEventCount: {EventSourceMappingUUID},
		DroppedEventCount: {EventSourceMappingUUID}, DeletedEventCount: {EventSourceMappingUUID},
		OnFailureDestinationDeliveredEventCount: {EventSourceMappingUUID},
	},
	Events: {
		MatchedEvents: {RuleName, EventBusName}, RuleInvocations: {RuleName, EventBusName},
		FailedInvocations: {RuleName, EventBusName}, InvocationsFailedToBeSentToDlq: {RuleName, EventBusName},
	},
	Pipes: {
		PipeInvocations: {PipeName}, PipeEventCount: {PipeName}, ExecutionFailed: {PipeName},
		ExecutionPartiallyFailed: {PipeName}, ExecutionTimeout: {PipeName}, ExecutionThrottled: {PipeName},
		TargetStageFailed: {PipeName}, TargetStagePartiallyFailed: {PipeName},
	},
	SQS: {
		NumberOfMessagesSent: {QueueName}, NumberOfMessagesReceived: {QueueName}, NumberOfMessagesDeleted: {QueueName},
		ApproximateNumberOfMessagesVisible: {QueueName}, ApproximateAgeOfOldestMessage: {QueueName},
	},
	Kinesis: {
		IncomingRecords: {StreamName}, GetRecordsRecords: {StreamName}, GetRecordsIteratorAgeMillis: {StreamName},
		WriteProvisionedThroughput: {StreamName},
	},
	S3: {PutRequests: {BucketName, FilterID}},
}
