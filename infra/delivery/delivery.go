// Package delivery answers, from a synthesized template alone, where an
// event goes: which rules match it, and which FIFO message group it lands
// in. The planner uses it to show a deployment's partitions before it
// exists, and the local pipeline routes every event through it, so that
// both read the deployed patterns and paths rather than a copy of the
// configuration.
package delivery

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/eventpattern"
	"github.com/orderly-dev/orderly/infra/jsonpath"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// MatchingRules returns the rules whose event pattern matches the event
// JSON in data, in the order given.
func MatchingRules(rules []assembly.Rule, data []byte) ([]assembly.Rule, error) {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	var out []assembly.Rule
	for _, r := range rules {
		ok, err := eventpattern.Match(r.Pattern, doc)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.LogicalID, err)
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// FifoGroup is the message group an event reaches in the consumer's FIFO
// queue: the synthesized rule patterns pick the rule and its static group;
// in per-key mode the Pipe's group path, evaluated on the SQS record the
// Pipe reads from the ingest queue, picks the final group. Exactly one rule
// must match.
func FifoGroup(d assembly.FifoDelivery, event []byte) (string, error) {
	matched, err := MatchingRules(d.Rules, event)
	if err != nil {
		return "", err
	}
	if len(matched) != 1 {
		ids := make([]string, len(matched))
		for i, r := range matched {
			ids[i] = r.LogicalID
		}
		return "", fmt.Errorf("the event matches %d rules [%s], want exactly 1", len(matched), strings.Join(ids, " "))
	}
	if d.PipeGroupIDPath == "" {
		return matched[0].MessageGroupID, nil
	}
	_, doc, err := PipeSource(events.SQSMessage{
		Body:       string(event),
		Attributes: map[string]string{"MessageGroupId": matched[0].MessageGroupID},
	})
	if err != nil {
		return "", err
	}
	return PipeField(d.PipeGroupIDPath, doc)
}

// PipeSource is the Pipe's source event for an SQS record: its JSON, and
// that JSON decoded for PipeField.
func PipeSource(record events.SQSMessage) (data []byte, doc any, err error) {
	if data, err = json.Marshal(record); err != nil {
		return nil, nil, err
	}
	err = json.Unmarshal(data, &doc)
	return data, doc, err
}

// PipeField evaluates a Pipe target's JSON path (its message group or
// deduplication id) on the Pipe's source event (PipeSource), the SQS
// record, whose JSON body Pipes look into.
func PipeField(path string, source any) (string, error) {
	return jsonpath.String(source, path)
}

// Example event envelope fields: what EventBridge fills in on a real bus.
const (
	exampleEventID = "00000000-0000-4000-8000-000000000000"
	exampleAccount = "000000000000"
	exampleRegion  = "eu-west-1"
	exampleTime    = "2026-01-01T00:00:00Z"
)

// PeriodEvent is an event of source and detailType whose period (at
// period) is key: the smallest event a producer sends for a period.
func PeriodEvent(source, detailType string, period schedule.PeriodPath, key string) ([]byte, error) {
	detail := map[string]any{}
	period.Put(detail, key)
	return json.Marshal(map[string]any{
		"version": "0", "id": exampleEventID, "account": exampleAccount, "region": exampleRegion,
		"source": source, "detail-type": detailType, "time": exampleTime, "resources": []string{},
		"detail": detail,
	})
}
