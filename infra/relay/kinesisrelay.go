package relay

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/awsmetrics"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/infra/relay/defaults"
)

// KinesisRelayProps configures NewKinesisRelay. Zero fields mean the
// documented default.
type KinesisRelayProps struct {
	// RelayProps are the bus, rule, delivery, consumer and alarm settings;
	// Code, APIBaseURL and APIKeySecret are required.
	RelayProps

	// StreamMode is the stream's capacity mode. Default defaults.StreamMode
	// (PROVISIONED).
	StreamMode awskinesis.StreamMode
	// ShardCount of a provisioned stream. Default defaults.ShardCount (1).
	ShardCount int
	// StreamRetention of the records. Default defaults.StreamRetentionHours
	// (24 hours).
	StreamRetention awscdk.Duration
	// BatchSize is the records per invocation. Default
	// defaults.KinesisBatchSize (100).
	BatchSize int
	// MaxBatchingWindow is how long the poller gathers records before it
	// invokes. Default defaults.MaxBatchingWindowSeconds (0 seconds).
	MaxBatchingWindow awscdk.Duration
	// ParallelizationFactor is the concurrent batches per shard; order per
	// partition key holds at any factor. Default
	// defaults.ParallelizationFactor (1).
	ParallelizationFactor int
	// StartingPosition of a new event source mapping. Default
	// defaults.StartingPosition (TRIM_HORIZON).
	StartingPosition awslambda.StartingPosition
	// RetryAttempts of a failing batch before its records go to the
	// on-failure bucket. nil means defaults.KinesisRetryAttempts (-1:
	// until MaxRecordAge); new(0) turns retries off.
	RetryAttempts *int
	// MaxRecordAge is the oldest record the mapping still retries; keep it
	// within StreamRetention. Default defaults.MaxRecordAgeSeconds (24 hours).
	MaxRecordAge awscdk.Duration
	// BisectBatchOnError splits a batch whose invocation fails as a whole.
	// nil means defaults.BisectBatchOnError (true).
	BisectBatchOnError *bool
	// IteratorAgeAlarm is the iterator age that raises the alarm. Default
	// defaults.IteratorAgeSeconds (5 minutes).
	IteratorAgeAlarm awscdk.Duration
	// OnFailureExpirationDays is how long the on-failure bucket keeps each
	// discarded batch's invocation record. Default
	// defaults.OnFailureExpirationDays (14 days).
	OnFailureExpirationDays int
}

func (p KinesisRelayProps) withDefaults() KinesisRelayProps {
	p.RelayProps = p.RelayProps.withDefaults()
	if p.StreamMode == "" {
		p.StreamMode = streamModes[defaults.StreamMode]
	}
	if p.ShardCount == 0 {
		p.ShardCount = defaults.ShardCount
	}
	if p.StreamRetention == nil {
		p.StreamRetention = hours(defaults.StreamRetentionHours)
	}
	if p.BatchSize == 0 {
		p.BatchSize = defaults.KinesisBatchSize
	}
	if p.MaxBatchingWindow == nil {
		p.MaxBatchingWindow = seconds(defaults.MaxBatchingWindowSeconds)
	}
	if p.ParallelizationFactor == 0 {
		p.ParallelizationFactor = defaults.ParallelizationFactor
	}
	if p.StartingPosition == "" {
		p.StartingPosition = startingPositions[defaults.StartingPosition]
	}
	if p.RetryAttempts == nil {
		p.RetryAttempts = new(defaults.KinesisRetryAttempts)
	}
	if p.MaxRecordAge == nil {
		p.MaxRecordAge = seconds(defaults.MaxRecordAgeSeconds)
	}
	if p.BisectBatchOnError == nil {
		p.BisectBatchOnError = new(defaults.BisectBatchOnError)
	}
	if p.IteratorAgeAlarm == nil {
		p.IteratorAgeAlarm = seconds(defaults.IteratorAgeSeconds)
	}
	if p.OnFailureExpirationDays == 0 {
		p.OnFailureExpirationDays = defaults.OnFailureExpirationDays
	}
	return p
}

// KinesisRelay relays events from a bus to a Kinesis stream keyed by the
// partition key, and consumes the stream with the ordering consumer: one
// shard orders all records of a key, and the consumer serializes them.
type KinesisRelay struct {
	// Relay holds the construct, the ingress (bus), the target dead-letter
	// queue, the consumer and the alarms.
	*Relay
	// Rule delivers the events to the stream.
	Rule awsevents.Rule
	// Stream is the Kinesis stream between the rule and the consumer.
	Stream awskinesis.Stream
	// OnFailureBucket receives the full invocation record (the records'
	// payloads included) of every batch dropped after its retries or record
	// age ran out: an SQS or SNS destination would get only the shard and
	// sequence numbers, and the payloads would expire with the stream.
	OnFailureBucket awss3.Bucket
	// EventSource is the consumer's Kinesis event source mapping.
	EventSource awslambdaeventsources.KinesisEventSource
}

// NewKinesisRelay creates the bus (or imports it), the rule, the stream, the
// target dead-letter queue, the consumer with its event source mapping and
// on-failure bucket, the alarms and the stack outputs. It returns a
// *PropsError, and creates nothing, when a required field is missing.
func NewKinesisRelay(scope constructs.Construct, id string, props KinesisRelayProps) (*KinesisRelay, error) {
	if problems := props.problems(); len(problems) > 0 {
		return nil, &PropsError{Construct: id, Problems: problems}
	}
	p := props.withDefaults()
	k := &KinesisRelay{Relay: newRelay(scope, id, p.RelayProps)}

	sp := &awskinesis.StreamProps{
		StreamMode:      p.StreamMode,
		RetentionPeriod: p.StreamRetention,
		Encryption:      awskinesis.StreamEncryption_MANAGED,
		RemovalPolicy:   p.RemovalPolicy,
	}
	if p.StreamMode == awskinesis.StreamMode_PROVISIONED {
		sp.ShardCount = jsii.Number(float64(p.ShardCount))
	}
	k.Stream = awskinesis.NewStream(k.Construct, jsii.String("Stream"), sp)
	if p.EncryptionKey != nil {
		// On the resource, not the construct: see grantKey.
		k.Stream.Node().DefaultChild().(awskinesis.CfnStream).SetStreamEncryption(&awskinesis.CfnStream_StreamEncryptionProperty{
			EncryptionType: jsii.String("KMS"),
			KeyId:          p.EncryptionKey.KeyArn(),
		})
		suppress(k.Stream, "AwsSolutions-KDS3",
			"A customer managed key is what EncryptionKey asks for (teams whose compliance requires their own key); its KMS requests are the cost the rule warns of, and orderly's planner counts them.")
	}
	pinPartitionKeyDistribution(k.Stream, p.StreamMode)

	k.newTargetDeadLetterQueue(p.RelayProps)
	k.Rule = k.Ingress.NewRule("Rule", "orderly: relay events to the stream, keyed by the period at "+p.PeriodPath.String(), nil)
	k.Rule.AddTarget(awseventstargets.NewKinesisStream(k.Stream, &awseventstargets.KinesisStreamProps{
		// Without it EventBridge keys records by event id and order is lost.
		PartitionKeyPath: jsii.String(p.PeriodPath.String()),
		DeadLetterQueue:  k.TargetDeadLetterQueue,
		RetryAttempts:    jsii.Number(float64(*p.TargetRetryAttempts)),
		MaxEventAge:      p.TargetMaxEventAge,
	}))
	allowRuleDeadLetters(k.TargetDeadLetterQueue, []*string{k.Rule.RuleArn()})
	// EventBridge puts the records with the role CDK's target made for the
	// stream.
	grantKey(p.EncryptionKey, k.Stream.Node().FindChild(jsii.String("EventsRole")).(awsiam.IRole), keyStreamWriter)

	k.newConsumer(p.RelayProps)
	k.OnFailureBucket = NewOnFailureBucket(k.Construct, "OnFailureBucket", OnFailureBucketProps{
		ExpirationDays: p.OnFailureExpirationDays,
		RemovalPolicy:  p.RemovalPolicy,
		EncryptionKey:  p.EncryptionKey,
	})
	k.EventSource = awslambdaeventsources.NewKinesisEventSource(k.Stream, &awslambdaeventsources.KinesisEventSourceProps{
		StartingPosition:      p.StartingPosition,
		BatchSize:             jsii.Number(float64(p.BatchSize)),
		MaxBatchingWindow:     p.MaxBatchingWindow,
		ParallelizationFactor: jsii.Number(float64(p.ParallelizationFactor)),
		RetryAttempts:         retryAttempts(*p.RetryAttempts),
		MaxRecordAge:          p.MaxRecordAge,
		BisectBatchOnError:    p.BisectBatchOnError,
		// The consumer reports the earliest failed record; without this flag
		// Lambda would ignore the report and retry the whole batch.
		ReportBatchItemFailures: jsii.Bool(true),
		OnFailure:               awslambdaeventsources.NewS3OnFailureDestination(k.OnFailureBucket),
		MetricsConfig:           p.eventSourceMetrics(),
	})
	k.Consumer.Function.AddEventSource(k.EventSource)
	markOnFailureGrant(k.Consumer.Role, k.OnFailureBucket)
	// The mapping reads the stream, and Lambda writes the on-failure
	// objects, as the consumer's role.
	grantKey(p.EncryptionKey, k.Consumer.Role, keyReader)
	grantKey(p.EncryptionKey, k.Consumer.Role, keyObjectWriter)

	k.Alarms = NewAlarms(k.Construct, "Alarms", AlarmsProps{TopicArn: p.AlarmTopicArn})
	k.Alarms.Above("IteratorAge", k.Stream.MetricGetRecordsIteratorAgeMilliseconds(MaxPerMinute()),
		*p.IteratorAgeAlarm.ToMilliseconds(nil), "The consumer is falling behind the stream: its oldest unread record "+
			"is older than the alarm's threshold. Nothing is dropped yet; records older than kinesis.maxRecordAgeSeconds "+
			"go to the on-failure bucket. Look at the consumer's errors, throttles and duration on the dashboard.")
	k.Alarms.FunctionErrors("FunctionErrors", k.Consumer.Function)
	k.Alarms.PeriodsSplitAcrossPartitions("PeriodsSplit", k.Consumer.Function)
	k.Alarms.QueueNotEmpty("TargetDeadLetters", k.TargetDeadLetterQueue, "The rule target dead-letter queue")
	k.Alarms.BucketReceivesObjects("OnFailureRecords", k.OnFailureBucket, OnFailureMetricsID, "The stream on-failure bucket")
	k.Alarms.QueueNotEmpty("PoisonEvents", k.Consumer.PoisonQueue, "The poison queue")
	k.alarmIsolated()
	k.Alarms.RuleDelivery("Rule", k.Rule, k.Ingress, "the stream")
	k.Alarms.OnFailureDeliveryFailures("OnFailureDeliveryFailures", k.Consumer.Function)
	k.Alarms.ConsumerThrottles("Throttles", k.Consumer.Function)

	k.newDashboard(DashboardProps{
		Title:          *awscdk.Aws_STACK_NAME(),
		Flow:           "Events go from the bus through the rule into the Kinesis stream, keyed by the period, and the consumer applies each period's events in order.",
		Rules:          []NamedRule{{"Rule", k.Rule}},
		TransportTitle: "Records in the stream",
		Transport: []awscloudwatch.IMetric{
			labelled(k.Stream.MetricIncomingRecords(sumPerMinute()), "written by the rule"),
			labelled(k.Stream.Metric(jsii.String(awsmetrics.GetRecordsRecords), sumPerMinute()), "read by the consumer"),
		},
		EventSourceID: p.eventSourceID(k.EventSource.EventSourceMappingId()),
		EventCounts:   awsmetrics.StreamEventCounts(),
	})
	k.consumerOutputs()
	k.output(outputs.StreamName, k.Stream.StreamName(), "Kinesis stream between the rule and the consumer")
	k.output(outputs.OnFailureBucketName, k.OnFailureBucket.BucketName(), "Invocation records of batches dropped after retries or record age ran out")
	return k, nil
}

// RecordDistributionStrategy is the on-demand stream setting that makes
// Kinesis place each record by its partition key: the period, so one shard
// orders all records of a period. Its other value, AUTO, spreads records
// over shards whatever their key and loses that order; the console can
// switch an on-demand stream to it at any time.
const RecordDistributionStrategy = "USER_PARTITION_KEY"

// pinPartitionKeyDistribution states RecordDistributionStrategy in the
// template of an on-demand stream rather than leave it to Kinesis's
// default, so the drift check (infra/deploycheck/drift) has an expected
// value to compare: CloudFormation does not undo a console change of a
// property its template did not change, preflight and smoke report it. A provisioned stream needs nothing: it has no
// such setting (Kinesis refuses it) and always places records by partition
// key; moving it to on-demand is itself a drift of its stream mode.
func pinPartitionKeyDistribution(stream awskinesis.Stream, mode awskinesis.StreamMode) {
	if mode != awskinesis.StreamMode_ON_DEMAND {
		return
	}
	// CDK 2.276's L2 Stream has no prop for it; its L1 CfnStream has.
	cfn := stream.Node().DefaultChild().(awskinesis.CfnStream)
	cfn.SetRecordDistributionStrategy(jsii.String(RecordDistributionStrategy))
}

// retryAttempts is the mapping's MaximumRetryAttempts: nil for -1, which
// CDK refuses as a value but which is CloudFormation's default (retry until
// the record age).
func retryAttempts(n int) *float64 {
	if n < 0 {
		return nil
	}
	return jsii.Number(float64(n))
}
