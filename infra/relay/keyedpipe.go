package relay

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awspipes"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// KeyedPipeProps configures NewKeyedPipe.
type KeyedPipeProps struct {
	// Source is the FIFO queue the rule delivers to. Required.
	Source awssqs.IQueue
	// Target is the FIFO queue the consumer reads. Required.
	Target awssqs.IQueue
	// GroupIDPath is the Pipes JSON path of the message group id, e.g.
	// "$.body.detail.scheduleDate". Required.
	GroupIDPath string
	// BatchSize read from Source per pipe invocation. Default 10, the FIFO maximum.
	BatchSize int
	// LogRetention of the pipe's error log. Default defaults.LogRetentionDays
	// (ONE_MONTH).
	LogRetention awslogs.RetentionDays
	// RemovalPolicy of the log group. Default defaults.RemovalPolicy
	// (RETAIN).
	RemovalPolicy awscdk.RemovalPolicy
	// EncryptionKey is the key of Source, Target and the log group; the
	// role is granted what reading the one and sending to the other need.
	// Default nil: the queues' own encryption and an AWS-owned log key.
	EncryptionKey awskms.IKey
}

// KeyedPipe moves messages from one FIFO queue to another, setting a dynamic
// MessageGroupId. An EventBridge rule can only set a static group id; a pipe
// can take it from the message, which gives one group per partition key.
type KeyedPipe struct {
	constructs.Construct
	Pipe awspipes.CfnPipe
	Role awsiam.Role
}

// NewKeyedPipe creates the pipe and its least-privilege role.
func NewKeyedPipe(scope constructs.Construct, id string, props KeyedPipeProps) *KeyedPipe {
	if props.BatchSize == 0 {
		props.BatchSize = 10
	}
	if props.LogRetention == "" {
		props.LogRetention = defaultLogRetention()
	}
	if props.RemovalPolicy == "" {
		props.RemovalPolicy = defaultRemovalPolicy()
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("pipes.amazonaws.com"), nil),
		Description: jsii.String("orderly keyed pipe: consume the ingest queue, send to the consumer queue"),
	})
	props.Source.GrantConsumeMessages(role)
	props.Target.GrantSendMessages(role)
	grantKey(props.EncryptionKey, role, keyReader)
	grantKey(props.EncryptionKey, role, keyQueueSender)
	logs := awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     props.LogRetention,
		RemovalPolicy: props.RemovalPolicy,
		EncryptionKey: props.EncryptionKey,
	})
	logs.GrantWrite(role)

	pipe := awspipes.NewCfnPipe(c, jsii.String("Pipe"), &awspipes.CfnPipeProps{
		RoleArn:     role.RoleArn(),
		Source:      props.Source.QueueArn(),
		Target:      props.Target.QueueArn(),
		Description: jsii.String("orderly: one message group per partition key"),
		SourceParameters: &awspipes.CfnPipe_PipeSourceParametersProperty{
			SqsQueueParameters: &awspipes.CfnPipe_PipeSourceSqsQueueParametersProperty{
				BatchSize: jsii.Number(float64(props.BatchSize)),
			},
		},
		TargetParameters: &awspipes.CfnPipe_PipeTargetParametersProperty{
			SqsQueueParameters: &awspipes.CfnPipe_PipeTargetSqsQueueParametersProperty{
				MessageGroupId: jsii.String(props.GroupIDPath),
				// The ingest message id is unique per ingest message, so a
				// pipe retry is deduplicated while distinct events never are.
				MessageDeduplicationId: jsii.String("$.messageId"),
			},
		},
		LogConfiguration: &awspipes.CfnPipe_PipeLogConfigurationProperty{
			Level: jsii.String("ERROR"),
			CloudwatchLogsLogDestination: &awspipes.CfnPipe_CloudwatchLogsLogDestinationProperty{
				LogGroupArn: logs.LogGroupArn(),
			},
		},
	})
	// The role's policy must exist before the pipe starts polling.
	pipe.Node().AddDependency(role)
	return &KeyedPipe{Construct: c, Pipe: pipe, Role: role}
}
