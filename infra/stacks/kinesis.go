package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/infra/relay"
)

// KinesisStackID is the construct id, so `cdk deploy KinesisStack` selects it.
const KinesisStackID = config.KinesisStackID

// NewKinesisStack relays events from the bus to a Kinesis stream keyed by the
// partition key, and consumes the stream with the ordering consumer: one
// shard orders all records of a key, and the consumer serializes them.
func NewKinesisStack(scope constructs.Construct, props Props) awscdk.Stack {
	c := props.Config
	k := c.Kinesis
	stack := newStack(scope, KinesisStackID, config.KindKinesis,
		"orderly ("+c.Env+"): EventBridge -> Kinesis -> in-order Go consumer", props)
	ingress := newIngress(stack, c)
	policy := removalPolicy(c)

	sp := &awskinesis.StreamProps{
		RetentionPeriod: awscdk.Duration_Hours(jsii.Number(float64(k.RetentionHours))),
		Encryption:      awskinesis.StreamEncryption_MANAGED,
		RemovalPolicy:   policy,
	}
	if k.StreamMode == config.OnDemand {
		sp.StreamMode = awskinesis.StreamMode_ON_DEMAND
	} else {
		sp.StreamMode = awskinesis.StreamMode_PROVISIONED
		sp.ShardCount = jsii.Number(float64(k.ShardCount))
	}
	stream := awskinesis.NewStream(stack, jsii.String("Stream"), sp)

	targetDLQ := newTargetDeadLetterQueue(stack, c)
	rule := ingress.NewRule("Rule", "orderly: relay events to the stream, keyed by "+c.PartitionKeyPath, nil)
	rule.AddTarget(awseventstargets.NewKinesisStream(stream, &awseventstargets.KinesisStreamProps{
		// Without it EventBridge keys records by event id and order is lost.
		PartitionKeyPath: jsii.String(c.PartitionKeyPath),
		DeadLetterQueue:  targetDLQ,
		RetryAttempts:    jsii.Number(float64(c.Target.RetryAttempts)),
		MaxEventAge:      seconds(c.Target.MaxEventAgeSeconds),
	}))

	consumer := newConsumer(stack, props)
	onFailure := relay.NewSecureQueue(stack, "OnFailureQueue", relay.SecureQueueProps{RemovalPolicy: policy})
	relay.MarkAsDeadLetterQueue(onFailure, "Kinesis event source on-failure destination")
	startingPosition := awslambda.StartingPosition_TRIM_HORIZON
	if k.StartingPosition == config.Latest {
		startingPosition = awslambda.StartingPosition_LATEST
	}
	consumer.Function.AddEventSource(awslambdaeventsources.NewKinesisEventSource(stream, &awslambdaeventsources.KinesisEventSourceProps{
		StartingPosition:      startingPosition,
		BatchSize:             jsii.Number(float64(k.BatchSize)),
		MaxBatchingWindow:     seconds(k.MaxBatchingWindowSecs),
		ParallelizationFactor: jsii.Number(float64(k.ParallelizationFactor)),
		RetryAttempts:         jsii.Number(float64(k.RetryAttempts)),
		MaxRecordAge:          seconds(k.MaxRecordAgeSeconds),
		BisectBatchOnError:    jsii.Bool(k.BisectBatchOnError),
		// The consumer reports the earliest failed record; without this flag
		// Lambda would ignore the report and retry the whole batch.
		ReportBatchItemFailures: jsii.Bool(true),
		OnFailure:               awslambdaeventsources.NewSqsDlq(onFailure),
	}))

	alarms := relay.NewAlarms(stack, "Alarms", relay.AlarmsProps{TopicArn: c.Alarms.TopicArn})
	alarms.Above("IteratorAge", stream.MetricGetRecordsIteratorAgeMilliseconds(relay.MaxPerMinute()),
		float64(c.Alarms.IteratorAgeSeconds*1000), "The consumer is falling behind the stream")
	alarms.FunctionErrors("FunctionErrors", consumer.Function)
	alarms.QueueNotEmpty("TargetDeadLetters", targetDLQ, "The rule target dead-letter queue")
	alarms.QueueNotEmpty("OnFailureRecords", onFailure, "The stream on-failure queue")
	alarms.QueueNotEmpty("PoisonEvents", consumer.PoisonQueue, "The poison queue")
	alarms.RuleFailedInvocations("RuleFailedInvocations", rule, ingress)

	consumerOutputs(stack, ingress, consumer, targetDLQ)
	output(stack, outputs.StreamName, stream.StreamName(), "Kinesis stream between the rule and the consumer")
	output(stack, outputs.OnFailureQueueURL, onFailure.QueueUrl(), "Records dropped after retries or record age ran out")
	return stack
}
