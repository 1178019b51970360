package relay

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// sqsTarget is one rule delivering to a FIFO queue under a static group.
type sqsTarget struct {
	rule  awsevents.Rule
	group string
}

// sqsTargetPolicy is what EventBridge's delivery of a rule needs.
type sqsTargetPolicy struct {
	dlq           awssqs.IQueue
	retryAttempts int
	maxEventAge   awscdk.Duration
}

// addSQSTargets points every rule at queue under its message group, with
// the target dead-letter queue and retry policy, and lets EventBridge send
// to both queues in one statement each that names every rule. CDK's SQS
// target would add one statement per rule to both queue policies, and SQS
// caps a queue policy at 20 statements and 8 KB, which 17 static groups
// would already exceed: the stack would synthesize and then fail to deploy.
func addSQSTargets(queue awssqs.IQueue, targets []sqsTarget, p sqsTargetPolicy) {
	ruleArns := make([]*string, len(targets))
	for i, t := range targets {
		ruleArns[i] = t.rule.RuleArn()
		// Set on the L1 rule (not as a raw override) so that tools reading
		// the construct tree, cdk-nag among them, see the target.
		cfn := t.rule.Node().DefaultChild().(awsevents.CfnRule)
		cfn.SetTargets(&[]any{&awsevents.CfnRule_TargetProperty{
			Id:               jsii.String("Target0"),
			Arn:              queue.QueueArn(),
			SqsParameters:    &awsevents.CfnRule_SqsParametersProperty{MessageGroupId: jsii.String(t.group)},
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: p.dlq.QueueArn()},
			RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
				MaximumRetryAttempts:     jsii.Number(float64(p.retryAttempts)),
				MaximumEventAgeInSeconds: p.maxEventAge.ToSeconds(nil),
			},
		}})
	}
	fromRules := &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleArns}}
	events := &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)}
	queue.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBridgeRulesSend"),
		Principals: events,
		Actions:    jsii.Strings("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"),
		Resources:  jsii.Strings(*queue.QueueArn()),
		Conditions: fromRules,
	}))
	allowRuleDeadLetters(p.dlq, ruleArns)
}

// allowRuleDeadLetters lets EventBridge put the events the rules could not
// deliver into dlq. Without it the dead-letter send fails too, and the
// event is gone (InvocationsFailedToBeSentToDlq): a target's dead-letter
// queue must say so in its own policy, and CDK's Kinesis target, unlike
// its SQS one, does not add the statement.
func allowRuleDeadLetters(dlq awssqs.IQueue, ruleArns []*string) {
	dlq.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBridgeRulesDeadLetter"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  jsii.Strings(*dlq.QueueArn()),
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": ruleArns}},
	}))
}
