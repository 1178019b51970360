package kinesisesm

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderly-dev/orderly/lambda/source"
)

// The consumer ages a Kinesis record from approximateArrivalTimestamp
// (isolation, issue 17): the payload must carry the shard's arrival time,
// to the millisecond, where Lambda puts it.
func TestPayloadCarriesTheArrivalTimestamp(t *testing.T) {
	m, err := New(base(), InvokerFunc(nil), []Shard{NewMemoryShard("s0")})
	if err != nil {
		t.Fatal(err)
	}
	recs := records(2, "k")
	recs[1].ArrivalTime = epoch.Add(90*time.Second + 123*time.Millisecond)
	payload := m.payload(recs)

	var raw struct {
		Records []struct {
			Kinesis map[string]json.RawMessage `json:"kinesis"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		t.Fatal(err)
	}
	// Seconds since the epoch as a JSON number, as Lambda sends it
	// (aws-lambda-go's float division is off by a few hundred ns).
	var secs float64
	if err := json.Unmarshal(raw.Records[1].Kinesis["approximateArrivalTimestamp"], &secs); err != nil || math.Abs(secs-1795860090.123) > 1e-6 {
		t.Errorf("approximateArrivalTimestamp %s (%v), want 1795860090.123", raw.Records[1].Kinesis["approximateArrivalTimestamp"], err)
	}
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	got := source.KinesisRecords(ev)
	for i, r := range got {
		if d := r.Arrived.Sub(recs[i].ArrivalTime).Abs(); d > time.Microsecond {
			t.Errorf("record %d: the consumer reads arrival %s, want %s", i, r.Arrived, recs[i].ArrivalTime)
		}
	}
}
