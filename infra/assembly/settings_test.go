package assembly

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
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
	s, err := golden(t, "prod/KinesisStack.json").Settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.Kinesis == nil || s.Fifo != nil {
		t.Fatalf("KinesisStack read as Kinesis %v, Fifo %v", s.Kinesis, s.Fifo)
	}
	got := *s.Kinesis
	want := KinesisSettings{
		ShardCount: 4, PartitionKeyPath: "$.detail.scheduleDate", BatchSize: 100, ParallelizationFactor: 2,
		RetryAttempts: defaults.KinesisRetryAttempts, MaxRecordAgeSeconds: 172800, BisectBatchOnError: true, ReportsItemFailures: true,
		ReservedConcurrency: 20,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestFifoSettingsFromTemplate(t *testing.T) {
	// The default tolerance over the default receives but one (the first
	// failure of an outage can still get the backoff), in whole seconds:
	// 1800 / 9 divides exactly.
	hold := defaults.OutageToleranceSeconds / (defaults.MaxReceiveCount - 1)
	cases := map[string]FifoSettings{
		"staging/FifoStack.json": {GroupIDs: []string{"catch-all", "g0", "g1", "g2", "g3"}, BatchSize: 10, MaxConcurrency: 4,
			VisibilityTimeout: 360, MaxReceiveCount: defaults.MaxReceiveCount, ReportsItemFailures: true, OutageHoldSeconds: hold},
		"prod/FifoStack.json": {BatchSize: 10, MaxConcurrency: 20,
			ReservedConcurrency: 20, VisibilityTimeout: 360, MaxReceiveCount: defaults.MaxReceiveCount, ReportsItemFailures: true, OutageHoldSeconds: hold},
		"dev/FifoStack.json": {GroupIDs: []string{"g0"}, BatchSize: 10, VisibilityTimeout: 360, MaxReceiveCount: defaults.MaxReceiveCount, ReportsItemFailures: true, OutageHoldSeconds: hold},
	}
	for name, want := range cases {
		s, err := golden(t, name).Settings()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Fifo == nil || s.Kinesis != nil {
			t.Fatalf("%s read as Kinesis %v, Fifo %v", name, s.Kinesis, s.Fifo)
		}
		got := *s.Fifo
		got.Delivery = FifoDelivery{} // TestFifoDelivery reads it
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
	if _, err := tmpl.Settings(); err == nil {
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
		{FifoSettings{Delivery: FifoDelivery{PipeGroupIDPath: "$.body.detail.scheduleDate"}}, "per-key($.body.detail.scheduleDate)"},
	} {
		if got := tc.s.Groups(); got != tc.want {
			t.Errorf("Groups() of %+v = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// TestMissingOrMistypedPropertyIsAnError: a property CloudFormation has no
// default for must be there and of its type, or reading fails naming it; a
// property it has a default for reads as that default.
func TestMissingOrMistypedPropertyIsAnError(t *testing.T) {
	edit := func(name, typ string, change func(props map[string]any)) Template {
		tmpl := golden(t, name)
		found := false
		for id, r := range tmpl.Resources {
			if r.Type == typ {
				change(r.Properties)
				tmpl.Resources[id] = r
				found = true
			}
		}
		if !found {
			t.Fatalf("%s has no %s", name, typ)
		}
		return tmpl
	}
	failing := []struct {
		name string
		tmpl Template
		want string
	}{
		{"runtime missing", edit("dev/KinesisStack.json", "AWS::Lambda::Function", func(p map[string]any) { delete(p, "Runtime") }), "Runtime is missing"},
		{"timeout not a number", edit("dev/KinesisStack.json", "AWS::Lambda::Function", func(p map[string]any) { p["Timeout"] = "60" }), "Timeout is 60, want a whole number"},
		{"shard count missing", edit("dev/KinesisStack.json", "AWS::Kinesis::Stream", func(p map[string]any) { delete(p, "ShardCount") }), "ShardCount is missing"},
		{"batch size fractional", edit("dev/KinesisStack.json", "AWS::Lambda::EventSourceMapping", func(p map[string]any) { p["BatchSize"] = 1.5 }), "BatchSize is 1.5"},
		{"max receive count missing", edit("dev/FifoStack.json", "AWS::SQS::Queue", func(p map[string]any) {
			if rp, ok := p["RedrivePolicy"].(map[string]any); ok {
				delete(rp, "maxReceiveCount")
			}
		}), "maxReceiveCount is missing"},
	}
	for _, tc := range failing {
		if _, err := tc.tmpl.Settings(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}

	defaulted := edit("dev/KinesisStack.json", "AWS::Lambda::Function", func(p map[string]any) { delete(p, "Timeout"); delete(p, "MemorySize") })
	s, err := defaulted.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.Function.TimeoutSeconds != DefaultFunctionTimeoutSeconds || s.Function.MemoryMiB != DefaultFunctionMemoryMiB {
		t.Errorf("without Timeout and MemorySize: %d s, %d MiB; want CloudFormation's %d s, %d MiB",
			s.Function.TimeoutSeconds, s.Function.MemoryMiB, DefaultFunctionTimeoutSeconds, DefaultFunctionMemoryMiB)
	}
}

// Both stacks state the isolation age and the standard queue it isolates
// to; a template that states one without the other, or points at a FIFO
// queue, is refused.
func TestIsolationSettingsFromTemplate(t *testing.T) {
	for _, name := range []string{"dev/KinesisStack.json", "prod/FifoStack.json", "kms-create/FifoStack.json"} {
		s, err := golden(t, name).Settings()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Isolation.AfterSeconds != defaults.IsolateAfterSeconds || !strings.HasPrefix(s.Isolation.QueueLogicalID, "ConsumerIsolatedQueue") {
			t.Errorf("%s: isolation %+v, want %d s to the consumer's isolated queue", name, s.Isolation, defaults.IsolateAfterSeconds)
		}
	}
	vars := func(tmpl Template) map[string]any {
		for _, r := range tmpl.Resources {
			if r.Type == "AWS::Lambda::Function" {
				return r.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
			}
		}
		t.Fatal("no function")
		return nil
	}
	breaks := map[string]func(tmpl Template){
		"age without queue": func(tmpl Template) { delete(vars(tmpl), "ISOLATED_QUEUE_URL") },
		"queue without age": func(tmpl Template) { delete(vars(tmpl), "ORDERLY_ISOLATE_AFTER_SECONDS") },
		"age not a number":  func(tmpl Template) { vars(tmpl)["ORDERLY_ISOLATE_AFTER_SECONDS"] = "3m" },
		"queue a literal":   func(tmpl Template) { vars(tmpl)["ISOLATED_QUEUE_URL"] = "https://sqs.example/q" },
		"queue the FIFO queue": func(tmpl Template) {
			for id, r := range tmpl.Resources {
				if r.Type == "AWS::SQS::Queue" && r.Properties["FifoQueue"] == true {
					vars(tmpl)["ISOLATED_QUEUE_URL"] = map[string]any{"Ref": id}
					return
				}
			}
		},
		"hold not a number": func(tmpl Template) { vars(tmpl)["ORDERLY_OUTAGE_HOLD_SECONDS"] = "-1" },
	}
	for name, breakIt := range breaks {
		tmpl := golden(t, "dev/FifoStack.json")
		breakIt(tmpl)
		if _, err := tmpl.Settings(); err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
	// Isolation off: neither variable, and no queue.
	tmpl := golden(t, "dev/KinesisStack.json")
	delete(vars(tmpl), "ISOLATED_QUEUE_URL")
	delete(vars(tmpl), "ORDERLY_ISOLATE_AFTER_SECONDS")
	if s, err := tmpl.Settings(); err != nil || s.Isolation != (IsolationSettings{}) {
		t.Errorf("isolation off: %+v, %v", s.Isolation, err)
	}
}
