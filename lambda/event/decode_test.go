package event_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/failure"
)

const bareEvent = `{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "Schedule Entity Upserted",
  "source": "com.example.planning",
  "account": "111122223333",
  "time": "2026-11-28T10:15:30Z",
  "region": "eu-west-1",
  "resources": ["arn:aws:example:eu-west-1:111122223333:thing/1"],
  "detail": {"scheduleDate": "2026-11-28", "entityType": "driver", "entityId": "d-42", "version": 7}
}`

func pipeWithStringBody(t *testing.T, inner string) string {
	t.Helper()
	body, err := json.Marshal(inner)
	if err != nil {
		t.Fatal(err)
	}
	return `{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d","receiptHandle":"AQEB","attributes":{"MessageGroupId":"2026-11-28"},"body":` + string(body) + `}`
}

func TestDecodeAcceptedShapes(t *testing.T) {
	wantTime := time.Date(2026, 11, 28, 10, 15, 30, 0, time.UTC)
	tests := []struct {
		name string
		data string
	}{
		{"bare event", bareEvent},
		{"pipe message with string body", pipeWithStringBody(t, bareEvent)},
		{"pipe message with object body", `{"messageId":"m-1","body":` + bareEvent + `}`},
		{"surrounding whitespace", "\n\t " + bareEvent + " \n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := event.Decode([]byte(tc.data))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if ev.ID != "6a7e8feb-b491-4cf7-a9f1-bf3703467718" || ev.DetailType != "Schedule Entity Upserted" ||
				ev.Source != "com.example.planning" || ev.Account != "111122223333" || ev.Region != "eu-west-1" ||
				ev.Version != "0" || len(ev.Resources) != 1 {
				t.Fatalf("envelope fields not decoded: %+v", ev)
			}
			if !ev.Time.Equal(wantTime) {
				t.Fatalf("Time = %v, want %v", ev.Time, wantTime)
			}
			var detail struct {
				EntityID string `json:"entityId"`
				Version  int64  `json:"version"`
			}
			if err := json.Unmarshal(ev.Detail, &detail); err != nil || detail.EntityID != "d-42" || detail.Version != 7 {
				t.Fatalf("Detail = %s (%v), want the original detail object", ev.Detail, err)
			}
		})
	}
}

func TestDecodeRejectsWithPermanentError(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		mentions string
	}{
		{"empty", ``, "empty payload"},
		{"not json", `hello`, "want a JSON object"},
		{"array", `[1,2]`, "want a JSON object"},
		{"null", `null`, "want a JSON object"},
		{"truncated", bareEvent[:40], "invalid JSON"},
		{"missing id", `{"detail-type":"X","detail":{}}`, `missing "id"`},
		{"missing detail-type", `{"id":"1","detail":{}}`, `missing "detail-type"`},
		{"missing detail", `{"id":"1","detail-type":"X"}`, `"detail" must be a JSON object`},
		{"detail is string", `{"id":"1","detail-type":"X","detail":"{}"}`, `"detail" must be a JSON object`},
		{"detail is null", `{"id":"1","detail-type":"X","detail":null}`, `"detail" must be a JSON object`},
		{"bad time", `{"id":"1","detail-type":"X","time":"yesterday","detail":{}}`, "invalid JSON"},
		{"wrong id type", `{"id":1,"detail-type":"X","detail":{}}`, "invalid JSON"},
		{"all missing reported together", `{}`, `missing "id"; missing "detail-type"`},
		{"pipe without body", `{"messageId":"m-1"}`, `no "body"`},
		{"pipe with null body", `{"messageId":"m-1","body":null}`, `no "body"`},
		{"pipe body not an event", pipeWithStringBody(t, `not json`), "pipe message body"},
		{"pipe body number", `{"messageId":"m-1","body":42}`, "want a JSON object"},
		{"pipe body invalid event", pipeWithStringBody(t, `{"id":"x"}`), `missing "detail-type"`},
		{"pipe inside pipe", pipeWithStringBody(t, pipeWithStringBody(t, bareEvent)), `missing "id"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := event.Decode([]byte(tc.data))
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			if !failure.IsPermanent(err) {
				t.Fatalf("error %v is not permanent", err)
			}
			if !strings.Contains(err.Error(), tc.mentions) {
				t.Fatalf("error %q does not mention %q", err, tc.mentions)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q spans several lines; logs want one", err)
			}
		})
	}
}
