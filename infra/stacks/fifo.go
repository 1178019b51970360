package stacks

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/relay"
	"github.com/orderly-dev/orderly/lambda/envvar"
)

// FifoStackID is the construct id, so `cdk deploy FifoStack` selects it.
const FifoStackID = "FifoStack"

// IngestGroup is the static group of the ingest queue in per-key mode.
const IngestGroup = "ingest"

// NewFifoStack delivers events to an SQS FIFO queue whose message groups
// play the part of partitions, consumed by the same ordering consumer.
func NewFifoStack(scope constructs.Construct, props Props) awscdk.Stack {
	c := props.Config
	f := c.Fifo
	stack := newStack(scope, FifoStackID, "fifo",
		"orderly ("+c.Env+"): EventBridge -> SQS FIFO ("+f.Groups.String()+" groups) -> in-order Go consumer", props)
	ingress := newIngress(stack, c)
	policy := removalPolicy(c)
	retention := awscdk.Duration_Hours(jsii.Number(float64(f.RetentionHours)))
	alarms := relay.NewAlarms(stack, "Alarms", relay.AlarmsProps{TopicArn: c.Alarms.TopicArn})

	// fifoWithDLQ makes a FIFO queue and its FIFO dead-letter queue (a FIFO
	// source needs a FIFO DLQ), alarmed on age and on any dead letter.
	fifoWithDLQ := func(id string, visibility awscdk.Duration, highThroughput bool) awssqs.Queue {
		dlq := relay.NewSecureQueue(stack, id+"DeadLetterQueue", relay.SecureQueueProps{Fifo: true, RemovalPolicy: policy})
		relay.MarkAsDeadLetterQueue(dlq, "redrive DLQ of the "+id)
		q := relay.NewSecureQueue(stack, id, relay.SecureQueueProps{
			Fifo:              true,
			HighThroughput:    highThroughput,
			VisibilityTimeout: visibility,
			Retention:         retention,
			DeadLetter:        &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(float64(f.MaxReceiveCount))},
			RemovalPolicy:     policy,
		})
		alarms.Above(id+"OldestMessage", q.MetricApproximateAgeOfOldestMessage(relay.MaxPerMinute()),
			float64(c.Alarms.OldestMessageAgeSeconds), "Messages wait too long in the "+id)
		alarms.QueueNotEmpty(id+"DeadLetters", dlq, "The "+id+" dead-letter queue")
		return q
	}

	// Six times the function timeout, so a message is not redelivered while
	// the invocation that received it may still be running.
	queue := fifoWithDLQ("Queue", seconds(c.VisibilityTimeoutSeconds()), f.Groups.PerKey)
	targetDLQ := newTargetDeadLetterQueue(stack, c)
	targetProps := func(group string) *awseventstargets.SqsQueueProps {
		return &awseventstargets.SqsQueueProps{
			MessageGroupId:  jsii.String(group),
			DeadLetterQueue: targetDLQ,
			RetryAttempts:   jsii.Number(float64(c.Target.RetryAttempts)),
			MaxEventAge:     seconds(c.Target.MaxEventAgeSeconds),
		}
	}

	if f.Groups.PerKey {
		ingest := fifoWithDLQ("IngestQueue", nil, false)
		rule := ingress.NewRule("Rule", "orderly: deliver events to the ingest queue; the pipe regroups them by "+c.PartitionKeyPath, nil)
		rule.AddTarget(awseventstargets.NewSqsQueue(ingest, targetProps(IngestGroup)))
		relay.NewKeyedPipe(stack, "KeyedPipe", relay.KeyedPipeProps{
			Source:        ingest,
			Target:        queue,
			GroupIDPath:   PipeGroupPath(c.PartitionKeyPath),
			LogRetention:  retentionDays(c),
			RemovalPolicy: policy,
		})
	} else {
		for _, route := range StaticRoutes(f.Groups.Count, f.GroupFieldPath) {
			rule := ingress.NewRule(route.ID, "orderly: deliver events to message group "+route.GroupID, route.Detail)
			rule.AddTarget(awseventstargets.NewSqsQueue(queue, targetProps(route.GroupID)))
		}
	}

	consumer := newConsumer(stack, props)
	// A group whose batch reported a failure resumes after this backoff,
	// not after the visibility timeout (lambda/visibility). The role's
	// sqs:ChangeMessageVisibility comes with the event source below.
	consumer.Function.AddEnvironment(jsii.String(envvar.RetryBackoffBaseSeconds), jsii.String(strconv.Itoa(f.RetryBackoffBaseSeconds)), nil)
	consumer.Function.AddEnvironment(jsii.String(envvar.RetryBackoffMaxSeconds), jsii.String(strconv.Itoa(f.RetryBackoffMaxSeconds)), nil)
	esm := &awslambdaeventsources.SqsEventSourceProps{
		BatchSize: jsii.Number(float64(f.BatchSize)),
		// The consumer fails a message and every later message of its group;
		// without this flag Lambda would retry the whole batch.
		ReportBatchItemFailures: jsii.Bool(true),
	}
	if f.MaxConcurrency > 0 {
		esm.MaxConcurrency = jsii.Number(float64(f.MaxConcurrency))
	}
	consumer.Function.AddEventSource(awslambdaeventsources.NewSqsEventSource(queue, esm))
	relay.MarkQueueEventSource(consumer.Function)

	alarms.FunctionErrors("FunctionErrors", consumer.Function)
	alarms.QueueNotEmpty("TargetDeadLetters", targetDLQ, "The rule target dead-letter queue")
	alarms.QueueNotEmpty("PoisonEvents", consumer.PoisonQueue, "The poison queue")

	output(stack, "EventBusName", ingress.Bus.EventBusName(), "Put events here")
	output(stack, "QueueUrl", queue.QueueUrl(), "FIFO queue the consumer reads")
	output(stack, "FunctionName", consumer.Function.FunctionName(), "The consumer")
	output(stack, "PoisonQueueUrl", consumer.PoisonQueue.QueueUrl(), "Events the consumer can never apply")
	output(stack, "TargetDeadLetterQueueUrl", targetDLQ.QueueUrl(), "Events EventBridge could not deliver")
	return stack
}
