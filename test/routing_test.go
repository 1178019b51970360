package test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/orderly-dev/orderly/infra/relay"
	"github.com/orderly-dev/orderly/sim/eventpattern"
)

// TestStaticGroupRulesMatchEveryEventExactlyOnce evaluates the synthesized
// FifoStack rule patterns against sample events: every event of the base
// pattern must match exactly one rule, and an in-range integer g must land in
// group g.
func TestStaticGroupRulesMatchEveryEventExactlyOnce(t *testing.T) {
	for _, tc := range allSyntheses(t) {
		s := synth(t, tc.env, tc.overrides)
		if s.cfg.Fifo.Groups.PerKey {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			n := s.cfg.Fifo.Groups.Count
			rules := s.rulePatterns(t)
			if len(rules) == 0 {
				t.Fatal("no rules")
			}
			for _, sample := range partitionSamples(n) {
				event := sampleEvent(t, s, sample.partition)
				var matched []string
				for group, pattern := range rules {
					ok, err := eventpattern.Match(pattern, event)
					if err != nil {
						t.Fatalf("group %s: %v", group, err)
					}
					if ok {
						matched = append(matched, group)
					}
				}
				want := relay.CatchAllGroup
				switch {
				case n == 1:
					want = "g0"
				case sample.group >= 0:
					want = fmt.Sprintf("g%d", sample.group)
				}
				if len(matched) != 1 || matched[0] != want {
					t.Errorf("partition %s matched groups %v, want exactly [%s]", sample.partition, matched, want)
				}
			}
			other := sampleEvent(t, s, `0`)
			other["source"] = "someone.else"
			for group, pattern := range rules {
				if ok, _ := eventpattern.Match(pattern, other); ok {
					t.Errorf("an event of another source matched group %s", group)
				}
			}
		})
	}
}

type partitionSample struct {
	// partition is the JSON of the routing field, or "" when it is absent.
	partition string
	// group is the group an in-range integer belongs to, or -1.
	group int
}

func partitionSamples(n int) []partitionSample {
	var out []partitionSample
	for g := range n {
		out = append(out, partitionSample{fmt.Sprint(g), g})
	}
	for _, p := range []string{"", "null", fmt.Sprint(n), "-1", "1.5", `"1"`, `"g0"`, "true", `{"nested":1}`, "1e3"} {
		out = append(out, partitionSample{p, -1})
	}
	if n > 1 {
		out = append(out, partitionSample{"1.0", 1})
	}
	return out
}

// sampleEvent is an orderly event with the routing field set to partition.
func sampleEvent(t testing.TB, s *synthesis, partition string) map[string]any {
	t.Helper()
	detail := `{"scheduleDate":"2026-11-28","entityType":"driver","entityId":"d-1"`
	if partition != "" {
		detail += `,"partition":` + partition
	}
	raw := fmt.Sprintf(`{"id":"e-1","source":%q,"detail-type":%q,"time":"2026-11-28T10:00:00Z","detail":%s}}`,
		s.cfg.Rule.Sources[0], s.cfg.Rule.DetailTypes[0], detail)
	var event map[string]any
	if err := json.Unmarshal([]byte(raw), &event); err != nil {
		t.Fatal(err)
	}
	if s.cfg.Fifo.GroupFieldPath != "$.detail.partition" {
		t.Fatalf("sample events assume the default group field, got %s", s.cfg.Fifo.GroupFieldPath)
	}
	return event
}

// rulePatterns maps each FifoStack rule's target group to its event pattern.
func (s *synthesis) rulePatterns(t testing.TB) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, rule := range s.resources(fifoID, "AWS::Events::Rule") {
		target := rule["Targets"].([]any)[0].(map[string]any)
		group := target["SqsParameters"].(map[string]any)["MessageGroupId"].(string)
		out[group] = rule["EventPattern"].(map[string]any)
	}
	return out
}
