package redrive

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/orderly-dev/orderly/infra/onfailure"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/poison"
)

// payloads returns the raw payloads one message or object holds, each the
// bytes the consumer received for one record: an EventBridge event, or the
// Pipe's wrapper of one (event.Decode reads both).
func payloads(source string, body []byte) ([][]byte, error) {
	switch source {
	case outputs.PoisonQueueURL, outputs.IsolatedQueueURL:
		// The isolated queue's messages are poison messages of kind
		// poison.KindIsolated.
		what := "poison message"
		if source == outputs.IsolatedQueueURL {
			what = "message of the isolated queue"
		}
		var m poison.Message
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, fmt.Errorf("not a %s: %w", what, err)
		}
		switch {
		case len(m.Payload) > 0:
			return [][]byte{m.Payload}, nil
		case m.PayloadBase64 != "":
			data, err := base64.StdEncoding.DecodeString(m.PayloadBase64)
			if err != nil {
				return nil, fmt.Errorf("payloadBase64 of the %s: %w", what, err)
			}
			return [][]byte{data}, nil
		case m.PayloadOmitted:
			return nil, fmt.Errorf("the %s omits its %d-byte payload (too large for SQS): find record %s in the stream or queue it came from", what, m.PayloadBytes, m.RecordID)
		}
		return nil, fmt.Errorf("the %s holds no payload", what)
	case outputs.OnFailureBucketName:
		object, err := onfailure.Decode(body)
		if err != nil {
			return nil, err
		}
		records, err := object.Records()
		if err != nil {
			return nil, err
		}
		out := make([][]byte, len(records))
		for i, r := range records {
			out[i] = r.Kinesis.Data
		}
		return out, nil
	default:
		// Dead-letter queues hold the event, or the Pipe's message, as is.
		return [][]byte{body}, nil
	}
}

// decode extracts the original events of a message or object. An error
// for one payload is returned by index; the others still decode.
func decode(source string, body []byte) (events []event.Event, problems []string) {
	raws, err := payloads(source, body)
	if err != nil {
		return nil, []string{err.Error()}
	}
	for i, raw := range raws {
		ev, err := event.Decode(raw)
		if err != nil {
			problems = append(problems, fmt.Sprintf("record %d: %v", i, err))
			continue
		}
		events = append(events, ev)
	}
	return events, problems
}
