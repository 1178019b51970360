package relay

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/awsmetrics"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/infra/relay/defaults"
	"github.com/orderly-dev/orderly/infra/routing"
	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/visibility"
)

// FifoRelayProps configures NewFifoRelay. Zero fields mean the documented
// default.
type FifoRelayProps struct {
	// RelayProps are the bus, rule, delivery, consumer and alarm settings;
	// Code, APIBaseURL and APIKeySecret are required.
	RelayProps

	// MessageGroups is the number of static message groups, 1 to 31. With
	// 1, one rule delivers every event to group g0: a strict total order.
	// With N > 1, N rules route each period by its value, its day of the
	// month (infra/routing), so every event of a period reaches one group
	// whatever else it carries; a catch-all rule takes events without a
	// valid period. Default defaults.MessageGroups (1). Leave it zero when
	// PerKey is set.
	MessageGroups int
	// PerKey gives every period its own message group: the rule delivers to
	// an ingest FIFO queue, and an EventBridge Pipe forwards each message
	// with the period as its group id. Default false: static groups.
	PerKey bool
	// BatchSize is the messages per invocation, at most 10. Default
	// defaults.FifoBatchSize (10).
	BatchSize int
	// MaxConcurrency of the SQS event source mapping (2–1000). Default 0:
	// not set.
	MaxConcurrency int
	// MaxReceiveCount is the receives before a message moves to its queue's
	// FIFO dead-letter queue. Default defaults.MaxReceiveCount (10).
	MaxReceiveCount int
	// Retention of the queues' messages. Default defaults.FifoRetentionHours
	// (96 hours).
	Retention awscdk.Duration
	// OldestMessageAlarm is the age of a queue's oldest message that raises
	// its alarm. Default defaults.OldestMessageAgeSeconds (5 minutes).
	OldestMessageAlarm awscdk.Duration
	// RetryBackoff is how soon a message the consumer reported for retry
	// (and the rest of its group) is visible again: Base after its first
	// receive, doubling per receive up to Max (lambda/visibility). nil means
	// visibility.DefaultBackoff (1 s, capped at 60 s) CappedBelow the
	// visibility timeout; a zero Max turns it off, so the group waits for
	// the queue's visibility timeout. Max must stay below the visibility
	// timeout (defaults.VisibilityTimeoutFactor × Timeout).
	RetryBackoff *visibility.Backoff
	// OutageToleranceSeconds is the vendor-wide outage (every period
	// failing) that dead-letters nothing: after such a failure the consumer
	// keeps the message invisible for the outage hold,
	// visibility.HoldFor(this, MaxReceiveCount), so MaxReceiveCount
	// receives last at least this long. Keep it below Retention
	// (infra/config checks it). nil means defaults.OutageToleranceSeconds
	// (1800); new(0) turns the hold off, so every failure waits for
	// RetryBackoff only.
	OutageToleranceSeconds *int
}

func (p FifoRelayProps) problems() []string {
	out := p.RelayProps.problems()
	if !p.PerKey && p.MessageGroups != 0 {
		if err := routing.Validate(p.MessageGroups); err != nil {
			out = append(out, "MessageGroups: "+err.Error())
		}
	}
	if p.PerKey && p.MessageGroups != 0 {
		out = append(out, fmt.Sprintf("MessageGroups %d and PerKey: per-key grouping takes no static group count; set one of them", p.MessageGroups))
	}
	if t := p.OutageToleranceSeconds; t != nil && *t < 0 {
		out = append(out, fmt.Sprintf("OutageToleranceSeconds %d: must be 0 (hold off) or more", *t))
	}
	if b := p.RetryBackoff; b != nil {
		if err := b.Validate(); err != nil {
			out = append(out, "RetryBackoff: "+err.Error())
		}
		if err := b.CheckBelow(p.visibilityTimeout()); err != nil {
			out = append(out, fmt.Sprintf("RetryBackoff: %v; the visibility timeout is %d × Timeout", err, defaults.VisibilityTimeoutFactor))
		}
	}
	return out
}

func (p FifoRelayProps) withDefaults() FifoRelayProps {
	p.RelayProps = p.RelayProps.withDefaults()
	if p.MessageGroups == 0 && !p.PerKey {
		p.MessageGroups = defaults.MessageGroups
	}
	if p.BatchSize == 0 {
		p.BatchSize = defaults.FifoBatchSize
	}
	if p.MaxReceiveCount == 0 {
		p.MaxReceiveCount = defaults.MaxReceiveCount
	}
	if p.Retention == nil {
		p.Retention = hours(defaults.FifoRetentionHours)
	}
	if p.OldestMessageAlarm == nil {
		p.OldestMessageAlarm = seconds(defaults.OldestMessageAgeSeconds)
	}
	if p.OutageToleranceSeconds == nil {
		p.OutageToleranceSeconds = new(defaults.OutageToleranceSeconds)
	}
	return p
}

// visibilityTimeout is the queue's visibility timeout for the consumer's
// timeout (defaults.VisibilityTimeout), so a message is not redelivered
// while the invocation that received it may still be running.
func (p FifoRelayProps) visibilityTimeout() time.Duration {
	return defaults.VisibilityTimeout(p.timeout())
}

// FifoRelay delivers events to an SQS FIFO queue whose message groups play
// the part of partitions, consumed by the ordering consumer.
type FifoRelay struct {
	// Relay holds the construct, the ingress (bus), the target dead-letter
	// queue, the consumer and the alarms.
	*Relay
	// Rules deliver the events: one per static group plus the catch-all
	// (StaticRoutes), or the one rule to the ingest queue in per-key mode.
	Rules []awsevents.Rule
	// Queue is the FIFO queue the consumer reads; its high-throughput mode is
	// on in per-key mode.
	Queue awssqs.Queue
	// QueueDeadLetterQueue is Queue's FIFO redrive dead-letter queue.
	QueueDeadLetterQueue awssqs.Queue
	// IngestQueue is the per-key mode's FIFO queue between the rule and the
	// pipe; nil for static groups.
	IngestQueue awssqs.Queue
	// IngestDeadLetterQueue is IngestQueue's redrive dead-letter queue; nil
	// for static groups.
	IngestDeadLetterQueue awssqs.Queue
	// Pipe regroups the ingest queue's messages by partition key; nil for
	// static groups.
	Pipe *KeyedPipe
	// EventSource is the consumer's SQS event source mapping.
	EventSource awslambdaeventsources.SqsEventSource
}

// NewFifoRelay creates the bus (or imports it), the rule(s), the FIFO
// queue(s) with their FIFO dead-letter queues, the pipe in per-key mode, the
// target dead-letter queue, the consumer with its event source mapping, the
// alarms and the stack outputs. It returns a *PropsError, and creates
// nothing, when a required field is missing or two fields conflict.
func NewFifoRelay(scope constructs.Construct, id string, props FifoRelayProps) (*FifoRelay, error) {
	if problems := props.problems(); len(problems) > 0 {
		return nil, &PropsError{Construct: id, Problems: problems}
	}
	p := props.withDefaults()
	f := &FifoRelay{Relay: newRelay(scope, id, p.RelayProps)}
	f.Alarms = NewAlarms(f.Construct, "Alarms", AlarmsProps{TopicArn: p.AlarmTopicArn})

	f.Queue, f.QueueDeadLetterQueue = f.fifoWithDLQ(p, "Queue", seconds(int(p.visibilityTimeout()/time.Second)), p.PerKey)
	f.newTargetDeadLetterQueue(p.RelayProps)
	delivery := sqsTargetPolicy{dlq: f.TargetDeadLetterQueue, retryAttempts: *p.TargetRetryAttempts, maxEventAge: p.TargetMaxEventAge}

	if p.PerKey {
		f.IngestQueue, f.IngestDeadLetterQueue = f.fifoWithDLQ(p, "IngestQueue", nil, false)
		rule := f.Ingress.NewRule("Rule", "orderly: deliver events to the ingest queue; the pipe groups them by the period at "+p.PeriodPath.String(), nil)
		addSQSTargets(f.IngestQueue, []sqsTarget{{rule, IngestGroup}}, delivery)
		f.Rules = []awsevents.Rule{rule}
		f.Alarms.RuleDelivery("Rule", rule, f.Ingress, "the ingest queue")
		f.Pipe = NewKeyedPipe(f.Construct, "KeyedPipe", KeyedPipeProps{
			Source:        f.IngestQueue,
			Target:        f.Queue,
			GroupIDPath:   PipeGroupPath(p.PeriodPath),
			LogRetention:  p.LogRetention,
			RemovalPolicy: p.RemovalPolicy,
			EncryptionKey: p.EncryptionKey,
		})
		f.Alarms.PipeFailures("Pipe", f.Pipe.Pipe)
	} else {
		var targets []sqsTarget
		for _, route := range StaticRoutes(p.MessageGroups, p.PeriodPath) {
			rule := f.Ingress.NewRule(route.ID, "orderly: deliver events to message group "+route.GroupID, route.Detail)
			targets = append(targets, sqsTarget{rule, route.GroupID})
			f.Rules = append(f.Rules, rule)
			f.Alarms.RuleDelivery(route.ID, rule, f.Ingress, "message group "+route.GroupID+" of the queue")
		}
		addSQSTargets(f.Queue, targets, delivery)
	}

	f.newConsumer(p.RelayProps)
	// A group whose batch reported a failure resumes after this backoff,
	// not after the visibility timeout (lambda/visibility). The role's
	// sqs:ChangeMessageVisibility comes with the event source below.
	backoff := p.retryBackoff()
	f.Consumer.Function.AddEnvironment(jsii.String(envvar.RetryBackoffBaseSeconds), jsii.String(strconv.Itoa(int(backoff.Base/time.Second))), nil)
	f.Consumer.Function.AddEnvironment(jsii.String(envvar.RetryBackoffMaxSeconds), jsii.String(strconv.Itoa(int(backoff.Max/time.Second))), nil)
	// After a failure no other period's success contradicts, the message
	// waits out the hold instead, so an outage uses few receives.
	if hold := p.outageHold(); hold > 0 {
		f.Consumer.Function.AddEnvironment(jsii.String(envvar.OutageHoldSeconds), jsii.String(strconv.Itoa(int(time.Duration(hold)/time.Second))), nil)
	}
	esm := &awslambdaeventsources.SqsEventSourceProps{
		BatchSize: jsii.Number(float64(p.BatchSize)),
		// The consumer fails a message and every later message of its group;
		// without this flag Lambda would retry the whole batch.
		ReportBatchItemFailures: jsii.Bool(true),
		MetricsConfig:           p.eventSourceMetrics(),
	}
	if p.MaxConcurrency > 0 {
		esm.MaxConcurrency = jsii.Number(float64(p.MaxConcurrency))
	}
	f.EventSource = awslambdaeventsources.NewSqsEventSource(f.Queue, esm)
	f.Consumer.Function.AddEventSource(f.EventSource)
	MarkQueueEventSource(f.Consumer.Function)
	// The mapping reads the queue as the consumer's role; changing a
	// message's visibility needs no key.
	grantKey(p.EncryptionKey, f.Consumer.Role, keyReader)

	f.Alarms.FunctionErrors("FunctionErrors", f.Consumer.Function)
	f.Alarms.ConsumerThrottles("Throttles", f.Consumer.Function)
	f.Alarms.PeriodsSplitAcrossPartitions("PeriodsSplit", f.Consumer.Function)
	f.Alarms.QueueNotEmpty("TargetDeadLetters", f.TargetDeadLetterQueue, "The rule target dead-letter queue")
	f.Alarms.QueueNotEmpty("PoisonEvents", f.Consumer.PoisonQueue, "The poison queue")
	f.alarmIsolated()

	f.newDashboard(f.dashboardProps(p))
	f.consumerOutputs()
	f.output(outputs.QueueURL, f.Queue.QueueUrl(), "FIFO queue the consumer reads")
	f.output(outputs.DeadLetterQueueURL, f.QueueDeadLetterQueue.QueueUrl(), "Messages the consumer failed MaxReceiveCount times")
	if f.IngestDeadLetterQueue != nil {
		f.output(outputs.IngestDeadLetterQueueURL, f.IngestDeadLetterQueue.QueueUrl(), "Events the pipe could not forward")
	}
	return f, nil
}

// fifoWithDLQ makes a FIFO queue and its FIFO dead-letter queue (a FIFO
// source needs a FIFO DLQ), alarmed on age and on any dead letter.
func (f *FifoRelay) fifoWithDLQ(p FifoRelayProps, id string, visibility awscdk.Duration, highThroughput bool) (queue, dlq awssqs.Queue) {
	dlq = NewSecureQueue(f.Construct, id+"DeadLetterQueue", SecureQueueProps{Fifo: true, RemovalPolicy: p.RemovalPolicy, EncryptionKey: p.EncryptionKey})
	MarkAsDeadLetterQueue(dlq, "redrive DLQ of the "+id)
	queue = NewSecureQueue(f.Construct, id, SecureQueueProps{
		Fifo:              true,
		HighThroughput:    highThroughput,
		VisibilityTimeout: visibility,
		Retention:         p.Retention,
		DeadLetter:        &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(float64(p.MaxReceiveCount))},
		RemovalPolicy:     p.RemovalPolicy,
		EncryptionKey:     p.EncryptionKey,
	})
	f.Alarms.Above(id+"OldestMessage", queue.MetricApproximateAgeOfOldestMessage(MaxPerMinute()),
		*p.OldestMessageAlarm.ToSeconds(nil), "Messages wait too long in the "+id+": a message group is "+
			"blocked behind a failing message, or the consumer is throttled or stopped. Nothing is dropped yet; after "+
			"fifo.maxReceiveCount receives a message moves to the "+id+" dead-letter queue. Look at the consumer's log group.")
	f.Alarms.QueueNotEmpty(id+"DeadLetters", dlq, "The "+id+" dead-letter queue")
	return queue, dlq
}

// outageHold is the consumer's outage hold for the tolerance asked for
// (filled by withDefaults); 0 when it is off.
func (p FifoRelayProps) outageHold() visibility.Hold {
	return visibility.HoldFor(time.Duration(*p.OutageToleranceSeconds)*time.Second, p.MaxReceiveCount)
}

// retryBackoff is the backoff asked for, or the default capped below the
// visibility timeout.
func (p FifoRelayProps) retryBackoff() visibility.Backoff {
	if p.RetryBackoff != nil {
		return *p.RetryBackoff
	}
	return visibility.DefaultBackoff.CappedBelow(p.visibilityTimeout())
}

// dashboardProps is what FifoStack's dashboard shows of the transport: the
// messages sent to the consumer's queue and deleted from it once applied,
// and in per-key mode the ingest queue and the pipe before it.
func (f *FifoRelay) dashboardProps(p FifoRelayProps) DashboardProps {
	rules := make([]NamedRule, len(f.Rules))
	for i, r := range f.Rules {
		rules[i] = NamedRule{*r.Node().Id(), r}
	}
	flow := "Events go from the bus through the rules into the SQS FIFO queue, each under the message group of its period, and the consumer applies each group's messages in order."
	var transport []awscloudwatch.IMetric
	if f.Pipe != nil {
		flow = "Events go from the bus through the rule into the ingest FIFO queue; the pipe forwards each to the consumer's FIFO queue under its period as message group, and the consumer applies each group's messages in order."
		transport = append(transport,
			labelled(f.IngestQueue.MetricNumberOfMessagesSent(sumPerMinute()), "sent to the ingest queue"),
			labelled(PipeMetric(awsmetrics.PipeEventCount, f.Pipe.Pipe), "forwarded by the pipe"))
	}
	transport = append(transport,
		labelled(f.Queue.MetricNumberOfMessagesSent(sumPerMinute()), "sent to the queue"),
		labelled(f.Queue.MetricNumberOfMessagesDeleted(sumPerMinute()), "deleted once applied"))
	return DashboardProps{
		Title:          *awscdk.Aws_STACK_NAME(),
		Flow:           flow,
		Rules:          rules,
		TransportTitle: "Messages in the queues",
		Transport:      transport,
		EventSourceID:  p.eventSourceID(f.EventSource.EventSourceMappingId()),
		EventCounts:    awsmetrics.QueueEventCounts(),
	}
}
