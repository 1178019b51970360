package relay

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/orderly-dev/orderly/lambda/telemetry"
)

// AlarmsProps configures NewAlarms.
type AlarmsProps struct {
	// TopicArn receives alarm and OK actions. Default: alarms without actions.
	TopicArn string
}

// Alarms groups a stack's alarms and wires them to one optional SNS topic.
type Alarms struct {
	constructs.Construct
	topic   awssns.ITopic
	watched []watched
}

// watched is an alarm and the metric it watches, which the dashboard
// charts as it is.
type watched struct {
	alarm  awscloudwatch.Alarm
	metric awscloudwatch.IMetric
}

// All returns every alarm created so far, in creation order: the
// dashboard lists each one's state and charts its metric.
func (a *Alarms) All() []awscloudwatch.Alarm {
	out := make([]awscloudwatch.Alarm, len(a.watched))
	for i, w := range a.watched {
		out[i] = w.alarm
	}
	return out
}

// NewAlarms creates the container construct.
func NewAlarms(scope constructs.Construct, id string, props AlarmsProps) *Alarms {
	a := &Alarms{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	if props.TopicArn != "" {
		a.topic = awssns.Topic_FromTopicArn(a.Construct, jsii.String("Topic"), jsii.String(props.TopicArn))
	}
	return a
}

var oneMinute = awscdk.Duration_Minutes(jsii.Number(1))

// MaxPerMinute is the metric window every orderly alarm watches: the worst
// value of each minute, so one stuck message or lagging shard is not averaged away.
func MaxPerMinute() *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Period: oneMinute, Statistic: awscloudwatch.Stats_MAXIMUM()}
}

// Above alarms when metric exceeds threshold for one one-minute period.
// Missing data is not breaching: an idle pipeline is healthy.
func (a *Alarms) Above(id string, metric awscloudwatch.IMetric, threshold float64, description string) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(a.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription:   jsii.String(description),
	})
	if a.topic != nil {
		action := awscloudwatchactions.NewSnsAction(a.topic)
		alarm.AddAlarmAction(action)
		alarm.AddOkAction(action)
	}
	a.watched = append(a.watched, watched{alarm, metric})
	return alarm
}

// QueueNotEmpty alarms on any visible message: for a dead-letter queue a
// single message is a lost or stuck event.
func (a *Alarms) QueueNotEmpty(id string, queue awssqs.IQueue, what string) awscloudwatch.Alarm {
	metric := queue.MetricApproximateNumberOfMessagesVisible(MaxPerMinute())
	return a.Above(id, metric, 0, what+" holds messages: events that failed and wait there to be inspected; "+
		"fix the cause, then put them back on the bus with make redrive.")
}

// BucketReceivesObjects alarms on any object written to bucket: its S3
// request metrics (the configuration filterID, which must cover the whole
// bucket) count PUTs, and for an on-failure bucket a single PUT is a
// discarded batch.
func (a *Alarms) BucketReceivesObjects(id string, bucket awss3.IBucket, filterID, what string) awscloudwatch.Alarm {
	metric := BucketPutRequests(bucket, filterID)
	return a.Above(id, metric, 0, what+" received objects: records were discarded; inspect and redrive them (make redrive)")
}

// FunctionErrors alarms when an invocation fails as a whole (crash or
// timeout); record-level failures are reported as partial batch failures.
func (a *Alarms) FunctionErrors(id string, fn awslambda.IFunction) awscloudwatch.Alarm {
	metric := fn.MetricErrors(&awscloudwatch.MetricOptions{Period: oneMinute, Statistic: awscloudwatch.Stats_SUM()})
	return a.Above(id, metric, 0, "The consumer failed whole invocations (crash or timeout): their batches are retried, "+
		"and once the retries run out they land in the on-failure bucket (Kinesis) or the FIFO dead-letter queue. "+
		"Look at the consumer's log group (output LogGroupName).")
}

// PeriodsSplitAcrossPartitions alarms when the consumer saw one period
// under two delivery partitions (Kinesis keys or FIFO groups) in a batch:
// delivery is not keyed on the period, and concurrent invocations can lose
// its updates. The consumer publishes the metric (lambda/telemetry) under
// its function name.
func (a *Alarms) PeriodsSplitAcrossPartitions(id string, fn awslambda.IFunction) awscloudwatch.Alarm {
	metric := ConsumerMetric(telemetry.MetricPeriodsSplit, fn, awscloudwatch.Stats_SUM())
	return a.Above(id, metric, 0, "A period arrived under more than one partition: the producer or the routing does not key delivery on the period, so updates of that period can be lost")
}
