package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/telemetry"
	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/payloads"
)

// TestPeriodSplitOverTwoGroupsLosesNoUpdate is a FIFO batch from a
// mis-routed producer: ten events of one period alternate between message
// groups g0 and g1, so the engine sees two partitions. With 50 ms per API
// call, two concurrent read-modify-writes of the period would overwrite
// each other. The consumer serializes them by period instead, and says so
// in its metrics.
func TestPeriodSplitOverTwoGroupsLosesNoUpdate(t *testing.T) {
	w := wire(t)
	if err := w.api.SetFaults(fakeapi.Faults{Latency: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	const period = "2026-11-30"
	var msgs []payloads.Message
	for i := range 10 {
		msgs = append(msgs, payloads.Message{
			Partition: fmt.Sprintf("g%d", i%2),
			ID:        fmt.Sprintf("m%d", i),
			Data:      upsert(fmt.Sprintf("e%d", i), period, fmt.Sprintf("driver/d-%d", i), 1),
		})
	}
	out, err := w.invoke(context.Background(), payloads.SQSPayload(msgs...))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	if raw, _ := json.Marshal(out); !strings.Contains(string(raw), `"batchItemFailures":[]`) {
		t.Fatalf("response %s, want no failures", raw)
	}
	if st := w.api.Stats(); st.LostUpdates != 0 {
		t.Errorf("the fake API counted %d lost updates, want 0", st.LostUpdates)
	}
	doc, ok := w.api.Document(period)
	if !ok || len(doc.Entities) != 10 {
		t.Errorf("period %s holds %d entities, want all 10", period, len(doc.Entities))
	}

	var metrics map[string]any
	for _, line := range strings.Split(w.out.String(), "\n") {
		if strings.Contains(line, `"_aws"`) {
			if err := json.Unmarshal([]byte(line), &metrics); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := metrics[telemetry.MetricPeriodsSplit]; got != 1.0 {
		t.Errorf("EMF %s = %v, want 1 (line %v)", telemetry.MetricPeriodsSplit, got, metrics)
	}
	if !strings.Contains(w.out.String(), `"key":"`+period+`"`) {
		t.Errorf("no log line names the split period %s:\n%s", period, w.out.String())
	}
}
