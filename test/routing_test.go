package test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/eventpattern"
	"github.com/orderly-dev/orderly/infra/relay"
	"github.com/orderly-dev/orderly/infra/routing"
)

// routingGroupCounts are the static group counts whose synthesized rules
// the routing test evaluates, beyond the environments and grouping modes:
// small, the week, and the most the patterns can express.
var routingGroupCounts = []int{2, 4, 7, 31}

// TestStaticGroupRulesRouteEveryPeriodToExactlyOneGroup evaluates the
// synthesized FifoStack rule patterns over every date from 2020-01-01 to
// 2040-12-31 and over malformed periods. Each date must match exactly one
// group rule, the one routing.GroupOf names (the planner and the simulator
// use the same function); each malformed value exactly the catch-all; no
// event may match none. No rule may look at any field but source,
// detail-type and the period.
func TestStaticGroupRulesRouteEveryPeriodToExactlyOneGroup(t *testing.T) {
	cases := allSyntheses(t)
	for _, n := range routingGroupCounts {
		cases = append(cases, synthCase{name: fmt.Sprintf("fifo-groups-%d", n), env: "dev", overrides: map[string]string{"fifo.messageGroups": fmt.Sprint(n)}})
	}
	dates := everyDate()
	for _, tc := range cases {
		s := synth(t, tc.env, tc.overrides)
		if s.cfg.Fifo.Groups.PerKey {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			n := s.cfg.Fifo.Groups.Count
			checkQueuePolicies(t, s)
			rules := s.rulePatterns(t)
			for group, pattern := range rules {
				checkPatternFields(t, group, pattern, s.cfg.PeriodPath.String())
			}
			groups, _ := routing.StaticGroups(max(n, 2))
			for _, date := range dates {
				want := "g0"
				if n > 1 {
					want = routing.GroupOf(date, groups)
				}
				matched := matchingGroups(t, rules, s.sampleEvent(t, fmt.Sprintf("%q", date)))
				if len(matched) != 1 || matched[0] != want {
					t.Fatalf("period %s matched groups %v, want exactly [%s]", date, matched, want)
				}
			}
			for _, bad := range malformedPeriods {
				want := relay.CatchAllGroup
				if n == 1 {
					want = "g0"
				}
				matched := matchingGroups(t, rules, s.sampleEvent(t, bad))
				if len(matched) != 1 || matched[0] != want {
					t.Errorf("period %s matched groups %v, want exactly [%s]", orAbsent(bad), matched, want)
				}
			}
			// An array holding dates matches the group of each element
			// (EventBridge matches an array if any element matches); the
			// consumer poisons such an event, because a period must be a
			// string. Documented in infra/routing.
			if n > 1 {
				matched := matchingGroups(t, rules, s.sampleEvent(t, `["2026-11-01"]`))
				if want := routing.GroupOf("2026-11-01", groups); len(matched) != 1 || matched[0] != want {
					t.Errorf(`period ["2026-11-01"] matched %v, want exactly [%s]`, matched, want)
				}
			}
			other := s.sampleEvent(t, `"2026-11-28"`)
			other["source"] = "someone.else"
			if matched := matchingGroups(t, rules, other); len(matched) != 0 {
				t.Errorf("an event of another source matched groups %v", matched)
			}
		})
	}
}

// malformedPeriods are JSON values of the period field (or "" for no
// field) that no group owns.
var malformedPeriods = []string{
	"", "null", `""`, "20261128", "28", "true", "[]", `["tomorrow"]`, "[1]", `{"date":"2026-11-28"}`,
	`"tomorrow"`, `"2026/11/28"`, `"28-11-2026"`, `"2026-11-5"`, `"2026-11-32"`, `"2026-11-00"`, `"20261128"`,
}

func orAbsent(v string) string {
	if v == "" {
		return "(absent)"
	}
	return v
}

func everyDate() []string {
	var out []string
	for d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() <= 2040; d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// checkPatternFields fails if a rule matches on anything but source,
// detail-type and the period path.
func checkPatternFields(t *testing.T, group string, pattern map[string]any, periodPath string) {
	t.Helper()
	for _, key := range slices.Sorted(maps.Keys(pattern)) {
		if key == "source" || key == "detail-type" {
			continue
		}
		if key != "detail" {
			t.Errorf("group %s's rule matches on %q", group, key)
			continue
		}
		var walk func(prefix string, node map[string]any)
		walk = func(prefix string, node map[string]any) {
			for field, cond := range node {
				path := prefix + "." + field
				if sub, ok := cond.(map[string]any); ok {
					walk(path, sub)
				} else if path != periodPath {
					t.Errorf("group %s's rule matches on %s, not only on the period path %s", group, path, periodPath)
				}
			}
		}
		walk("$.detail", pattern["detail"].(map[string]any))
	}
}

func matchingGroups(t *testing.T, rules map[string]map[string]any, event map[string]any) []string {
	t.Helper()
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
	slices.Sort(matched)
	return matched
}

// sampleEvent is an orderly event whose period field (at the synthesized
// period path) holds the JSON value period, or is absent when period is "".
// It also carries a producer-set "partition" field that routing must ignore.
func (s *synthesis) sampleEvent(t testing.TB, period string) map[string]any {
	t.Helper()
	detail := map[string]any{"entityType": "driver", "entityId": "d-1", "partition": 3}
	if period != "" {
		var v any
		if err := json.Unmarshal([]byte(period), &v); err != nil {
			t.Fatalf("period %s: %v", period, err)
		}
		fields := strings.Split(strings.TrimPrefix(s.cfg.PeriodPath.String(), "$.detail."), ".")
		node := detail
		for _, f := range fields[:len(fields)-1] {
			next := map[string]any{}
			node[f] = next
			node = next
		}
		node[fields[len(fields)-1]] = v
	}
	return map[string]any{"id": "e-1", "source": s.cfg.Rule.Sources[0], "detail-type": s.cfg.Rule.DetailTypes[0],
		"time": "2026-11-28T10:00:00Z", "detail": detail}
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
	if len(out) == 0 {
		t.Fatal("FifoStack has no rules")
	}
	return out
}

// sqsPolicyLimits are SQS's quotas on a queue policy.
const (
	sqsPolicyMaxStatements = 20
	sqsPolicyMaxBytes      = 8192
)

// checkQueuePolicies fails when a FifoStack queue policy could exceed SQS's
// limits once deployed: every rule ARN at its longest (the bus name in it,
// a 64-character rule name), every other reference 100 characters. A
// policy over the limits synthesizes but fails the deploy.
func checkQueuePolicies(t *testing.T, s *synthesis) {
	t.Helper()
	busName := s.cfg.Bus.Name
	if s.cfg.Bus.Existing != "" {
		busName = s.cfg.Bus.Existing
	}
	ruleArn := strings.Repeat("r", len("arn:aws:events:ap-southeast-2:123456789012:rule/")+len(busName)+1+64)
	var resolve func(v any) any
	resolve = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["Fn::GetAtt"].([]any); ok {
				if strings.HasPrefix(ref[0].(string), "IngressRule") {
					return ruleArn
				}
				return strings.Repeat("x", 100)
			}
			out := map[string]any{}
			for k, e := range x {
				out[k] = resolve(e)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = resolve(e)
			}
			return out
		}
		return v
	}
	for id, policy := range s.resources(fifoID, "AWS::SQS::QueuePolicy") {
		doc := policy["PolicyDocument"].(map[string]any)
		if n := len(doc["Statement"].([]any)); n > sqsPolicyMaxStatements {
			t.Errorf("%s has %d statements, SQS allows %d", id, n, sqsPolicyMaxStatements)
		}
		b, err := json.Marshal(resolve(doc))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > sqsPolicyMaxBytes {
			t.Errorf("%s would be %d bytes deployed, SQS allows %d", id, len(b), sqsPolicyMaxBytes)
		}
	}
}
