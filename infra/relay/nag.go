package relay

import (
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppress records a cdk-nag suppression on one construct, with the reason a
// reviewer needs and, where the rule reports findings, only those findings.
func suppress(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		findings := make([]interface{}, len(appliesTo))
		for i, a := range appliesTo {
			findings[i] = a
		}
		s.AppliesTo = &findings
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(false))
}

// MarkAsDeadLetterQueue suppresses the "has no DLQ" findings on a queue that
// is itself the last stop of failed messages (a rule target DLQ, a Lambda
// on-failure destination, the poison queue): a DLQ behind it would only hide
// the failures its alarm is there to show.
func MarkAsDeadLetterQueue(q constructs.IConstruct, role string) {
	reason := "This queue is itself a dead-letter destination (" + role + ") and is alarmed on any message; a further DLQ would hide failures."
	suppress(q, "AwsSolutions-SQS3", reason)
	suppress(q, "Serverless-SQSRedrivePolicy", reason)
}

// MarkQueueEventSource suppresses the "no on-failure destination" finding on
// a function's SQS event source mapping: Lambda supports on-failure
// destinations only for stream sources; for a queue the redrive policy's
// DLQ is the destination, and the stacks always configure one.
func MarkQueueEventSource(fn constructs.IConstruct) {
	for _, child := range *fn.Node().Children() {
		if strings.HasPrefix(*child.Node().Id(), "SqsEventSource:") {
			suppress(child, "Serverless-LambdaEventSourceMappingDestination",
				"SQS event source mappings take no on-failure destination; the queue's redrive policy moves failing messages to its FIFO dead-letter queue.")
		}
	}
}
