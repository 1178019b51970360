package onfailure_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/onfailure"
	"github.com/orderly-dev/orderly/sim/payloads"
)

func object(t *testing.T, payload any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"requestContext": map[string]any{"requestId": "r", "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 3},
		"version":        "1.0",
		"KinesisBatchInfo": map[string]any{"shardId": "shardId-000000000000", "startSequenceNumber": "49600000000000000000000000000000000000000000000000000010",
			"endSequenceNumber": "49600000000000000000000000000000000000000000000000000020", "batchSize": 1},
		"payload": payload,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordsFromStringOrObjectPayload(t *testing.T) {
	event := `{"id":"e1","detail-type":"X","detail":{}}`
	invocation := payloads.KinesisPayload(payloads.Message{Partition: "2026-11-28", ID: "49600000000000000000000000000000000000000000000000000015", Data: []byte(event)})
	for name, payload := range map[string]any{"string": string(invocation), "object": json.RawMessage(invocation)} {
		t.Run(name, func(t *testing.T) {
			o, err := onfailure.Decode(object(t, payload))
			if err != nil {
				t.Fatal(err)
			}
			recs, err := o.Records()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || string(recs[0].Kinesis.Data) != event {
				t.Fatalf("records %+v, want the one event", recs)
			}
			if o.RequestContext.Condition != "RetryAttemptsExhausted" || !o.KinesisBatchInfo.Covers("49600000000000000000000000000000000000000000000000000015") ||
				o.KinesisBatchInfo.Covers("49600000000000000000000000000000000000000000000000000021") || o.KinesisBatchInfo.Covers("9") {
				t.Errorf("batch info %+v", o.KinesisBatchInfo)
			}
		})
	}
}

func TestMetadataOnlyAndForeignObjectsAreRefused(t *testing.T) {
	o, err := onfailure.Decode(object(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Records(); err == nil || !strings.Contains(err.Error(), "metadata only") {
		t.Errorf("error %v, want metadata only", err)
	}
	if _, err := onfailure.Decode([]byte(`{"version":"1.0"}`)); err == nil {
		t.Error("accepted an object without KinesisBatchInfo")
	}
}
