// Package relay holds orderly's reusable CDK constructs: the two relays,
// NewKinesisRelay and NewFifoRelay, and the building blocks they are made of
// (SecureQueue, Ingress, Consumer, KeyedPipe, Alarms). Each takes a Props
// struct whose zero fields mean the documented default; the relays need no
// cdk.json, and infra/stacks only maps orderly's config onto their Props.
package relay

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
)

// SecureQueueProps configures NewSecureQueue.
type SecureQueueProps struct {
	// Fifo makes a FIFO queue with content-based deduplication (EventBridge
	// cannot set a deduplication id). Default: a standard queue.
	Fifo bool
	// HighThroughput scopes FIFO deduplication and throughput to the message
	// group, which suits many groups. Default false.
	HighThroughput bool
	// VisibilityTimeout. Default 30 seconds.
	VisibilityTimeout awscdk.Duration
	// Retention. Default defaults.DeadLetterRetentionDays (14 days, the
	// maximum), so dead letters stay long enough to be inspected and redriven.
	Retention awscdk.Duration
	// DeadLetter receives messages after MaxReceiveCount receives. Default none.
	DeadLetter *awssqs.DeadLetterQueue
	// RemovalPolicy. Default defaults.RemovalPolicy (RETAIN).
	RemovalPolicy awscdk.RemovalPolicy
	// EncryptionKey encrypts the messages (SSE-KMS). Default nil: SQS-managed
	// keys (SSE-SQS), which every AWS service can send to without a key
	// policy. With a key, whoever wires a sender or a reader grants it on
	// the key (grantKey), and EventBridge needs the key policy statement
	// keypolicy.SidEventBridgeQueues.
	EncryptionKey awskms.IKey
}

// NewSecureQueue creates an SQS queue encrypted with SQS-managed keys (which
// EventBridge, Pipes and Lambda can all use without KMS grants) or with
// EncryptionKey, and a policy that denies non-TLS access.
func NewSecureQueue(scope constructs.Construct, id string, props SecureQueueProps) awssqs.Queue {
	if props.Retention == nil {
		props.Retention = awscdk.Duration_Days(jsii.Number(defaults.DeadLetterRetentionDays))
	}
	if props.RemovalPolicy == "" {
		props.RemovalPolicy = defaultRemovalPolicy()
	}
	qp := &awssqs.QueueProps{
		EnforceSSL:        jsii.Bool(true),
		VisibilityTimeout: props.VisibilityTimeout,
		RetentionPeriod:   props.Retention,
		DeadLetterQueue:   props.DeadLetter,
		RemovalPolicy:     props.RemovalPolicy,
	}
	if props.Fifo {
		qp.Fifo = jsii.Bool(true)
		qp.ContentBasedDeduplication = jsii.Bool(true)
		if props.HighThroughput {
			qp.DeduplicationScope = awssqs.DeduplicationScope_MESSAGE_GROUP
			qp.FifoThroughputLimit = awssqs.FifoThroughputLimit_PER_MESSAGE_GROUP_ID
		}
	}
	if props.EncryptionKey == nil {
		qp.Encryption = awssqs.QueueEncryption_SQS_MANAGED
	}
	queue := awssqs.NewQueue(scope, jsii.String(id), qp)
	if props.EncryptionKey != nil {
		// On the resource, not the construct: see grantKey.
		queue.Node().DefaultChild().(awssqs.CfnQueue).SetKmsMasterKeyId(props.EncryptionKey.KeyArn())
	}
	return queue
}
