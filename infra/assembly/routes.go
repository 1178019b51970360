package assembly

import (
	"fmt"
	"strings"
)

// Rule is one EventBridge rule of a stack with what its single target
// makes of a matching event. A local run evaluates Pattern to decide
// whether, and where, EventBridge would deliver an event.
type Rule struct {
	LogicalID string
	// Pattern is the decoded EventPattern.
	Pattern map[string]any
	// PartitionKeyPath is set for a Kinesis stream target.
	PartitionKeyPath string
	// MessageGroupID is set for an SQS FIFO queue target.
	MessageGroupID string
	// TargetLogicalID is the resource the target delivers to (a stream or
	// a queue).
	TargetLogicalID string
}

// FifoDelivery describes how an event reaches the consumer's FIFO queue:
// through which rules, queue deduplication, and in per-key mode the Pipe
// that regroups messages from the ingest queue.
type FifoDelivery struct {
	// Rules route events; in static mode every target is the consumer's
	// queue, in per-key mode the ingest queue.
	Rules []Rule
	// ContentBasedDeduplication and DeduplicationScope ("queue" or
	// "messageGroup") are the consumer queue's settings.
	ContentBasedDeduplication bool
	DeduplicationScope        string
	// The Pipe's target parameters (per-key mode only): JSON paths into the
	// Pipe's SQS source event.
	PipeGroupIDPath         string
	PipeDeduplicationIDPath string
	PipeBatchSize           int
}

// Rules returns the stack's rules in logical-id order. A rule must have
// exactly one target: orderly never fans out, and a second target would
// deliver events twice.
func (t Template) Rules() ([]Rule, error) {
	ids := t.idsOfType("AWS::Events::Rule")
	rules := make([]Rule, 0, len(ids))
	for _, id := range ids {
		p := t.Resources[id].Properties
		pattern, ok := p["EventPattern"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("rule %s: EventPattern is not a JSON object", id)
		}
		targets := list(p["Targets"])
		if len(targets) != 1 {
			return nil, fmt.Errorf("rule %s: want exactly one target, found %d", id, len(targets))
		}
		target := targets[0]
		r := Rule{LogicalID: id, Pattern: pattern}
		if ref, err := t.getAttID(target["Arn"]); err == nil {
			r.TargetLogicalID = ref
		}
		if kp, ok := target["KinesisParameters"].(map[string]any); ok {
			r.PartitionKeyPath, _ = kp["PartitionKeyPath"].(string)
		}
		if sp, ok := target["SqsParameters"].(map[string]any); ok {
			r.MessageGroupID, _ = sp["MessageGroupId"].(string)
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("no AWS::Events::Rule in the template")
	}
	return rules, nil
}

// FifoDelivery extracts FifoDelivery from a FifoStack template.
func (t Template) FifoDelivery() (FifoDelivery, error) {
	var d FifoDelivery
	rules, err := t.Rules()
	if err != nil {
		return d, err
	}
	d.Rules = rules
	for _, r := range rules {
		if r.MessageGroupID == "" {
			return d, fmt.Errorf("rule %s: its SQS target has no MessageGroupId", r.LogicalID)
		}
	}
	esm, err := t.one("AWS::Lambda::EventSourceMapping")
	if err != nil {
		return d, err
	}
	queue, err := t.getAttTarget(esm.Properties["EventSourceArn"])
	if err != nil {
		return d, fmt.Errorf("event source mapping: %w", err)
	}
	d.ContentBasedDeduplication, _ = queue.Properties["ContentBasedDeduplication"].(bool)
	d.DeduplicationScope, _ = queue.Properties["DeduplicationScope"].(string)
	if d.DeduplicationScope == "" {
		d.DeduplicationScope = "queue"
	}
	if pipe, ok := t.pipe(); ok {
		target := pipeSQSParameters(pipe, "TargetParameters")
		d.PipeGroupIDPath, _ = target["MessageGroupId"].(string)
		d.PipeDeduplicationIDPath, _ = target["MessageDeduplicationId"].(string)
		d.PipeBatchSize, _ = num(pipeSQSParameters(pipe, "SourceParameters"), "BatchSize")
		if d.PipeBatchSize == 0 {
			d.PipeBatchSize = 10
		}
		if !strings.HasPrefix(d.PipeGroupIDPath, "$.") {
			return d, fmt.Errorf("the pipe's MessageGroupId %q is not a JSON path: every message would share one group", d.PipeGroupIDPath)
		}
	}
	return d, nil
}

// getAttID returns the logical id of a {"Fn::GetAtt": [id, attr]}.
func (t Template) getAttID(ref any) (string, error) {
	m, _ := ref.(map[string]any)
	args, _ := m["Fn::GetAtt"].([]any)
	if len(args) == 0 {
		return "", fmt.Errorf("not a Fn::GetAtt reference: %v", ref)
	}
	id, _ := args[0].(string)
	return id, nil
}

// pipe returns the stack's EventBridge Pipe, if it has exactly one.
func (t Template) pipe() (Resource, bool) {
	pipes := t.OfType("AWS::Pipes::Pipe")
	if len(pipes) != 1 {
		return Resource{}, false
	}
	return pipes[0], true
}

// pipeSQSParameters returns SqsQueueParameters of the pipe's source or
// target side ("SourceParameters" or "TargetParameters").
func pipeSQSParameters(pipe Resource, side string) map[string]any {
	params, _ := pipe.Properties[side].(map[string]any)
	sqs, _ := params["SqsQueueParameters"].(map[string]any)
	return sqs
}

func anyList(v any) []any {
	items, _ := v.([]any)
	return items
}
