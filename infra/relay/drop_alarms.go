package relay

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awspipes"

	"github.com/orderly-dev/orderly/infra/awsmetrics"
)

// The alarms on the places where AWS itself drops an event, or holds it
// back until it may be dropped, that the relay's failure stores (the
// dead-letter queues, the poison queue, the on-failure bucket) cannot show:
// a delivery that failed on its way to a store, or a store that could not
// be written. Each description says what was dropped and where to look.
// Like every orderly alarm they treat missing data as not breaching: AWS
// publishes these metrics only when they are not zero.

// RuleDelivery alarms on both ways a rule's delivery to its target ends
// without the event arriving: FailedInvocations (EventBridge gave up and
// put the event on the target dead-letter queue) and
// InvocationsFailedToBeSentToDlq (it could not put it there either, so the
// event is lost). ruleID names the alarms (<ruleID>FailedInvocations,
// <ruleID>DeadLetterSendFailures); what names the rule's target for a
// reader ("the stream", "message group g2 of the queue"), and the alarm's
// RuleName dimension names the rule.
func (a *Alarms) RuleDelivery(ruleID string, rule awsevents.IRule, bus *Ingress, what string) {
	a.Above(ruleID+"FailedInvocations", RuleMetric(awsmetrics.FailedInvocations, rule, bus), 0, fmt.Sprintf(
		"EventBridge gave up delivering events to %s after its retries (target.retryAttempts, target.maxEventAgeSeconds) "+
			"and put them on the rule target dead-letter queue (output TargetDeadLetterQueueUrl). "+
			"Look at why the target refused them (throttling, permissions, encryption), then make redrive.", what))
	a.Above(ruleID+"DeadLetterSendFailures", RuleMetric(awsmetrics.InvocationsFailedToBeSentToDlq, rule, bus), 0, fmt.Sprintf(
		"EventBridge failed to deliver events to %s and could not put them on the rule target dead-letter queue either: "+
			"those events are lost. Check that the dead-letter queue exists and that its policy lets this rule send; "+
			"then replay the window from the bus archive (README: Archive and replay).", what))
}

// OnFailureDeliveryFailures alarms when Lambda discarded a Kinesis batch
// (its retries or record age ran out) and could not write the invocation
// record to the on-failure destination: the batch is then in no failure
// store at all.
func (a *Alarms) OnFailureDeliveryFailures(id string, fn awslambda.IFunction) awscloudwatch.Alarm {
	return a.Above(id, FunctionMetric(awsmetrics.DestinationDeliveryFailures, fn), 0,
		"Lambda discarded a Kinesis batch (kinesis.retryAttempts or kinesis.maxRecordAgeSeconds ran out) and could not write its "+
			"invocation record to the on-failure bucket (output OnFailureBucketName): the batch's records are lost from the pipeline "+
			"and leave the stream when its retention ends. Check the bucket, its policy and the consumer role's grant on it; "+
			"replay the window from the bus archive.")
}

// ConsumerThrottles alarms when Lambda throttled the consumer. A throttled
// Kinesis batch waits and holds its shard; a throttled SQS batch returns
// after the visibility timeout with each receive counted, so throttling
// alone can move FIFO messages to the dead-letter queue.
func (a *Alarms) ConsumerThrottles(id string, fn awslambda.IFunction) awscloudwatch.Alarm {
	return a.Above(id, FunctionMetric(awsmetrics.Throttles, fn), 0,
		"Lambda throttled the consumer: no concurrency was left (function.reservedConcurrency, or the account's unreserved pool). "+
			"Kinesis batches wait and the iterator age grows; SQS messages come back after the visibility timeout and every throttled "+
			"receive counts toward fifo.maxReceiveCount, so throttled messages can land in the FIFO dead-letter queue. "+
			"Raise function.reservedConcurrency to cover shards x parallelization factor or the active message groups.")
}

// PipeFailures alarms on each of the pipe's failure metrics
// (awsmetrics.PipeFailures), as <id><metric>. A failed execution leaves
// its messages on the pipe's source queue to be retried, and after the
// queue's maxReceiveCount they move to its dead-letter queue.
func (a *Alarms) PipeFailures(id string, pipe awspipes.CfnPipe) {
	for _, name := range awsmetrics.PipeFailures() {
		a.Above(id+name, PipeMetric(name, pipe), 0, fmt.Sprintf(
			"The keyed pipe counted %s: those executions did not forward their ingest messages to the consumer queue. "+
				"The messages stay on the ingest queue and are retried; after fifo.maxReceiveCount receives they move to the "+
				"ingest dead-letter queue (output IngestDeadLetterQueueUrl). Look at the pipe's ERROR log group and its role.", name))
	}
}
