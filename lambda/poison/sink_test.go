package poison_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderly-dev/orderly/lambda/failure"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/poison"
	"github.com/orderly-dev/orderly/lambda/sdkhttp"
	"github.com/orderly-dev/orderly/sim/fakeaws"
)

const queueURL = "https://sqs.eu-west-1.amazonaws.com/111122223333/orderly-poison"

var poisonedAt = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

func newSink(t *testing.T) (*poison.Sink, *fakeaws.Server) {
	t.Helper()
	fake := fakeaws.New()
	t.Cleanup(fake.Close)
	fake.AddQueue(queueURL)
	client := sqs.NewFromConfig(aws.Config{
		HTTPClient:       sdkhttp.Client(),
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	}, func(o *sqs.Options) { o.BaseEndpoint = aws.String(fake.URL()) })
	sink, err := poison.New(client, queueURL, func() time.Time { return poisonedAt })
	if err != nil {
		t.Fatal(err)
	}
	return sink, fake
}

func TestPoisonSendsBodyAndAttributes(t *testing.T) {
	tests := []struct {
		name        string
		data        []byte
		source      string // the record's Source, as the adapters set it
		wantRaw     string // compacted JSON payload, if sent raw
		wantBase64  bool
		wantAttrLen int
	}{
		{"json payload stays raw", []byte(`{"id":"e1", "detail": {}}`), "kinesis", `{"id":"e1","detail":{}}`, false, 4},
		{"malformed json is base64", []byte(`{"id":"e1","detail":`), "sqs", "", true, 4},
		{"binary is base64", []byte{0x00, 0xff, 0x10}, "kinesis", "", true, 4},
		{"json with a character SQS rejects is base64", []byte("\"\uffff\""), "sqs", "", true, 4},
		{"record without a source", []byte(`[1,2]`), "", `[1,2]`, false, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink, fake := newSink(t)
			ctx := context.Background()
			rec := ordering.Record{Partition: "2026-11-28", ID: "49590000000000000000000000000000000000000000000001", Data: tc.data, Source: tc.source}
			reason := failure.Permanent(errors.New(`decode event: missing "detail-type"`))
			if err := sink.Poison(ctx, rec, reason); err != nil {
				t.Fatalf("Poison: %v", err)
			}
			msgs := fake.Sent()
			if len(msgs) != 1 {
				t.Fatalf("fake SQS got %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.QueueURL != queueURL || m.MessageGroupID != "" {
				t.Errorf("queue %q group %q; want %q and no group (standard queue)", m.QueueURL, m.MessageGroupID, queueURL)
			}
			var body poison.Message
			if err := json.Unmarshal([]byte(m.MessageBody), &body); err != nil {
				t.Fatalf("body is not JSON: %v\n%s", err, m.MessageBody)
			}
			if body.Reason != reason.Error() || body.Partition != rec.Partition || body.RecordID != rec.ID ||
				body.Source != tc.source || !body.PoisonedAt.Equal(poisonedAt) || body.PayloadBytes != len(tc.data) || len(body.PayloadSHA256) != 64 {
				t.Errorf("body %+v does not describe the record", body)
			}
			if tc.wantBase64 {
				got, err := base64.StdEncoding.DecodeString(body.PayloadBase64)
				if err != nil || string(got) != string(tc.data) || body.Payload != nil {
					t.Errorf("payloadBase64 %q (%v) / payload %s, want base64 of %q only", body.PayloadBase64, err, body.Payload, tc.data)
				}
			} else if string(body.Payload) != tc.wantRaw || body.PayloadBase64 != "" {
				t.Errorf("payload %s / base64 %q, want raw %s only", body.Payload, body.PayloadBase64, tc.wantRaw)
			}
			if len(m.MessageAttributes) != tc.wantAttrLen {
				t.Errorf("attributes %v, want %d", m.MessageAttributes, tc.wantAttrLen)
			}
			wantAttrs := map[string]string{
				poison.AttrPartition: rec.Partition, poison.AttrRecordID: rec.ID, poison.AttrPoisonedAt: "2026-11-28T10:00:00Z",
			}
			if tc.source != "" {
				wantAttrs[poison.AttrSource] = tc.source
			}
			for name, want := range wantAttrs {
				if a := m.MessageAttributes[name]; a.StringValue != want || a.DataType != "String" {
					t.Errorf("attribute %s = %+v, want String %q", name, a, want)
				}
			}
		})
	}
}

func TestPoisonReportsSendFailures(t *testing.T) {
	sink, fake := newSink(t)
	fake.FailNextSQS(1)
	err := sink.Poison(context.Background(), ordering.Record{Partition: "p", ID: "r1", Data: []byte(`{}`)}, failure.Permanent(errors.New("bad")))
	if err == nil || !strings.Contains(err.Error(), "send record r1 to poison queue") {
		t.Fatalf("Poison error = %v, want a send failure naming the record", err)
	}
	if failure.IsPermanent(err) {
		t.Fatal("a poison queue outage must be transient, or the record would be lost")
	}
}

func TestBodyOmitsOversizedPayload(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    string // which field carries the payload
	}{
		{"json that fits", []byte(`{"a":"` + strings.Repeat("x", poison.MaxBodyBytes/2) + `"}`), "payload"},
		{"json too large raw", []byte(`"` + strings.Repeat("x", poison.MaxBodyBytes) + `"`), "omitted"},
		{"binary that fits only raw-size", append([]byte{0xff}, make([]byte, poison.MaxBodyBytes*4/5)...), "omitted"},
		{"small binary", []byte{0xff, 0xfe}, "base64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := poison.Body(poison.Message{Reason: "r", Partition: "p", RecordID: "id"}, tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			if len(body) > poison.MaxBodyBytes {
				t.Fatalf("body is %d bytes, max %d", len(body), poison.MaxBodyBytes)
			}
			var m poison.Message
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				t.Fatal(err)
			}
			got := map[bool]string{true: "omitted"}[m.PayloadOmitted]
			if m.Payload != nil {
				got = "payload"
			} else if m.PayloadBase64 != "" {
				got = "base64"
			}
			if got != tc.want || m.PayloadBytes != len(tc.payload) {
				t.Fatalf("payload carried as %q (%d bytes recorded), want %q (%d)", got, m.PayloadBytes, tc.want, len(tc.payload))
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := poison.New(nil, queueURL, nil); err == nil {
		t.Error("New accepted a nil client")
	}
	if _, err := poison.New(sqs.New(sqs.Options{Region: "eu-west-1"}), "", nil); err == nil || !strings.Contains(err.Error(), "queue URL") {
		t.Errorf("New with empty URL: %v", err)
	}
}
