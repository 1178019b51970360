package source_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/source"
	"github.com/orderly-dev/orderly/sim/payloads"
)

func TestRecordsKeepOrderPartitionAndPayload(t *testing.T) {
	msgs := []payloads.Message{
		{Partition: "2026-11-28", ID: "m1", Data: []byte(`{"n":1}`)},
		{Partition: "2026-11-29", ID: "m2", Data: []byte("not json: ü \x00")},
		{Partition: "2026-11-28", ID: "m3", Data: []byte(`{"n":3}`)},
	}
	kin, sqs := decodeBoth(t, msgs)
	// The keys are the Source each adapter must stamp on its records.
	for name, got := range map[string][]ordering.Record{"kinesis": source.KinesisRecords(kin), "sqs": source.SQSRecords(sqs)} {
		if len(got) != len(msgs) {
			t.Fatalf("%s: %d records, want %d", name, len(got), len(msgs))
		}
		for i, m := range msgs {
			if got[i].Partition != m.Partition || got[i].ID != m.ID || string(got[i].Data) != string(m.Data) || got[i].Source != name {
				t.Errorf("%s record %d = %+v, want %+v", name, i, got[i], m)
			}
		}
	}
}

func TestKinesisBinaryDataSurvives(t *testing.T) {
	binary := []byte{0x00, 0xff, 0xfe, 'x'}
	var kin events.KinesisEvent
	if err := json.Unmarshal(payloads.KinesisPayload(payloads.Message{Partition: "p", ID: "1", Data: binary}), &kin); err != nil {
		t.Fatal(err)
	}
	if got := source.KinesisRecords(kin)[0].Data; string(got) != string(binary) {
		t.Fatalf("data %x, want %x", got, binary)
	}
}

func TestSQSMessagesWithoutGroupAreIndependent(t *testing.T) {
	var ev events.SQSEvent
	payload := payloads.SQSPayload(
		payloads.Message{ID: "m1", Data: []byte("{}")},
		payloads.Message{ID: "m2", Data: []byte("{}")},
		payloads.Message{Partition: "g", ID: "m3", Data: []byte("{}")},
	)
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	recs := source.SQSRecords(ev)
	partitions := []string{recs[0].Partition, recs[1].Partition, recs[2].Partition}
	if partitions[0] == partitions[1] || partitions[2] != "g" {
		t.Fatalf("partitions %v: messages without a group must not share a partition", partitions)
	}
}

func TestResponsesFromOutcomes(t *testing.T) {
	const (
		S = ordering.Succeeded
		F = ordering.Failed
		P = ordering.Poisoned
		K = ordering.Skipped
	)
	tests := []struct {
		name     string
		outcomes []ordering.Outcome
		kinesis  []string
		sqs      []string
	}{
		{"none", nil, []string{}, []string{}},
		{"all done", []ordering.Outcome{S, P, S}, []string{}, []string{}},
		{"earliest retry wins for kinesis", []ordering.Outcome{S, P, K, F, S, K}, []string{"r2"}, []string{"r2", "r3", "r5"}},
		{"failed first", []ordering.Outcome{F, S, K}, []string{"r0"}, []string{"r0", "r2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var kin events.KinesisEvent
			var sqs events.SQSEvent
			for i := range tc.outcomes {
				id := "r" + string(rune('0'+i))
				kin.Records = append(kin.Records, events.KinesisEventRecord{Kinesis: events.KinesisRecord{SequenceNumber: id}})
				sqs.Records = append(sqs.Records, events.SQSMessage{MessageId: id})
			}
			res := ordering.Result{Outcomes: tc.outcomes}
			var gotKin, gotSQS []string
			for _, f := range source.KinesisResponse(kin, res).BatchItemFailures {
				gotKin = append(gotKin, f.ItemIdentifier)
			}
			for _, f := range source.SQSResponse(sqs, res).BatchItemFailures {
				gotSQS = append(gotSQS, f.ItemIdentifier)
			}
			if !slices.Equal(gotKin, tc.kinesis) || !slices.Equal(gotSQS, tc.sqs) {
				t.Fatalf("kinesis %v sqs %v, want %v and %v", gotKin, gotSQS, tc.kinesis, tc.sqs)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		payload string
		want    source.Kind
		wantErr bool
	}{
		{string(payloads.KinesisPayload(payloads.Message{ID: "1"})), source.Kinesis, false},
		{string(payloads.SQSPayload(payloads.Message{ID: "1"})), source.SQS, false},
		{`{"Records":[]}`, source.None, false},
		{`{"Records":[{"EventSource":"aws:sns"}]}`, "", true},
		{`{"Records":[{}]}`, "", true},
		{`{"Records":{}}`, "", true},
		{`nope`, "", true},
	}
	for _, tc := range tests {
		got, err := source.Detect([]byte(tc.payload))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("Detect(%.60s) = %q, %v; want %q, error %v", tc.payload, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestRecordsCarryTheirArrival: the age that isolation judges comes from
// Kinesis's approximateArrivalTimestamp and SQS's SentTimestamp.
func TestRecordsCarryTheirArrival(t *testing.T) {
	msgs := []payloads.Message{{Partition: "p", ID: "m1", Data: []byte(`{}`)}, {Partition: "p", ID: "m2", Data: []byte(`{}`)}}
	kin, sqs := decodeBoth(t, msgs)
	for name, got := range map[string][]ordering.Record{"kinesis": source.KinesisRecords(kin), "sqs": source.SQSRecords(sqs)} {
		if got[0].Arrived.IsZero() || got[1].Arrived.Sub(got[0].Arrived).Round(time.Millisecond) != time.Millisecond {
			t.Errorf("%s: arrivals %v, %v: want the payload's timestamps, 1 ms apart", name, got[0].Arrived, got[1].Arrived)
		}
	}
	delete(sqs.Records[0].Attributes, source.SentTimestampAttribute)
	if got := source.SQSRecords(sqs)[0].Arrived; !got.IsZero() {
		t.Errorf("a message without SentTimestamp arrived %v, want zero (unknown: never isolated)", got)
	}
}

func TestSQSRetriesCarryTheFailureScope(t *testing.T) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payloads.SQSPayload(
		payloads.Message{Partition: "a", ID: "m1", Data: []byte(`{}`)},
		payloads.Message{Partition: "a", ID: "m2", Data: []byte(`{}`)},
		payloads.Message{Partition: "b", ID: "m3", Data: []byte(`{}`)},
	), &ev); err != nil {
		t.Fatal(err)
	}
	res := ordering.Result{
		Outcomes: []ordering.Outcome{ordering.Failed, ordering.Skipped, ordering.Isolated},
		Scopes:   []ordering.FailureScope{ordering.WideFailure, ordering.WideFailure, ordering.NoFailureScope},
	}
	retry := source.SQSRetries(ev, res)
	if len(retry) != 2 || retry[0].Scope != ordering.WideFailure || retry[1].Scope != ordering.WideFailure || retry[1].Message.MessageId != "m2" {
		t.Errorf("retries %+v: want m1 and m2, both wide; the isolated m3 is not retried", retry)
	}
}

// decodeBoth builds msgs as a Kinesis and as an SQS event, as Lambda
// delivers them.
func decodeBoth(t *testing.T, msgs []payloads.Message) (events.KinesisEvent, events.SQSEvent) {
	t.Helper()
	var kin events.KinesisEvent
	if err := json.Unmarshal(payloads.KinesisPayload(msgs...), &kin); err != nil {
		t.Fatal(err)
	}
	var sqs events.SQSEvent
	if err := json.Unmarshal(payloads.SQSPayload(msgs...), &sqs); err != nil {
		t.Fatal(err)
	}
	return kin, sqs
}
