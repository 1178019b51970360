package test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/orderly-dev/orderly/infra/relay"
	"github.com/orderly-dev/orderly/infra/relay/defaults"
	"github.com/orderly-dev/orderly/infra/stacks"
	"github.com/orderly-dev/orderly/lambda/envvar"
)

const fifoID = stacks.FifoStackID

// TestFifoQueueAndMappingSettings pins the FIFO settings for every
// environment and grouping mode.
func TestFifoQueueAndMappingSettings(t *testing.T) {
	for _, tc := range allSyntheses(t) {
		t.Run(tc.name, func(t *testing.T) {
			s := synth(t, tc.env, tc.overrides)
			f := s.cfg.Fifo

			_, esm := s.only(t, fifoID, "AWS::Lambda::EventSourceMapping")
			expect(t, "BatchSize", esm["BatchSize"], float64(f.BatchSize))
			expect(t, "FunctionResponseTypes", esm["FunctionResponseTypes"], []any{"ReportBatchItemFailures"})
			if f.MaxConcurrency > 0 {
				expect(t, "ScalingConfig", esm["ScalingConfig"], map[string]any{"MaximumConcurrency": float64(f.MaxConcurrency)})
			} else {
				expect(t, "ScalingConfig", esm["ScalingConfig"], nil)
			}

			queue := s.queueByGetAtt(t, fifoID, esm["EventSourceArn"])
			expect(t, "FifoQueue", queue["FifoQueue"], true)
			expect(t, "ContentBasedDeduplication", queue["ContentBasedDeduplication"], true)
			expect(t, "VisibilityTimeout", queue["VisibilityTimeout"], float64(defaults.VisibilityTimeoutFactor*s.cfg.Function.TimeoutSeconds))
			redrive := queue["RedrivePolicy"].(map[string]any)
			expect(t, "maxReceiveCount", redrive["maxReceiveCount"], float64(f.MaxReceiveCount))
			dlq := s.queueByGetAtt(t, fifoID, redrive["deadLetterTargetArn"])
			expect(t, "queue DLQ is FIFO", dlq["FifoQueue"], true)

			_, fn := s.only(t, fifoID, "AWS::Lambda::Function")
			if r := s.cfg.Function.ReservedConcurrency; r > 0 {
				expect(t, "ReservedConcurrentExecutions", fn["ReservedConcurrentExecutions"], float64(r))
			}
			// The retry backoff: set on the FIFO consumer only, and its
			// ChangeMessageVisibilityBatch is allowed on the queue it reads.
			vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
			expect(t, "backoff base", vars[envvar.RetryBackoffBaseSeconds], strconv.Itoa(f.RetryBackoffBaseSeconds))
			expect(t, "backoff max", vars[envvar.RetryBackoffMaxSeconds], strconv.Itoa(f.RetryBackoffMaxSeconds))
			if f.RetryBackoffMaxSeconds <= 0 || f.RetryBackoffMaxSeconds >= defaults.VisibilityTimeoutFactor*s.cfg.Function.TimeoutSeconds {
				t.Errorf("backoff max %d: want on, and below the visibility timeout", f.RetryBackoffMaxSeconds)
			}
			if !s.grants(fifoID, "sqs:ChangeMessageVisibility", esm["EventSourceArn"]) {
				t.Errorf("the consumer role may not change the visibility of %v", esm["EventSourceArn"])
			}
			_, kfn := s.only(t, stacks.KinesisStackID, "AWS::Lambda::Function")
			kvars := kfn["Environment"].(map[string]any)["Variables"].(map[string]any)
			expect(t, "Kinesis consumer backoff", kvars[envvar.RetryBackoffMaxSeconds], nil)
			for _, metric := range []string{"ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesVisible", "Errors"} {
				s.alarmOn(t, fifoID, metric)
			}

			groups := s.ruleGroups(t, fifoID)
			if f.Groups.PerKey {
				expect(t, "rule groups", groups, []string{relay.IngestGroup})
				_, pipe := s.only(t, fifoID, "AWS::Pipes::Pipe")
				expect(t, "pipe target", pipe["TargetParameters"], map[string]any{"SqsQueueParameters": map[string]any{
					"MessageGroupId":         relay.PipeGroupPath(s.cfg.PeriodPath),
					"MessageDeduplicationId": "$.messageId",
				}})
				return
			}
			want := []string{"g0"}
			if f.Groups.Count > 1 {
				want = []string{relay.CatchAllGroup}
				for g := range f.Groups.Count {
					want = append(want, fmt.Sprintf("g%d", g))
				}
			}
			slices.Sort(want)
			expect(t, "rule groups", groups, want)
			expect(t, "pipes", len(s.resources(fifoID, "AWS::Pipes::Pipe")), 0)
		})
	}
}

// ruleGroups returns the sorted MessageGroupId of every rule target, after
// checking each target's dead-letter queue is a standard queue (EventBridge
// rejects a FIFO DLQ).
func (s *synthesis) ruleGroups(t testing.TB, stackID string) []string {
	t.Helper()
	var groups []string
	for _, rule := range s.resources(stackID, "AWS::Events::Rule") {
		for _, tg := range rule["Targets"].([]any) {
			target := tg.(map[string]any)
			groups = append(groups, target["SqsParameters"].(map[string]any)["MessageGroupId"].(string))
			dlq := s.queueByGetAtt(t, stackID, target["DeadLetterConfig"].(map[string]any)["Arn"])
			expect(t, "target DLQ is standard", dlq["FifoQueue"], nil)
		}
	}
	slices.Sort(groups)
	return groups
}
