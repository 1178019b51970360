package test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/stacks"
)

const kinesisID = stacks.KinesisStackID

// TestKinesisOrderingSettings pins, for every environment, the properties
// that decide ordering and safety on the Kinesis path.
func TestKinesisOrderingSettings(t *testing.T) {
	for _, env := range environments(t) {
		t.Run(env, func(t *testing.T) {
			s := synth(t, env, nil)
			k := s.cfg.Kinesis

			_, stream := s.only(t, kinesisID, "AWS::Kinesis::Stream")
			expect(t, "ShardCount", stream["ShardCount"], float64(k.ShardCount))
			expect(t, "RetentionPeriodHours", stream["RetentionPeriodHours"], float64(k.RetentionHours))
			expect(t, "StreamEncryption", stream["StreamEncryption"], map[string]any{"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"})

			_, rule := s.only(t, kinesisID, "AWS::Events::Rule")
			target := rule["Targets"].([]any)[0].(map[string]any)
			expect(t, "PartitionKeyPath", target["KinesisParameters"], map[string]any{"PartitionKeyPath": s.cfg.PeriodPath.String()})
			expect(t, "RetryPolicy", target["RetryPolicy"], map[string]any{
				"MaximumRetryAttempts":     float64(s.cfg.Target.RetryAttempts),
				"MaximumEventAgeInSeconds": float64(s.cfg.Target.MaxEventAgeSeconds),
			})
			dlq := s.queueByGetAtt(t, kinesisID, target["DeadLetterConfig"].(map[string]any)["Arn"])
			expect(t, "target DLQ is a standard queue", dlq["FifoQueue"], nil)

			_, esm := s.only(t, kinesisID, "AWS::Lambda::EventSourceMapping")
			expect(t, "BatchSize", esm["BatchSize"], float64(k.BatchSize))
			expect(t, "ParallelizationFactor", esm["ParallelizationFactor"], float64(k.ParallelizationFactor))
			expect(t, "StartingPosition", esm["StartingPosition"], string(k.StartingPosition))
			expect(t, "MaximumRetryAttempts", retryAttempts(esm), float64(k.RetryAttempts))
			expect(t, "MaximumRecordAgeInSeconds", esm["MaximumRecordAgeInSeconds"], float64(k.MaxRecordAgeSeconds))
			expect(t, "BisectBatchOnFunctionError", esm["BisectBatchOnFunctionError"], k.BisectBatchOnError)
			expect(t, "FunctionResponseTypes", esm["FunctionResponseTypes"], []any{"ReportBatchItemFailures"})
			s.expectOnFailureBucket(t, kinesisID, esm, k.OnFailureExpirationDays)

			alarm := s.alarmOn(t, kinesisID, "GetRecords.IteratorAgeMilliseconds")
			expect(t, "iterator age dimensions", alarm["Dimensions"], []any{map[string]any{
				"Name": "StreamName", "Value": map[string]any{"Ref": s.logicalID(t, kinesisID, "AWS::Kinesis::Stream")},
			}})
			expect(t, "iterator age threshold", alarm["Threshold"], float64(s.cfg.Alarms.IteratorAgeSeconds*1000))
			failed := s.alarmOn(t, kinesisID, "FailedInvocations")
			expect(t, "FailedInvocations dimensions", len(failed["Dimensions"].([]any)), 2)
		})
	}
}

// TestKinesisOverrideReachesTemplate is the `-c kinesis.shardCount=7` path.
func TestKinesisOverrideReachesTemplate(t *testing.T) {
	s := synth(t, "prod", map[string]string{"kinesis.shardCount": "7", "function.reservedConcurrency": "20"})
	_, stream := s.only(t, kinesisID, "AWS::Kinesis::Stream")
	expect(t, "ShardCount", stream["ShardCount"], float64(7))
}

func expect(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// queueByGetAtt resolves {"Fn::GetAtt": [id, "Arn"]} to an SQS queue and
// checks what every orderly queue must have: SSE (SQS-managed, or the
// stack's customer managed key) and a TLS-only policy.
func (s *synthesis) queueByGetAtt(t testing.TB, stackID string, ref any) map[string]any {
	t.Helper()
	id := fmt.Sprint(ref.(map[string]any)["Fn::GetAtt"].([]any)[0])
	q, ok := s.resources(stackID, "AWS::SQS::Queue")[id]
	if !ok {
		t.Fatalf("%s: %v is not an SQS queue", stackID, ref)
	}
	if key := s.keyRef(t, stackID); key != nil {
		expect(t, id+" KmsMasterKeyId", q["KmsMasterKeyId"], key)
	} else {
		expect(t, id+" SqsManagedSseEnabled", q["SqsManagedSseEnabled"], true)
	}
	if !s.deniesInsecureTransport(stackID, "AWS::SQS::QueuePolicy", "Queues", []any{map[string]any{"Ref": id}}) {
		t.Errorf("%s: queue %s has no policy denying aws:SecureTransport=false", stackID, id)
	}
	return q
}

// deniesInsecureTransport reports whether a policy of type policyType whose
// property field equals target denies aws:SecureTransport=false.
func (s *synthesis) deniesInsecureTransport(stackID, policyType, field string, target any) bool {
	for _, policy := range s.resources(stackID, policyType) {
		if !reflect.DeepEqual(policy[field], target) {
			continue
		}
		for _, st := range policy["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			stmt := st.(map[string]any)
			cond, _ := stmt["Condition"].(map[string]any)
			if stmt["Effect"] == "Deny" && reflect.DeepEqual(cond, map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}) {
				return true
			}
		}
	}
	return false
}

func (s *synthesis) alarmOn(t testing.TB, stackID, metric string) map[string]any {
	t.Helper()
	for _, a := range s.resources(stackID, "AWS::CloudWatch::Alarm") {
		if a["MetricName"] == metric {
			return a
		}
	}
	t.Fatalf("%s: no alarm on %s", stackID, metric)
	return nil
}

func (s *synthesis) logicalID(t testing.TB, stackID, typ string) string {
	id, _ := s.only(t, stackID, typ)
	return id
}

// TestStackIdentity checks what lets environments share an account: the
// construct ids the CLI selects stay fixed, the CloudFormation names carry
// the environment, and prod is protected from deletion.
func TestStackIdentity(t *testing.T) {
	for _, env := range environments(t) {
		s := synth(t, env, nil)
		for id, kind := range map[string]string{stacks.KinesisStackID: "kinesis", stacks.FifoStackID: "fifo"} {
			stack := s.stacks[id]
			expect(t, env+" "+id+" construct id", *stack.Node().Id(), id)
			expect(t, env+" "+id+" stack name", *stack.StackName(), "orderly-"+env+"-"+kind)
			expect(t, env+" "+id+" termination protection", *stack.TerminationProtection(), env == "prod")
		}
	}
}

// retryAttempts is a Kinesis mapping's MaximumRetryAttempts, with
// CloudFormation's default (-1, until the record age) when the template
// leaves it out, as it must for -1: CDK refuses the value.
func retryAttempts(esm map[string]any) any {
	if v, ok := esm["MaximumRetryAttempts"]; ok {
		return v
	}
	return float64(assembly.DefaultMaximumRetryAttempts)
}
