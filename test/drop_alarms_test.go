package test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/orderly-dev/orderly/infra/awsmetrics"
)

// dims renders an alarm's Dimensions as name -> value, for comparison.
func dims(alarm map[string]any) map[string]any {
	out := map[string]any{}
	list, _ := alarm["Dimensions"].([]any)
	for _, d := range list {
		dm := d.(map[string]any)
		out[dm["Name"].(string)] = dm["Value"]
	}
	return out
}

// alarmsWith returns the alarms of a stack on namespace/metric whose
// dimensions are exactly want.
func (s *synthesis) alarmsWith(stackID, namespace, metric string, want map[string]any) []string {
	var ids []string
	for id, a := range s.resources(stackID, "AWS::CloudWatch::Alarm") {
		if a["Namespace"] == namespace && a["MetricName"] == metric && fmt.Sprint(dims(a)) == fmt.Sprint(want) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func ref(id string) map[string]any { return map[string]any{"Ref": id} }

// dropCases are every synthesis of allSyntheses, plus one whose rules are
// on the account's default bus (their metrics carry no EventBusName) and
// one that sends alarm actions to a topic.
func dropCases(t *testing.T) []synthCase {
	return append(allSyntheses(t),
		synthCase{name: "default-bus", env: "dev", overrides: map[string]string{"bus.existing": "default", "fifo.messageGroups": "2"}},
		synthCase{name: "topic", env: "dev", overrides: map[string]string{"alarms.topicArn": "arn:aws:sns:eu-west-1:111122223333:orderly-alarms"}},
	)
}

// TestEveryDropPointIsAlarmed checks, for both stacks of every environment
// and grouping mode, that each place AWS can drop an event has an alarm on
// the right namespace, metric and dimensions: every rule's FailedInvocations
// and InvocationsFailedToBeSentToDlq (every static group rule and the
// catch-all included), the consumer's Throttles, the Kinesis on-failure
// delivery (DestinationDeliveryFailures) and, in per-key mode, every pipe
// failure metric. And that every alarm of the stacks treats missing data as
// not breaching, says what happened, and notifies the topic when one is set.
func TestEveryDropPointIsAlarmed(t *testing.T) {
	for _, tc := range dropCases(t) {
		s := synth(t, tc.env, tc.overrides)
		for _, stackID := range []string{kinesisID, fifoID} {
			if tc.fifoOnly && stackID != fifoID {
				continue
			}
			t.Run(tc.name+"/"+stackID, func(t *testing.T) {
				fn := s.logicalID(t, stackID, "AWS::Lambda::Function")
				buses := s.resources(stackID, "AWS::Events::EventBus")
				rules := s.resources(stackID, "AWS::Events::Rule")
				if len(rules) == 0 {
					t.Fatal("no rules")
				}
				for ruleID := range rules {
					want := map[string]any{awsmetrics.RuleName: ref(ruleID)}
					for busID := range buses {
						want[awsmetrics.EventBusName] = ref(busID)
					}
					if s.cfg.Bus.Existing != "" && len(buses) != 0 {
						t.Fatalf("bus.existing = %q, yet the stack creates a bus", s.cfg.Bus.Existing)
					}
					for _, metric := range []string{awsmetrics.FailedInvocations, awsmetrics.InvocationsFailedToBeSentToDlq} {
						if got := s.alarmsWith(stackID, awsmetrics.Events, metric, want); len(got) != 1 {
							t.Errorf("rule %s: %d alarms on %s with dimensions %v, want 1", ruleID, len(got), metric, want)
						}
					}
				}
				consumer := map[string]any{awsmetrics.FunctionName: ref(fn)}
				if got := s.alarmsWith(stackID, awsmetrics.Lambda, awsmetrics.Throttles, consumer); len(got) != 1 {
					t.Errorf("%d alarms on the consumer's Throttles, want 1", len(got))
				}
				wantDelivery := 0
				if stackID == kinesisID {
					wantDelivery = 1
				}
				if got := s.alarmsWith(stackID, awsmetrics.Lambda, awsmetrics.DestinationDeliveryFailures, consumer); len(got) != wantDelivery {
					t.Errorf("%d alarms on DestinationDeliveryFailures, want %d", len(got), wantDelivery)
				}
				pipes := s.resources(stackID, "AWS::Pipes::Pipe")
				if stackID == fifoID && s.cfg.Fifo.Groups.PerKey != (len(pipes) == 1) {
					t.Fatalf("per-key %v, but %d pipes", s.cfg.Fifo.Groups.PerKey, len(pipes))
				}
				for pipeID := range pipes {
					for _, metric := range awsmetrics.PipeFailures() {
						if got := s.alarmsWith(stackID, awsmetrics.Pipes, metric, map[string]any{awsmetrics.PipeName: ref(pipeID)}); len(got) != 1 {
							t.Errorf("pipe %s: %d alarms on %s, want 1", pipeID, len(got), metric)
						}
					}
				}
				for id, a := range s.resources(stackID, "AWS::CloudWatch::Alarm") {
					expect(t, id+" TreatMissingData", a["TreatMissingData"], "notBreaching")
					if d, _ := a["AlarmDescription"].(string); len(d) < 40 {
						t.Errorf("%s: description %q does not say what happened and where to look", id, d)
					}
					if topic := s.cfg.Alarms.TopicArn; topic != "" {
						expect(t, id+" AlarmActions", a["AlarmActions"], []any{topic})
						expect(t, id+" OKActions", a["OKActions"], []any{topic})
					} else {
						expect(t, id+" AlarmActions", a["AlarmActions"], nil)
					}
				}
			})
		}
	}
}

// TestStreamPinsPartitionKeyDistribution: an on-demand stream states
// RecordDistributionStrategy USER_PARTITION_KEY, so the console's AUTO is a
// drift a deploy undoes; a provisioned stream has no such setting.
func TestStreamPinsPartitionKeyDistribution(t *testing.T) {
	for _, tc := range []synthCase{
		{name: "on-demand", env: "dev", overrides: map[string]string{"kinesis.streamMode": "on-demand"}},
		{name: "provisioned", env: "prod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := synth(t, tc.env, tc.overrides)
			_, stream := s.only(t, kinesisID, "AWS::Kinesis::Stream")
			mode, _ := stream["StreamModeDetails"].(map[string]any)
			if tc.name == "on-demand" {
				expect(t, "StreamMode", mode["StreamMode"], "ON_DEMAND")
				// Spelled out: AUTO would ignore the partition key.
				expect(t, "RecordDistributionStrategy", stream["RecordDistributionStrategy"], "USER_PARTITION_KEY")
				expect(t, "ShardCount", stream["ShardCount"], nil)
				return
			}
			if mode != nil && mode["StreamMode"] != "PROVISIONED" {
				t.Fatalf("StreamModeDetails %v", mode)
			}
			expect(t, "RecordDistributionStrategy", stream["RecordDistributionStrategy"], nil)
		})
	}
}
