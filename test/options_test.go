package test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/orderly-dev/orderly/infra/stacks"
	"github.com/orderly-dev/orderly/lambda/envvar"
)

// TestImportedBusSecretTopicAndOnDemandStream covers the options a platform
// team with existing infrastructure uses, on top of dev (and coalescing
// turned off, which the snapshots show on).
func TestImportedBusSecretTopicAndOnDemandStream(t *testing.T) {
	const (
		busArn    = "arn:aws:events:eu-west-1:123456789012:event-bus/platform"
		secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:schedule/key-AbC123"
		topicArn  = "arn:aws:sns:eu-west-1:123456789012:oncall"
	)
	s := synth(t, "dev", map[string]string{
		"bus.existing":          busArn,
		"function.apiKeySecret": secretArn,
		"alarms.topicArn":       topicArn,
		"kinesis.streamMode":    "on-demand",
		"function.coalesce":     "false",
	})
	for _, id := range []string{stacks.KinesisStackID, stacks.FifoStackID} {
		expect(t, id+" created buses", len(s.resources(id, "AWS::Events::EventBus")), 0)
		// An imported bus is archived where it is managed.
		expect(t, id+" archives", len(s.resources(id, "AWS::Events::Archive")), 0)
		for _, rule := range s.resources(id, "AWS::Events::Rule") {
			expect(t, id+" rule bus", rule["EventBusName"], "platform")
		}
		for name, alarm := range s.resources(id, "AWS::CloudWatch::Alarm") {
			expect(t, id+" "+name+" alarm actions", alarm["AlarmActions"], []any{topicArn})
			expect(t, id+" "+name+" ok actions", alarm["OKActions"], []any{topicArn})
		}
		_, fn := s.only(t, id, "AWS::Lambda::Function")
		vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		expect(t, id+" secret env", vars["SCHEDULE_API_KEY_SECRET_ARN"], secretArn)
		expect(t, id+" coalescing env", vars["ORDERLY_COALESCE"], "false")
		if !s.grants(id, "secretsmanager:GetSecretValue", secretArn) {
			t.Errorf("%s: no GetSecretValue grant on exactly %s", id, secretArn)
		}
		// The ARN may be a partial one whose name happens to end in a
		// six-character suffix: its real ARN then carries another.
		if !s.grants(id, "secretsmanager:GetSecretValue", secretArn+"-??????") {
			t.Errorf("%s: no GetSecretValue grant on %s-??????", id, secretArn)
		}
	}
	_, stream := s.only(t, stacks.KinesisStackID, "AWS::Kinesis::Stream")
	expect(t, "on-demand shard count", stream["ShardCount"], nil)
	expect(t, "stream mode", stream["StreamModeDetails"], map[string]any{"StreamMode": "ON_DEMAND"})
}

// TestDefaultBusAlarmUsesRuleNameOnly: CloudWatch publishes the default
// bus's rule metrics without the EventBusName dimension.
func TestDefaultBusAlarmUsesRuleNameOnly(t *testing.T) {
	s := synth(t, "dev", map[string]string{"bus.existing": "default"})
	alarm := s.alarmOn(t, stacks.KinesisStackID, "FailedInvocations")
	dims := alarm["Dimensions"].([]any)
	expect(t, "dimensions", len(dims), 1)
	expect(t, "dimension", dims[0].(map[string]any)["Name"], "RuleName")
}

// grants reports whether a policy of the stack allows action on exactly
// resource (an ARN, or the template expression of one).
func (s *synthesis) grants(stackID, action string, resource any) bool {
	for _, policy := range s.resources(stackID, "AWS::IAM::Policy") {
		for _, st := range policy["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			stmt := st.(map[string]any)
			actions, _ := stmt["Action"].([]any)
			for _, a := range actions {
				if a != action {
					continue
				}
				if reflect.DeepEqual(stmt["Resource"], resource) {
					return true
				}
				if list, ok := stmt["Resource"].([]any); ok && slices.ContainsFunc(list, func(r any) bool { return reflect.DeepEqual(r, resource) }) {
					return true
				}
			}
		}
	}
	return false
}

// TestRequestRateCapIsSplitPerExecution: api.maxRequestsPerSecond reaches
// each consumer as its share per execution environment, and is absent
// without a cap.
func TestRequestRateCapIsSplitPerExecution(t *testing.T) {
	capped := synth(t, "dev", map[string]string{"api.maxRequestsPerSecond": "20", "kinesis.shardCount": "4", "fifo.messageGroups": "3"})
	uncapped := synth(t, "dev", nil)
	for _, id := range []string{stacks.KinesisStackID, stacks.FifoStackID} {
		_, fn := capped.only(t, id, "AWS::Lambda::Function")
		vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		// 4 shards × factor 1; 3 static groups and the catch-all: 95% of
		// an even share each.
		expect(t, id+" "+envvar.APIRequestsPerSecond, vars[envvar.APIRequestsPerSecond], "4.75")
		_, fn = uncapped.only(t, id, "AWS::Lambda::Function")
		vars = fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		if v, ok := vars[envvar.APIRequestsPerSecond]; ok {
			t.Errorf("%s without a cap sets %s = %v", id, envvar.APIRequestsPerSecond, v)
		}
	}
}
