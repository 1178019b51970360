// Package stacks assembles orderly's constructs into KinesisStack and
// FifoStack from one validated config.Config.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
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

var retention = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

func retentionDays(c config.Config) awslogs.RetentionDays {
	return retention[c.Function.LogRetentionDays]
}

func removalPolicy(c config.Config) awscdk.RemovalPolicy {
	if c.RemovalPolicy == config.Destroy {
		return awscdk.RemovalPolicy_DESTROY
	}
	return awscdk.RemovalPolicy_RETAIN
}

func seconds(n int) awscdk.Duration { return awscdk.Duration_Seconds(jsii.Number(float64(n))) }

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

func newIngress(stack constructs.Construct, c config.Config) *relay.Ingress {
	return relay.NewIngress(stack, "Ingress", relay.IngressProps{
		BusName:       c.Bus.Name,
		ExistingBus:   c.Bus.Existing,
		Sources:       c.Rule.Sources,
		DetailTypes:   c.Rule.DetailTypes,
		RemovalPolicy: removalPolicy(c),
	})
}

func newConsumer(stack constructs.Construct, props Props) *relay.Consumer {
	c := props.Config
	return relay.NewConsumer(stack, "Consumer", relay.ConsumerProps{
		Code:                    props.Code(),
		MemoryMiB:               c.Function.MemoryMiB,
		Timeout:                 seconds(c.Function.TimeoutSeconds),
		ReservedConcurrency:     c.Function.ReservedConcurrency,
		LogRetention:            retentionDays(c),
		APIBaseURL:              c.Function.APIBaseURL,
		APIKeySecret:            c.Function.APIKeySecret,
		MaxConcurrentPartitions: c.Function.MaxConcurrentPartitions,
		DisableCoalescing:       !c.Function.Coalesce,
		RemovalPolicy:           removalPolicy(c),
	})
}

// newTargetDeadLetterQueue is where EventBridge puts events it could not
// deliver. EventBridge requires a standard queue here, even for a FIFO target.
func newTargetDeadLetterQueue(stack constructs.Construct, c config.Config) awssqs.Queue {
	q := relay.NewSecureQueue(stack, "TargetDeadLetterQueue", relay.SecureQueueProps{RemovalPolicy: removalPolicy(c)})
	relay.MarkAsDeadLetterQueue(q, "EventBridge rule target DLQ")
	return q
}

func output(scope constructs.Construct, id string, value *string, description string) {
	awscdk.NewCfnOutput(scope, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
}
