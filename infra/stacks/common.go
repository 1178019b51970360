// Package stacks maps one validated config.Config onto the relay constructs
// (infra/relay) and puts each relay in its stack: KinesisStack and FifoStack.
// The relays own what is built and its defaults; this package owns only the
// stacks' names, descriptions, environment and tags.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/relay"
)

// Props is shared by both stacks.
type Props struct {
	awscdk.StackProps
	// Config is the validated configuration. Required.
	Config config.Config
	// Code returns the bundled consumer. Required. A Code asset belongs to one
	// stack, so each stack asks for its own.
	Code func() awslambda.Code
}

// relayID is the relay's construct id inside its stack. CDK leaves a path
// component named "Default" out of logical ids, so the resources keep the
// logical ids they had when the stacks built them directly: a deployed stack
// updates in place instead of replacing its stream, queues and bus.
const relayID = "Default"

func newStack(scope constructs.Construct, id, kind, description string, props Props) awscdk.Stack {
	sp := props.StackProps
	c := props.Config
	sp.StackName = jsii.String(c.StackName(kind))
	sp.Description = jsii.String(description)
	sp.TerminationProtection = jsii.Bool(c.TerminationProtection)
	if sp.Env == nil && (c.Account != "" || c.Region != "") {
		sp.Env = &awscdk.Environment{}
		if c.Account != "" {
			sp.Env.Account = jsii.String(c.Account)
		}
		if c.Region != "" {
			sp.Env.Region = jsii.String(c.Region)
		}
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &sp)
	stack.AddMetadata(jsii.String(config.EnvMetadataKey), c.Env)
	awscdk.Tags_Of(stack).Add(jsii.String("orderly:env"), jsii.String(c.Env), nil)
	awscdk.Tags_Of(stack).Add(jsii.String("orderly:stack"), jsii.String(kind), nil)
	return stack
}

// encryptionKey is the key encryption.kmsKey names for stack: nil for
// none, a key the stack creates (one per stack, rotated yearly, removed
// with the environment's removal policy), or the imported key.
func encryptionKey(stack awscdk.Stack, c config.Config, removal awscdk.RemovalPolicy) awskms.IKey {
	switch {
	case !c.Encryption.Enabled():
		return nil
	case c.Encryption.CreatesKey():
		return awskms.NewKey(stack, jsii.String("EncryptionKey"), &awskms.KeyProps{
			Description:       jsii.String("orderly (" + c.Env + "): the bus, its archive, the stream or queues, the on-failure bucket and the log groups of " + *stack.StackName()),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     removal,
		})
	default:
		return awskms.Key_FromKeyArn(stack, jsii.String("EncryptionKey"), jsii.String(c.Encryption.ImportedKeyARN()))
	}
}

// relayProps maps the config onto the settings both relays share. Every
// field is set from the config (whose defaults come from the same package
// as the relays'), so nothing here falls back to a relay default.
func relayProps(stack awscdk.Stack, kind string, props Props) relay.RelayProps {
	c := props.Config
	// The config accepts only retentions CloudWatch Logs offers and the
	// removal policies CDK has (a relay test pins the lists to each other).
	retention, _ := relay.LogRetention(c.Function.LogRetentionDays)
	removal, _ := relay.RemovalPolicyOf(string(c.RemovalPolicy))
	p := relay.RelayProps{
		Code:         props.Code(),
		APIBaseURL:   c.Function.APIBaseURL,
		APIKeySecret: c.Function.APIKeySecret,
		PeriodPath:   c.PeriodPath,
		APILimits:    c.APILimits(kind),
		ExistingBus:  c.Bus.Existing,
		// The config leaves 0 (none) with an existing bus.
		ArchiveRetentionDays: new(c.Bus.ArchiveRetentionDays),
		Sources:              c.Rule.Sources,
		// Never nil: an empty list in the config matches any detail-type.
		DetailTypes:             append([]string{}, c.Rule.DetailTypes...),
		TargetRetryAttempts:     new(c.Target.RetryAttempts),
		TargetMaxEventAge:       seconds(c.Target.MaxEventAgeSeconds),
		MemoryMiB:               c.Function.MemoryMiB,
		Timeout:                 seconds(c.Function.TimeoutSeconds),
		ReservedConcurrency:     c.Function.ReservedConcurrency,
		LogRetention:            retention,
		MaxConcurrentPartitions: c.Function.MaxConcurrentPartitions,
		Coalesce:                new(c.Function.Coalesce),
		EventSourceMetrics:      new(c.Function.EventSourceMetrics),
		IsolateAfterSeconds:     new(c.Isolation.AfterSeconds),
		BusLogLevel:             string(c.Bus.LogLevel),
		AlarmTopicArn:           c.Alarms.TopicArn,
		RemovalPolicy:           removal,
		EncryptionKey:           encryptionKey(stack, c, removal),
	}
	if arn := c.Function.APIKeySecretKMSKey; arn != "" {
		p.APIKeySecretKey = awskms.Key_FromKeyArn(stack, jsii.String("ApiKeySecretKey"), jsii.String(arn))
	}
	// The config always derives a bus name; it names the bus only when the
	// stack creates one.
	if c.Bus.Existing == "" {
		p.BusName = c.Bus.Name
	}
	return p
}

func seconds(n int) awscdk.Duration { return awscdk.Duration_Seconds(jsii.Number(float64(n))) }

func hours(n int) awscdk.Duration { return awscdk.Duration_Hours(jsii.Number(float64(n))) }
