package assembly

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// golden loads a snapshot template written by the test/ package.
func golden(t *testing.T, name string) Template {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "test", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl Template
	if err := json.Unmarshal(data, &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func TestKinesisSettingsFromTemplate(t *testing.T) {
	got, err := golden(t, "prod/KinesisStack.json").Kinesis()
	if err != nil {
		t.Fatal(err)
	}
	want := KinesisSettings{
		ShardCount: 4, PartitionKeyPath: "$.detail.scheduleDate", BatchSize: 100, ParallelizationFactor: 2,
		RetryAttempts: 10000, MaxRecordAgeSeconds: 172800, BisectBatchOnError: true, ReportsItemFailures: true,
		ReservedConcurrency: 20,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestFifoSettingsFromTemplate(t *testing.T) {
	cases := map[string]FifoSettings{
		"staging/FifoStack.json": {GroupIDs: []string{"catch-all", "g0", "g1", "g2", "g3"}, BatchSize: 10, MaxConcurrency: 4,
			VisibilityTimeout: 360, MaxReceiveCount: 5, ReportsItemFailures: true},
		"prod/FifoStack.json": {PipeGroupIDPath: "$.body.detail.scheduleDate", BatchSize: 10, MaxConcurrency: 20,
			ReservedConcurrency: 20, VisibilityTimeout: 360, MaxReceiveCount: 5, ReportsItemFailures: true},
		"dev/FifoStack.json": {GroupIDs: []string{"g0"}, BatchSize: 10, VisibilityTimeout: 360, MaxReceiveCount: 5, ReportsItemFailures: true},
	}
	for name, want := range cases {
		got, err := golden(t, name).Fifo()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
}

func TestKinesisWithoutPartitionKeyPathIsAnError(t *testing.T) {
	tmpl := golden(t, "dev/KinesisStack.json")
	for id, r := range tmpl.Resources {
		if r.Type == "AWS::Events::Rule" {
			target := r.Properties["Targets"].([]any)[0].(map[string]any)
			delete(target, "KinesisParameters")
			tmpl.Resources[id] = r
		}
	}
	if _, err := tmpl.Kinesis(); err == nil {
		t.Fatal("a rule without PartitionKeyPath must be reported: EventBridge would key by event id")
	}
}

func TestFifoGroupsCountsAsTheTemplateDescribes(t *testing.T) {
	for _, tc := range []struct {
		s    FifoSettings
		want string
	}{
		{FifoSettings{GroupIDs: []string{"g0"}}, "1"},
		{FifoSettings{GroupIDs: []string{"catch-all", "g0", "g1", "g2"}}, "3+catch-all"},
		{FifoSettings{PipeGroupIDPath: "$.body.detail.scheduleDate"}, "per-key($.body.detail.scheduleDate)"},
	} {
		if got := tc.s.Groups(); got != tc.want {
			t.Errorf("Groups() of %+v = %q, want %q", tc.s, got, tc.want)
		}
	}
}
