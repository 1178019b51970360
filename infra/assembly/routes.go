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
	// HighThroughput is true when every rule's target queue has
	// FifoThroughputLimit=perMessageGroupId; otherwise a queue-wide send
	// quota applies to what the rules deliver.
	HighThroughput bool
}

// rules reads the stack's rules in logical-id order. A rule must have
// exactly one target: orderly never fans out, and a second target would
// deliver events twice.
func (t Template) rules() ([]Rule, error) {
	ids := t.idsOfType("AWS::Events::Rule")
	rules := make([]Rule, 0, len(ids))
	for _, id := range ids {
		p := t.props(id)
		pattern, ok := p.m["EventPattern"].(map[string]any)
		if !ok {
			return nil, p.errorf("EventPattern", "is not a JSON object")
		}
		targets, err := p.objects("Targets")
		if err != nil {
			return nil, err
		}
		if len(targets) != 1 {
			return nil, fmt.Errorf("rule %s: want exactly one target, found %d", id, len(targets))
		}
		target := targets[0]
		r := Rule{LogicalID: id, Pattern: pattern}
		if r.TargetLogicalID, err = target.getAtt("Arn"); err != nil {
			return nil, err
		}
		if kp, ok, err := target.object("KinesisParameters"); err != nil {
			return nil, err
		} else if ok {
			if r.PartitionKeyPath, err = kp.string("PartitionKeyPath"); err != nil {
				return nil, err
			}
		}
		if sp, ok, err := target.object("SqsParameters"); err != nil {
			return nil, err
		} else if ok {
			if r.MessageGroupID, err = sp.string("MessageGroupId"); err != nil {
				return nil, err
			}
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("no AWS::Events::Rule in the template")
	}
	return rules, nil
}

// fifoDelivery reads how rules reach FifoStack's consumer queue.
func (t Template) fifoDelivery(rules []Rule) (FifoDelivery, error) {
	d := FifoDelivery{Rules: rules, HighThroughput: true}
	for _, r := range rules {
		if r.MessageGroupID == "" {
			return d, fmt.Errorf("rule %s: its target has no SqsParameters.MessageGroupId", r.LogicalID)
		}
		if _, ok := t.Resources[r.TargetLogicalID]; !ok {
			return d, fmt.Errorf("rule %s: its target %q is not in the template", r.LogicalID, r.TargetLogicalID)
		}
		limit, err := t.props(r.TargetLogicalID).stringOr("FifoThroughputLimit", DefaultFifoThroughputLimit)
		if err != nil {
			return d, err
		}
		d.HighThroughput = d.HighThroughput && limit == perMessageGroupThroughput
	}
	queue, err := t.eventSourceQueue()
	if err != nil {
		return d, err
	}
	if d.ContentBasedDeduplication, err = queue.boolOr("ContentBasedDeduplication", false); err != nil {
		return d, err
	}
	if d.DeduplicationScope, err = queue.stringOr("DeduplicationScope", DefaultDeduplicationScope); err != nil {
		return d, err
	}
	pipe, ok, err := t.pipe()
	if err != nil || !ok {
		return d, err
	}
	target, err := pipe.sqsParameters("TargetParameters")
	if err != nil {
		return d, err
	}
	if d.PipeGroupIDPath, err = target.string("MessageGroupId"); err != nil {
		return d, err
	}
	if d.PipeDeduplicationIDPath, err = target.stringOr("MessageDeduplicationId", ""); err != nil {
		return d, err
	}
	source, err := pipe.sqsParameters("SourceParameters")
	if err != nil {
		return d, err
	}
	if d.PipeBatchSize, err = source.intOr("BatchSize", DefaultPipeSQSBatchSize); err != nil {
		return d, err
	}
	if !strings.HasPrefix(d.PipeGroupIDPath, "$.") {
		return d, fmt.Errorf("the pipe's MessageGroupId %q is not a JSON path: every message would share one group", d.PipeGroupIDPath)
	}
	return d, nil
}

// pipe returns the properties of the stack's EventBridge Pipe; ok is false
// when it has none. Two pipes are an error: orderly builds at most one.
func (t Template) pipe() (props, bool, error) {
	ids := t.idsOfType("AWS::Pipes::Pipe")
	switch len(ids) {
	case 0:
		return props{}, false, nil
	case 1:
		return t.props(ids[0]), true, nil
	}
	return props{}, false, fmt.Errorf("want at most one AWS::Pipes::Pipe, found %d", len(ids))
}

// sqsParameters returns SqsQueueParameters of a pipe's source or target
// side ("SourceParameters" or "TargetParameters"), empty when absent.
func (p props) sqsParameters(side string) (props, error) {
	params, ok, err := p.object(side)
	if err != nil || !ok {
		return props{where: p.where + ": " + side, m: map[string]any{}}, err
	}
	sqs, ok, err := params.object("SqsQueueParameters")
	if err != nil || !ok {
		return props{where: params.where + ": SqsQueueParameters", m: map[string]any{}}, err
	}
	return sqs, nil
}

// eventSourceQueue returns the properties of the queue the consumer's
// event source mapping reads.
func (t Template) eventSourceQueue() (props, error) {
	esm, err := t.one("AWS::Lambda::EventSourceMapping")
	if err != nil {
		return props{}, err
	}
	id, err := esm.getAtt("EventSourceArn")
	if err != nil {
		return props{}, err
	}
	if _, ok := t.Resources[id]; !ok {
		return props{}, fmt.Errorf("%s: EventSourceArn names missing resource %q", esm.where, id)
	}
	return t.props(id), nil
}
