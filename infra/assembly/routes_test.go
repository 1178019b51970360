package assembly

import (
	"reflect"
	"slices"
	"testing"
)

func TestRulesOfStaticFifoGroups(t *testing.T) {
	cases := []struct {
		name   string
		groups []string
	}{
		{"dev/FifoStack.json", []string{"g0"}},
		{"fifo-groups-3/FifoStack.json", []string{"catch-all", "g0", "g1", "g2"}},
		{"staging/FifoStack.json", []string{"catch-all", "g0", "g1", "g2", "g3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			settings, err := golden(t, tc.name).Settings()
			if err != nil {
				t.Fatal(err)
			}
			rules := settings.Rules
			var groups []string
			for _, r := range rules {
				if r.Pattern["source"] == nil {
					t.Errorf("rule %s: pattern without source: %v", r.LogicalID, r.Pattern)
				}
				if r.PartitionKeyPath != "" {
					t.Errorf("rule %s: a FIFO rule has a partition key path %q", r.LogicalID, r.PartitionKeyPath)
				}
				groups = append(groups, r.MessageGroupID)
			}
			slices.Sort(groups)
			if !reflect.DeepEqual(groups, tc.groups) {
				t.Errorf("groups %v, want %v", groups, tc.groups)
			}
			// The rules' groups are the ones the FIFO settings report.
			if !reflect.DeepEqual(settings.Fifo.GroupIDs, groups) {
				t.Errorf("Fifo.GroupIDs %v, the rules' groups %v", settings.Fifo.GroupIDs, groups)
			}
		})
	}
}

func TestRulesOfKinesisStack(t *testing.T) {
	tmpl := golden(t, "prod/KinesisStack.json")
	settings, err := tmpl.Settings()
	if err != nil {
		t.Fatal(err)
	}
	rules, k := settings.Rules, settings.Kinesis
	if len(rules) != 1 {
		t.Fatalf("got %d rules, want 1", len(rules))
	}
	r := rules[0]
	if r.PartitionKeyPath != k.PartitionKeyPath || r.MessageGroupID != "" {
		t.Errorf("rule target: partition key path %q group %q, want %q and no group", r.PartitionKeyPath, r.MessageGroupID, k.PartitionKeyPath)
	}
	if tmpl.Resources[r.TargetLogicalID].Type != "AWS::Kinesis::Stream" {
		t.Errorf("rule target %q is not the stream", r.TargetLogicalID)
	}
}

func TestRuleWithTwoTargetsIsAnError(t *testing.T) {
	tmpl := golden(t, "dev/KinesisStack.json")
	for id, r := range tmpl.Resources {
		if r.Type == "AWS::Events::Rule" {
			targets := r.Properties["Targets"].([]any)
			r.Properties["Targets"] = append(targets, targets[0])
			tmpl.Resources[id] = r
		}
	}
	if _, err := tmpl.Settings(); err == nil {
		t.Fatal("a rule with two targets must be reported: it would deliver every event twice")
	}
}

func TestFifoDelivery(t *testing.T) {
	cases := map[string]struct {
		scope, groupPath, dedupPath string
		pipeBatch                   int
		ruleGroups                  []string
	}{
		"dev/FifoStack.json":     {scope: "queue", ruleGroups: []string{"g0"}},
		"prod/FifoStack.json":    {scope: "messageGroup", groupPath: "$.body.detail.scheduleDate", dedupPath: "$.messageId", pipeBatch: 10, ruleGroups: []string{"ingest"}},
		"staging/FifoStack.json": {scope: "queue", ruleGroups: []string{"catch-all", "g0", "g1", "g2", "g3"}},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			settings, err := golden(t, name).Settings()
			if err != nil {
				t.Fatal(err)
			}
			d := settings.Fifo.Delivery
			if !d.ContentBasedDeduplication {
				t.Error("content-based deduplication is off: EventBridge sets no deduplication id")
			}
			var groups []string
			for _, r := range d.Rules {
				groups = append(groups, r.MessageGroupID)
			}
			slices.Sort(groups)
			got := []any{d.DeduplicationScope, d.PipeGroupIDPath, d.PipeDeduplicationIDPath, d.PipeBatchSize, groups}
			exp := []any{want.scope, want.groupPath, want.dedupPath, want.pipeBatch, want.ruleGroups}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("got scope, group path, dedup path, pipe batch, groups = %v\nwant %v", got, exp)
			}
		})
	}
}

func TestHighThroughputIsEveryRuleTargetsPerGroupLimit(t *testing.T) {
	tmpl := golden(t, "dev/FifoStack.json")
	read := func() bool {
		s, err := tmpl.Settings()
		if err != nil {
			t.Fatal(err)
		}
		return s.Fifo.Delivery.HighThroughput
	}
	if read() {
		t.Fatal("dev's queue has the default per-queue limit, read as high throughput")
	}
	for _, r := range tmpl.Resources {
		if r.Type == "AWS::SQS::Queue" {
			r.Properties["FifoThroughputLimit"] = "perMessageGroupId"
		}
	}
	if !read() {
		t.Fatal("every queue with FifoThroughputLimit=perMessageGroupId, read as a per-queue limit")
	}
}
