package assembly

import (
	"reflect"
	"testing"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
)

func TestOrderingOfKinesisStack(t *testing.T) {
	o, err := golden(t, "prod/KinesisStack.json").Ordering()
	if err != nil {
		t.Fatal(err)
	}
	if o.Stream == nil || o.Stream.Mode != StreamModeProvisioned || o.Stream.RecordDistributionStrategy != "" {
		t.Errorf("stream %+v: want provisioned, without a distribution strategy", o.Stream)
	}
	if len(o.Rules) != 1 || o.Rules[0].PartitionKeyPath != "$.detail.scheduleDate" {
		t.Errorf("rules %+v", o.Rules)
	}
	if want := (MappingOrdering{LogicalID: o.Mapping.LogicalID, Enabled: true, BatchSize: 100, ParallelizationFactor: 2, ReportsItemFailures: true}); o.Mapping != want {
		t.Errorf("mapping %+v, want %+v", o.Mapping, want)
	}
	if len(o.Queues) != 0 || o.Pipe != nil {
		t.Errorf("queues %+v, pipe %+v: want none", o.Queues, o.Pipe)
	}
	for name, want := range map[string]string{"ORDERLY_PERIOD_PATH": "$.detail.scheduleDate", "ORDERLY_COALESCE": "true"} {
		if got := o.Function.Environment[name]; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, ok := o.Function.Environment["SCHEDULE_API_BASE_URL"]; ok {
		t.Error("a variable outside ORDERLY_ was read as an ordering setting")
	}
}

func TestOrderingOfPerKeyFifoStack(t *testing.T) {
	o, err := golden(t, "fifo-per-key/FifoStack.json").Ordering()
	if err != nil {
		t.Fatal(err)
	}
	if o.Stream != nil || o.Pipe == nil || o.Pipe.GroupIDPath != "$.body.detail.scheduleDate" || o.Pipe.DeduplicationIDPath != "$.messageId" {
		t.Fatalf("stream %+v, pipe %+v", o.Stream, o.Pipe)
	}
	if len(o.Queues) != 2 {
		t.Fatalf("queues %+v: want the ingest queue and the consumer's", o.Queues)
	}
	byID := map[string]QueueOrdering{}
	for _, q := range o.Queues {
		byID[q.LogicalID] = q
		if !q.Fifo || !q.ContentBasedDeduplication || q.MaxReceiveCount != defaults.MaxReceiveCount || q.DeadLetterLogicalID == "" {
			t.Errorf("queue %+v", q)
		}
	}
	consumer := byID[findGetAtt(t, golden(t, "fifo-per-key/FifoStack.json"), o.Mapping.LogicalID)]
	want := QueueOrdering{LogicalID: consumer.LogicalID, Fifo: true, ContentBasedDeduplication: true, DeduplicationScope: "messageGroup",
		FifoThroughputLimit: "perMessageGroupId", VisibilityTimeout: 360, MaxReceiveCount: defaults.MaxReceiveCount, DeadLetterLogicalID: consumer.DeadLetterLogicalID}
	if !reflect.DeepEqual(consumer, want) {
		t.Errorf("consumer queue %+v, want %+v", consumer, want)
	}
	if o.Mapping.ParallelizationFactor != 0 || o.Mapping.BatchSize != 10 || !o.Mapping.Enabled {
		t.Errorf("mapping %+v", o.Mapping)
	}
}

func TestOrderingOfStaticGroups(t *testing.T) {
	o, err := golden(t, "fifo-groups-3/FifoStack.json").Ordering()
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, r := range o.Rules {
		groups = append(groups, r.MessageGroupID)
	}
	if len(groups) != 4 || len(o.Queues) != 1 || o.Pipe != nil {
		t.Errorf("groups %q, queues %+v, pipe %+v", groups, o.Queues, o.Pipe)
	}
}

func TestOnDemandStreamDefaultsToPartitionKeyPlacement(t *testing.T) {
	tmpl := golden(t, "dev/KinesisStack.json")
	for id, r := range tmpl.Resources {
		if r.Type == "AWS::Kinesis::Stream" {
			r.Properties = map[string]any{"StreamModeDetails": map[string]any{"StreamMode": "ON_DEMAND"}}
			tmpl.Resources[id] = r
		}
	}
	o, err := tmpl.Ordering()
	if err != nil || o.Stream.RecordDistributionStrategy != DefaultRecordDistributionStrategy {
		t.Errorf("stream %+v, %v", o.Stream, err)
	}
}

func findGetAtt(t *testing.T, tmpl Template, esm string) string {
	id, err := tmpl.props(esm).getAtt("EventSourceArn")
	if err != nil {
		t.Fatal(err)
	}
	return id
}
