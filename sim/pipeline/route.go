package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/sim/sqsfifo"
)

// FifoGroup is the message group an event reaches in the consumer's FIFO
// queue, decided as a local run decides it: the synthesized rule patterns
// pick the rule and its static group; in per-key mode the Pipe's group
// path, evaluated on the ingest message, picks the final group. Exactly
// one rule must match.
func FifoGroup(d assembly.FifoDelivery, event []byte) (string, error) {
	matched, err := matchingRules(d.Rules, event)
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
	pipe := sqsfifo.PipeConfig{GroupIDPath: d.PipeGroupIDPath, Region: localRegion}
	msg := sqsfifo.Received{Message: sqsfifo.Message{ID: "planned", Body: string(event), GroupID: matched[0].MessageGroupID}}
	_, group, _, err := pipe.Target(msg)
	return group, err
}

// PeriodEvent is an event of the rules' first source and detail-type whose
// partition key (at partitionKeyPath, "$.detail.field...") is key: the
// smallest event a producer sends for a period.
func PeriodEvent(source, detailType, partitionKeyPath, key string) ([]byte, error) {
	fields := strings.Split(strings.TrimPrefix(partitionKeyPath, "$."), ".")
	if !strings.HasPrefix(partitionKeyPath, "$.") || len(fields) == 0 {
		return nil, fmt.Errorf("partition key path %q: want $.field[.field...]", partitionKeyPath)
	}
	event := map[string]any{
		"version": "0", "id": "00000000-0000-4000-8000-000000000000", "account": localAccount, "region": localRegion,
		"source": source, "detail-type": detailType, "time": "2026-01-01T00:00:00Z", "resources": []string{},
		"detail": map[string]any{},
	}
	node := event
	for _, f := range fields[:len(fields)-1] {
		next, ok := node[f].(map[string]any)
		if !ok {
			next = map[string]any{}
			node[f] = next
		}
		node = next
	}
	node[fields[len(fields)-1]] = key
	return json.Marshal(event)
}
