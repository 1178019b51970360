package poison_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/poison"
)

type capture struct{ in []*sqs.SendMessageInput }

func (c *capture) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	c.in = append(c.in, in)
	return &sqs.SendMessageOutput{}, nil
}

func TestIsolatedMessageKeepsTheWholeEventAndWhy(t *testing.T) {
	c := &capture{}
	sink, err := poison.NewIsolated(c, queueURL, func() time.Time { return poisonedAt })
	if err != nil {
		t.Fatal(err)
	}
	arrived := poisonedAt.Add(-4 * time.Minute)
	payload := `{"id":"e1","detail":{"period":"2026-W48"}}`
	rec := ordering.Record{Partition: "2026-W48", ID: "4961", Data: []byte(payload), Source: "kinesis", Arrived: arrived}
	reason := &ordering.IsolatedError{Key: "2026-W48", Age: 4 * time.Minute, Last: errors.New("push schedule: 503 Service Unavailable")}
	if err := sink.Isolate(context.Background(), rec, reason); err != nil {
		t.Fatal(err)
	}
	if len(c.in) != 1 {
		t.Fatalf("%d sends, want 1", len(c.in))
	}
	var m poison.Message
	if err := json.Unmarshal([]byte(aws.ToString(c.in[0].MessageBody)), &m); err != nil {
		t.Fatal(err)
	}
	if m.Kind != poison.KindIsolated || m.Period != "2026-W48" || m.RecordID != "4961" || m.ArrivedAt == nil || !m.ArrivedAt.Equal(arrived) ||
		m.LastError != "push schedule: 503 Service Unavailable" || !strings.Contains(m.Reason, "while other keys succeed") || string(m.Payload) != payload {
		t.Errorf("message %+v", m)
	}
	if got := aws.ToString(c.in[0].MessageAttributes[poison.AttrKind].StringValue); got != poison.KindIsolated {
		t.Errorf("%s attribute %q", poison.AttrKind, got)
	}
}

func TestIsolationRefusesToDropAnyOfThePayload(t *testing.T) {
	c := &capture{}
	sink, err := poison.NewIsolated(c, queueURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	big := `{"detail":"` + strings.Repeat("x", poison.MaxBodyBytes) + `"}`
	err = sink.Isolate(context.Background(), ordering.Record{ID: "r1", Data: []byte(big)}, &ordering.IsolatedError{Key: "p", Last: errors.New("503")})
	if err == nil || len(c.in) != 0 {
		t.Errorf("error %v, %d sends: want a refusal and nothing sent, so that the record stays in line", err, len(c.in))
	}
}
