package relay

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
)

// ConsumerProps configures NewConsumer.
type ConsumerProps struct {
	// Code is the bundled consumer. Required.
	Code awslambda.Code
	// MemoryMiB. Default defaults.FunctionMemoryMiB (256).
	MemoryMiB int
	// Timeout. Default defaults.FunctionTimeoutSeconds (60 seconds).
	Timeout awscdk.Duration
	// ReservedConcurrency. Default 0: unreserved.
	ReservedConcurrency int
	// LogRetention of the function's log group. Default
	// defaults.LogRetentionDays (ONE_MONTH).
	LogRetention awslogs.RetentionDays
	// APIBaseURL of the schedule API. Required.
	APIBaseURL string
	// APIKeySecret is the name, partial ARN or complete ARN of an existing
	// secret. Required. The function may read this secret only.
	APIKeySecret string
	// PeriodPath is where the consumer reads each event's period: it must be
	// the path delivery is keyed on. The zero value is defaults.PeriodPath;
	// always written to the environment, so the template states it.
	PeriodPath schedule.PeriodPath
	// MaxConcurrentPartitions bounds partitions per invocation. Default: the consumer's own (10).
	MaxConcurrentPartitions int
	// APILimits bound the calls to the third-party API; zero fields take
	// scheduleapi.DefaultLimits. The consumer's deadline margin is derived
	// from them; both are written to the environment.
	APILimits scheduleapi.Limits
	// Coalesce lets the consumer fetch and push once per run of a period's
	// records instead of once per record. nil means defaults.Coalesce
	// (true); always written to the environment, so the template states it.
	Coalesce *bool
	// IsolateAfterSeconds is the age (from its arrival in the stream or
	// queue) from which the consumer takes a record whose period fails
	// while other periods succeed out of line, into IsolatedQueue. nil
	// means defaults.IsolateAfterSeconds (180); new(0) turns isolation
	// off, and no isolated queue is created.
	IsolateAfterSeconds *int
	// RemovalPolicy of the log group, poison queue and isolated queue.
	// Default defaults.RemovalPolicy (RETAIN).
	RemovalPolicy awscdk.RemovalPolicy
	// EncryptionKey encrypts the log group, the poison queue and the
	// isolated queue; the role is granted what sending to them needs.
	// Default nil: an AWS-owned log key and SQS-managed keys.
	EncryptionKey awskms.IKey
	// APIKeySecretKey is the customer managed key of APIKeySecret: the
	// role may decrypt with it through Secrets Manager only. Default nil:
	// the secret uses aws/secretsmanager, which needs no grant.
	APIKeySecretKey awskms.IKey
}

// Consumer is the Go consumer function with its log group, its poison queue
// and least-privilege access to the API key secret.
type Consumer struct {
	constructs.Construct
	Function awslambda.Function
	Role     awsiam.Role
	// PoisonQueue receives events the consumer can never apply.
	PoisonQueue awssqs.Queue
	// IsolatedQueue receives records the consumer took out of line because
	// their period kept failing while others succeeded; nil when isolation
	// is off.
	IsolatedQueue awssqs.Queue
	LogGroup      awslogs.LogGroup
}

var completeSecretArnRE = regexp.MustCompile(`^arn:.*:secret:.+-[A-Za-z0-9]{6}$`)

// NewConsumer creates the function. Its role is built here, without the
// AWSLambdaBasicExecutionRole managed policy, so the function may write to its
// own log group and nothing else.
func NewConsumer(scope constructs.Construct, id string, props ConsumerProps) *Consumer {
	if props.MemoryMiB == 0 {
		props.MemoryMiB = defaults.FunctionMemoryMiB
	}
	if props.Timeout == nil {
		props.Timeout = seconds(defaults.FunctionTimeoutSeconds)
	}
	if props.LogRetention == "" {
		props.LogRetention = defaultLogRetention()
	}
	if props.RemovalPolicy == "" {
		props.RemovalPolicy = defaultRemovalPolicy()
	}
	if props.Coalesce == nil {
		props.Coalesce = new(defaults.Coalesce)
	}
	if props.IsolateAfterSeconds == nil {
		props.IsolateAfterSeconds = new(defaults.IsolateAfterSeconds)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	con := &Consumer{Construct: c}

	con.LogGroup = awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     props.LogRetention,
		RemovalPolicy: props.RemovalPolicy,
		EncryptionKey: props.EncryptionKey,
	})
	con.PoisonQueue = NewSecureQueue(c, "PoisonQueue", SecureQueueProps{RemovalPolicy: props.RemovalPolicy, EncryptionKey: props.EncryptionKey})
	if *props.IsolateAfterSeconds > 0 {
		// Standard, like the poison queue: an isolated record keeps its
		// place in no order, make redrive puts it back on the bus.
		con.IsolatedQueue = NewSecureQueue(c, "IsolatedQueue", SecureQueueProps{RemovalPolicy: props.RemovalPolicy, EncryptionKey: props.EncryptionKey})
	}
	con.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("orderly consumer: its log group, its poison queue, its API key secret and its event source"),
	})
	con.LogGroup.GrantWrite(con.Role)

	secret := importSecret(c, props.APIKeySecret)
	env := map[string]*string{
		envvar.APIBaseURL:     jsii.String(props.APIBaseURL),
		envvar.PoisonQueueURL: con.PoisonQueue.QueueUrl(),
		// The secret id as configured: Secrets Manager resolves a name or an
		// ARN, while a name-based import's ARN lacks the random suffix.
		envvar.APIKeySecretARN: jsii.String(props.APIKeySecret),
		envvar.PeriodPath:      jsii.String(props.PeriodPath.String()),
		envvar.Coalesce:        jsii.String(strconv.FormatBool(*props.Coalesce)),
	}
	limits := props.APILimits.WithDefaults()
	for name, ms := range map[string]time.Duration{
		envvar.APICallTimeoutMs: limits.CallTimeout,
		envvar.APIRetryBudgetMs: limits.RetryBudget,
		envvar.DeadlineMarginMs: limits.MinDeadlineMargin(),
	} {
		env[name] = jsii.String(strconv.FormatInt(ms.Milliseconds(), 10))
	}
	env[envvar.APIMaxAttempts] = jsii.String(strconv.Itoa(limits.MaxAttempts))
	if limits.RequestsPerSecond > 0 {
		env[envvar.APIRequestsPerSecond] = jsii.String(strconv.FormatFloat(limits.RequestsPerSecond, 'g', -1, 64))
	}
	if props.MaxConcurrentPartitions > 0 {
		env[envvar.MaxConcurrentPartitions] = jsii.String(strconv.Itoa(props.MaxConcurrentPartitions))
	}
	if con.IsolatedQueue != nil {
		env[envvar.IsolateAfterSeconds] = jsii.String(strconv.Itoa(*props.IsolateAfterSeconds))
		env[envvar.IsolatedQueueURL] = con.IsolatedQueue.QueueUrl()
	}

	fp := &awslambda.FunctionProps{
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         props.Code,
		MemorySize:   jsii.Number(float64(props.MemoryMiB)),
		Timeout:      props.Timeout,
		Role:         con.Role,
		LogGroup:     con.LogGroup,
		Tracing:      awslambda.Tracing_ACTIVE,
		Environment:  &env,
		Description:  jsii.String("orderly consumer: applies events in order per partition"),
	}
	if props.ReservedConcurrency > 0 {
		fp.ReservedConcurrentExecutions = jsii.Number(float64(props.ReservedConcurrency))
	}
	con.Function = awslambda.NewFunction(c, jsii.String("Function"), fp)
	secret.GrantRead(con.Role, nil)
	if completeSecretArnRE.MatchString(props.APIKeySecret) {
		// An ARN that looks complete may still be a partial one whose name
		// ends in "-" and six letters or digits ("…:secret:team/api-secret");
		// Secrets Manager then appends its own suffix. Grant that reading
		// too, or every record would fail with AccessDenied at run time.
		con.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
			Resources: jsii.Strings(props.APIKeySecret + "-??????"),
		}))
	}
	if props.APIKeySecretKey != nil {
		// Secrets Manager decrypts the secret with the caller's
		// permission; the condition keeps the role from using the key
		// for anything but reading secrets.
		con.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: jsii.Strings(*props.APIKeySecretKey.KeyArn()),
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": "secretsmanager." + *awscdk.Aws_REGION() + ".amazonaws.com",
			}},
		}))
	}
	con.PoisonQueue.GrantSendMessages(con.Role)
	// One grant on the key covers every queue it encrypts.
	grantKey(props.EncryptionKey, con.Role, keyQueueSender)
	MarkAsDeadLetterQueue(con.PoisonQueue, "events the consumer can never apply")
	if con.IsolatedQueue != nil {
		con.IsolatedQueue.GrantSendMessages(con.Role)
		MarkAsDeadLetterQueue(con.IsolatedQueue, "records the consumer took out of line because their period kept failing")
	}
	suppress(con.Role.Node().FindChild(jsii.String("DefaultPolicy")), "AwsSolutions-IAM5",
		"Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions.",
		"Resource::*")
	suppress(con.Function, "Serverless-LambdaDLQ",
		"The function is invoked only by its event source mapping, never asynchronously; failed records go to the mapping's on-failure destination or the queue's redrive DLQ.")
	return con
}

// importSecret picks the import that yields the narrowest IAM resource: a
// complete ARN is used as is; a name or partial ARN needs the "-??????"
// suffix wildcard that Secrets Manager appends to names.
func importSecret(scope constructs.Construct, ref string) awssecretsmanager.ISecret {
	id := jsii.String("ApiKeySecret")
	switch {
	case completeSecretArnRE.MatchString(ref):
		return awssecretsmanager.Secret_FromSecretCompleteArn(scope, id, jsii.String(ref))
	case strings.HasPrefix(ref, "arn:"):
		return awssecretsmanager.Secret_FromSecretPartialArn(scope, id, jsii.String(ref))
	default:
		return awssecretsmanager.Secret_FromSecretNameV2(scope, id, jsii.String(ref))
	}
}
