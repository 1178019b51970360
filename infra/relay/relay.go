package relay

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/keypolicy"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/infra/relay/defaults"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
)

// RelayProps are the settings both relays share: the bus and the rule that
// select the events, EventBridge's delivery to the stream or queue, the
// consumer function and its alarms. Code, APIBaseURL and APIKeySecret are
// required. Every other zero field means the default documented on it, which
// is what orderly's cdk.json produces when the key is left out (package
// defaults owns those values).
type RelayProps struct {
	// Code is the bundled consumer: a `bootstrap` for provided.al2023 on
	// arm64 (infra/gobundle builds one). Required.
	Code awslambda.Code
	// APIBaseURL is the https base URL of the third-party schedule API. Required.
	APIBaseURL string
	// APIKeySecret is the name, partial ARN or complete ARN of an existing
	// Secrets Manager secret holding the API key. Required. The consumer may
	// read this secret only.
	APIKeySecret string

	// PeriodPath is where events carry the schedule period, the unit of
	// read-modify-write on the third-party API. It is the only ordering key:
	// the Kinesis partition key, the FIFO message group, and the path the
	// consumer reads the period through. schedule.ParsePeriodPath refuses a
	// path that names another field of the event (entityId, version, ...).
	// The zero value is defaults.PeriodPath ("$.detail.scheduleDate").
	PeriodPath schedule.PeriodPath
	// BusName is the name of the bus to create. Default: a name CDK derives
	// from the construct path.
	BusName string
	// ExistingBus is the name or ARN of a bus to import instead of creating
	// one (set BusName or ExistingBus, not both). Default: create a bus.
	ExistingBus string
	// Sources are the event pattern's `source` values. Default
	// defaults.Sources().
	Sources []string
	// DetailTypes are the event pattern's `detail-type` values. nil means
	// defaults.DetailTypes(); an empty non-nil slice matches any detail-type.
	DetailTypes []string
	// ArchiveRetentionDays is how long the archive of a created bus keeps the
	// events the rule pattern selects, for replay. nil means
	// defaults.ArchiveRetentionDays (14, the dead-letter queues' retention);
	// new(0) creates no archive. An ExistingBus is never archived here, and
	// setting a non-zero value with it is refused.
	ArchiveRetentionDays *int
	// BusLogLevel is what a created bus logs to a log group of its own:
	// "off", "error" or "info" (BusLogLevels). The zero value is
	// defaults.BusLogLevel ("off"); any other level with ExistingBus is
	// refused.
	BusLogLevel string
	// TargetRetryAttempts are EventBridge's delivery retries before an event
	// goes to the target dead-letter queue. nil means
	// defaults.TargetRetryAttempts (185); new(0) turns retries off.
	TargetRetryAttempts *int
	// TargetMaxEventAge is the oldest event EventBridge still tries to
	// deliver. Default defaults.TargetMaxEventAgeSeconds (24 hours).
	TargetMaxEventAge awscdk.Duration

	// MemoryMiB of the consumer. Default defaults.FunctionMemoryMiB (256).
	MemoryMiB int
	// Timeout of the consumer. Default defaults.FunctionTimeoutSeconds (60
	// seconds). A FIFO queue's visibility timeout is
	// defaults.VisibilityTimeoutFactor times this.
	Timeout awscdk.Duration
	// ReservedConcurrency of the consumer. Default 0: unreserved.
	ReservedConcurrency int
	// LogRetention of the log groups. Default defaults.LogRetentionDays
	// (ONE_MONTH).
	LogRetention awslogs.RetentionDays
	// MaxConcurrentPartitions bounds the partitions one invocation runs at
	// once. Default defaults.MaxConcurrentPartitions (10).
	MaxConcurrentPartitions int
	// APILimits bound the consumer's calls to the third-party API; zero
	// fields take scheduleapi.DefaultLimits (10 s per attempt, 3 attempts,
	// a retry budget of scheduleapi.DefaultRetryBudgetFactor call
	// timeouts). The consumer stops starting records MinDeadlineMargin
	// before its deadline, which must be shorter than Timeout.
	APILimits scheduleapi.Limits
	// Coalesce lets the consumer fetch and push once per run of a period's
	// consecutive records in a batch instead of once per record; outcomes
	// are the same. nil means defaults.Coalesce (true); new(false) processes
	// one record at a time.
	Coalesce *bool
	// EventSourceMetrics sets the event source mapping's MetricsConfig to
	// EventCount, so Lambda publishes how many events it polled, invoked,
	// filtered, failed and dropped (billed as custom metrics). nil means
	// defaults.EventSourceMetrics (true).
	EventSourceMetrics *bool
	// IsolateAfterSeconds is the age (from its arrival in the stream or
	// queue) from which the consumer takes a record whose period fails
	// while other periods succeed out of line: it sends the record whole to
	// an isolated queue (Consumer.IsolatedQueue, alarmed, output
	// IsolatedQueueUrl) instead of blocking its shard or message group.
	// Keep it below the Kinesis MaxRecordAge and within a FIFO queue's
	// receives (infra/config checks both). nil means
	// defaults.IsolateAfterSeconds (180); new(0) turns isolation off.
	IsolateAfterSeconds *int

	// AlarmTopicArn is an SNS topic for alarm and OK actions. Default: alarms
	// without actions.
	AlarmTopicArn string
	// RemovalPolicy of the bus, stream, queues and log groups. Default
	// defaults.RemovalPolicy (RETAIN).
	RemovalPolicy awscdk.RemovalPolicy

	// EncryptionKey is the customer managed key of everything that stores
	// events: a created bus and its archive, the stream, every queue, the
	// on-failure bucket and the log groups. Each construct grants the
	// roles it wires exactly what they use on it, and the relay adds the
	// statements for the services that use it as themselves to its policy
	// (Relay.KeyPolicy; an imported key's owner adds them, and
	// keypolicy.AccountIAM). Default nil: AWS owned and managed keys, as
	// defaults.KMSKey.
	EncryptionKey awskms.IKey
	// APIKeySecretKey is the customer managed key of APIKeySecret, which
	// the consumer may decrypt with through Secrets Manager. Default nil:
	// the secret uses aws/secretsmanager.
	APIKeySecretKey awskms.IKey
}

// Relay is what both relays build alike. Its fields are the created
// resources, exported so an app can extend them (more rules on the bus, more
// alarms, grants on the consumer's role).
type Relay struct {
	constructs.Construct
	// Ingress holds the bus (created or imported) and the base event pattern
	// every rule of the relay extends.
	Ingress *Ingress
	// TargetDeadLetterQueue receives the events EventBridge could not deliver
	// to the stream or queue.
	TargetDeadLetterQueue awssqs.Queue
	// Consumer is the function, its role, log group and poison queue.
	Consumer *Consumer
	// Alarms holds the relay's alarms; add more with its methods.
	Alarms *Alarms
	// KeyPolicy are the statements EncryptionKey's policy must hold for
	// the services that use it as themselves; nil without a key. A created
	// key has them; the owner of an imported one adds them.
	KeyPolicy []keypolicy.Statement

	key awskms.IKey
	// Dashboard follows an event through the relay and charts every alarm.
	Dashboard awscloudwatch.Dashboard
}

// PropsError lists every missing or conflicting Props field, so they can be
// fixed in one pass. Nothing is created when it is returned.
type PropsError struct {
	// Construct is the relay's construct id.
	Construct string
	Problems  []string
}

func (e *PropsError) Error() string {
	return fmt.Sprintf("relay %q: %s", e.Construct, strings.Join(e.Problems, "; "))
}

// problems returns what is missing or contradictory. The ranges of numeric
// settings are left to CloudFormation's validation (and, for cdk.json users,
// to infra/config, which checks every key before the relays exist).
func (p RelayProps) problems() []string {
	var out []string
	if p.Code == nil {
		out = append(out, "Code is required: the bundled consumer, a directory asset holding `bootstrap`")
	}
	if p.APIBaseURL == "" {
		out = append(out, "APIBaseURL is required: the https base URL of the schedule API")
	}
	if p.APIKeySecret == "" {
		out = append(out, "APIKeySecret is required: the name or ARN of an existing Secrets Manager secret")
	}
	limits := p.APILimits.WithDefaults()
	if err := limits.Validate(); err != nil {
		out = append(out, "APILimits: "+err.Error())
	} else if err := limits.CheckTimeout(p.timeout()); err != nil {
		out = append(out, "APILimits and Timeout: "+err.Error())
	}
	if l := p.BusLogLevel; l != "" && !slices.Contains(BusLogLevels(), l) {
		out = append(out, fmt.Sprintf("BusLogLevel %q: must be one of %s", l, strings.Join(BusLogLevels(), ", ")))
	} else if l != "" && l != defaults.BusLogLevel && p.ExistingBus != "" {
		out = append(out, fmt.Sprintf("BusLogLevel %q and ExistingBus %q: only a created bus's logging is configured here; configure an existing bus where it is managed, or set BusLogLevel to %q", l, p.ExistingBus, defaults.BusLogLevel))
	}
	if p.BusName != "" && p.ExistingBus != "" {
		out = append(out, fmt.Sprintf("BusName %q and ExistingBus %q: set one of them, not both", p.BusName, p.ExistingBus))
	}
	if i := p.IsolateAfterSeconds; i != nil && *i < 0 {
		out = append(out, fmt.Sprintf("IsolateAfterSeconds %d: must be 0 (isolation off) or more", *i))
	}
	if a := p.ArchiveRetentionDays; a != nil && *a < 0 {
		out = append(out, fmt.Sprintf("ArchiveRetentionDays %d: must be 0 (no archive) or more", *a))
	} else if a != nil && *a > 0 && p.ExistingBus != "" {
		out = append(out, fmt.Sprintf("ArchiveRetentionDays %d and ExistingBus %q: only a created bus is archived; archive an existing bus where it is managed, or set ArchiveRetentionDays to 0", *a, p.ExistingBus))
	}
	return out
}

// withDefaults fills the zero fields the relays read themselves; NewConsumer
// and NewKeyedPipe fill MemoryMiB and LogRetention from the same defaults.
func (p RelayProps) withDefaults() RelayProps {
	if p.Sources == nil {
		p.Sources = defaults.Sources()
	}
	if p.ArchiveRetentionDays == nil {
		p.ArchiveRetentionDays = new(0)
		if p.ExistingBus == "" {
			p.ArchiveRetentionDays = new(defaults.ArchiveRetentionDays)
		}
	}
	if p.DetailTypes == nil {
		p.DetailTypes = defaults.DetailTypes()
	}
	if p.TargetRetryAttempts == nil {
		p.TargetRetryAttempts = new(defaults.TargetRetryAttempts)
	}
	if p.TargetMaxEventAge == nil {
		p.TargetMaxEventAge = seconds(defaults.TargetMaxEventAgeSeconds)
	}
	if p.Timeout == nil {
		p.Timeout = seconds(defaults.FunctionTimeoutSeconds)
	}
	if p.MaxConcurrentPartitions == 0 {
		p.MaxConcurrentPartitions = defaults.MaxConcurrentPartitions
	}
	if p.Coalesce == nil {
		p.Coalesce = new(defaults.Coalesce)
	}
	if p.EventSourceMetrics == nil {
		p.EventSourceMetrics = new(defaults.EventSourceMetrics)
	}
	if p.IsolateAfterSeconds == nil {
		p.IsolateAfterSeconds = new(defaults.IsolateAfterSeconds)
	}
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = defaultRemovalPolicy()
	}
	return p
}

// newRelay creates the relay's construct and its ingress.
func newRelay(scope constructs.Construct, id string, p RelayProps) *Relay {
	r := &Relay{Construct: constructs.NewConstruct(scope, jsii.String(id)), key: p.EncryptionKey}
	r.Ingress = NewIngress(r.Construct, "Ingress", IngressProps{
		BusName:       p.BusName,
		ExistingBus:   p.ExistingBus,
		Sources:       p.Sources,
		DetailTypes:   p.DetailTypes,
		RemovalPolicy: p.RemovalPolicy,
		EncryptionKey: p.EncryptionKey,
		LogLevel:      p.BusLogLevel,
		LogRetention:  p.LogRetention,
		// Filled by withDefaults.
		ArchiveRetentionDays: *p.ArchiveRetentionDays,
	})
	if p.EncryptionKey != nil {
		r.KeyPolicy = keypolicy.ServiceStatements(keyWhere(awscdk.Stack_Of(r.Construct), r.Ingress.CreatedBusName(), r.Ingress.Archive != nil))
		addKeyPolicy(p.EncryptionKey, r.KeyPolicy)
	}
	return r
}

// newTargetDeadLetterQueue is where EventBridge puts events it could not
// deliver. EventBridge requires a standard queue here, even for a FIFO target.
func (r *Relay) newTargetDeadLetterQueue(p RelayProps) {
	r.TargetDeadLetterQueue = NewSecureQueue(r.Construct, "TargetDeadLetterQueue", SecureQueueProps{RemovalPolicy: p.RemovalPolicy, EncryptionKey: p.EncryptionKey})
	MarkAsDeadLetterQueue(r.TargetDeadLetterQueue, "EventBridge rule target DLQ")
}

func (r *Relay) newConsumer(p RelayProps) {
	r.Consumer = NewConsumer(r.Construct, "Consumer", ConsumerProps{
		Code:                    p.Code,
		MemoryMiB:               p.MemoryMiB,
		Timeout:                 p.Timeout,
		ReservedConcurrency:     p.ReservedConcurrency,
		LogRetention:            p.LogRetention,
		APIBaseURL:              p.APIBaseURL,
		APIKeySecret:            p.APIKeySecret,
		PeriodPath:              p.PeriodPath,
		MaxConcurrentPartitions: p.MaxConcurrentPartitions,
		APILimits:               p.APILimits,
		Coalesce:                p.Coalesce,
		IsolateAfterSeconds:     p.IsolateAfterSeconds,
		RemovalPolicy:           p.RemovalPolicy,
		EncryptionKey:           p.EncryptionKey,
		APIKeySecretKey:         p.APIKeySecretKey,
	})
}

// alarmIsolated alarms on any record in the isolated queue, when there is
// one: its period kept failing while others succeeded, and it waits there
// for make redrive.
func (r *Relay) alarmIsolated() {
	if q := r.Consumer.IsolatedQueue; q != nil {
		r.Alarms.QueueNotEmpty("IsolatedEvents", q, "The isolated queue")
	}
}

// newDashboard creates the relay's dashboard, once every alarm exists, and
// names it in an output.
func (r *Relay) newDashboard(p DashboardProps) {
	p.Ingress, p.Function, p.Alarms = r.Ingress, r.Consumer.Function, r.Alarms
	if q := r.Consumer.IsolatedQueue; q != nil {
		// A nil Queue in the interface would read as a queue.
		p.IsolatedQueue = q
	}
	r.Dashboard = NewDashboard(r.Construct, "Dashboard", p)
	r.output(outputs.DashboardName, r.Dashboard.DashboardName(), "CloudWatch dashboard: an event's path through the stack, every alarm's metric and state")
}

// consumerOutputs declares the outputs both relays share; the deploy tools
// read them back by the names in package outputs.
func (r *Relay) consumerOutputs() {
	r.output(outputs.EventBusName, r.Ingress.Bus.EventBusName(), "Put events here")
	r.output(outputs.EventBusArn, r.Ingress.Bus.EventBusArn(), "The bus: a replay's destination")
	if r.Ingress.Archive != nil {
		r.output(outputs.ArchiveArn, r.Ingress.Archive.ArchiveArn(), "Archive of the relay's events: start a replay from it (README: Archive and replay)")
	}
	if r.Ingress.Logs != nil {
		r.output(outputs.BusLogGroupName, r.Ingress.Logs.LogGroup.LogGroupName(), "The bus's logs (bus.logLevel)")
	}
	r.output(outputs.FunctionName, r.Consumer.Function.FunctionName(), "The consumer")
	r.output(outputs.LogGroupName, r.Consumer.LogGroup.LogGroupName(), "The consumer's log group: one JSON line per record")
	r.output(outputs.PoisonQueueURL, r.Consumer.PoisonQueue.QueueUrl(), "Events the consumer can never apply")
	r.output(outputs.TargetDeadLetterQueueURL, r.TargetDeadLetterQueue.QueueUrl(), "Events EventBridge could not deliver")
	if q := r.Consumer.IsolatedQueue; q != nil {
		r.output(outputs.IsolatedQueueURL, q.QueueUrl(), "Records taken out of line because their period kept failing while others succeeded")
	}
	if r.key != nil {
		r.output(outputs.EncryptionKeyArn, r.key.KeyArn(), "The customer managed key of the bus, stream, queues, bucket and log groups")
	}
}

func (r *Relay) output(id string, value *string, description string) {
	awscdk.NewCfnOutput(r.Construct, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
}

func seconds(n int) awscdk.Duration { return awscdk.Duration_Seconds(jsii.Number(float64(n))) }

func hours(n int) awscdk.Duration { return awscdk.Duration_Hours(jsii.Number(float64(n))) }

// timeout is the consumer timeout the props ask for, default included.
func (p RelayProps) timeout() time.Duration {
	if p.Timeout == nil {
		return time.Duration(defaults.FunctionTimeoutSeconds) * time.Second
	}
	return time.Duration(*p.Timeout.ToMilliseconds(nil)) * time.Millisecond
}

// eventSourceMetrics is the MetricsConfig of the relay's event source
// mapping: EventCount, or nil for none. Filled by withDefaults.
func (p RelayProps) eventSourceMetrics() *awslambda.MetricsConfig {
	if !*p.EventSourceMetrics {
		return nil
	}
	return &awslambda.MetricsConfig{Metrics: &[]awslambda.MetricType{awslambda.MetricType_EVENT_COUNT}}
}

// eventSourceID is the mapping's id for the dashboard when it publishes
// EventCount metrics, nil otherwise. Filled by withDefaults.
func (p RelayProps) eventSourceID(id *string) *string {
	if !*p.EventSourceMetrics {
		return nil
	}
	return id
}
