package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/orderly-dev/orderly/lambda/failure"
)

// envelope accepts both shapes in one pass: the fields of a bare event and
// the fields of a Pipe-forwarded SQS message. Decoding once keeps the hot
// path to a single json.Unmarshal for the common (bare) case.
type envelope struct {
	Event
	MessageID *string         `json:"messageId"`
	Body      json.RawMessage `json:"body"`
}

// Decode parses data as an EventBridge event. It accepts a bare event, or a
// message forwarded by an EventBridge Pipe from an SQS source: an object with
// "messageId" and "body", where body is a JSON string holding the event or
// the event object itself. The event must carry a non-empty "id", a
// non-empty "detail-type" and a JSON object "detail".
//
// Every error is permanent: the same bytes will never decode on a retry.
func Decode(data []byte) (Event, error) {
	ev, err := decode(data)
	if err != nil {
		return Event{}, failure.Permanent(fmt.Errorf("decode event: %w", err))
	}
	return ev, nil
}

func decode(data []byte) (Event, error) {
	var env envelope
	if err := unmarshalObject(data, &env); err != nil {
		return Event{}, err
	}
	if env.MessageID != nil && env.ID == "" {
		return decodePipeBody(env.Body)
	}
	return env.Event, validate(env.Event)
}

// decodePipeBody unwraps exactly one level: a Pipe body that is itself a
// Pipe message is not something our topology produces, so it is rejected by
// validation rather than unwrapped recursively.
func decodePipeBody(body json.RawMessage) (Event, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || bytes.Equal(body, []byte("null")) {
		return Event{}, errors.New(`pipe message has no "body"`)
	}
	if body[0] == '"' {
		var inner string
		if err := json.Unmarshal(body, &inner); err != nil {
			return Event{}, fmt.Errorf("pipe message body: %w", err)
		}
		body = []byte(inner)
	}
	var ev Event
	if err := unmarshalObject(body, &ev); err != nil {
		return Event{}, fmt.Errorf("pipe message body: %w", err)
	}
	if err := validate(ev); err != nil {
		return Event{}, fmt.Errorf("pipe message body: %w", err)
	}
	return ev, nil
}

func unmarshalObject(data []byte, v any) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return errors.New("empty payload, want a JSON object")
	}
	if trimmed[0] != '{' {
		return fmt.Errorf("payload starts with %q, want a JSON object", truncate(trimmed, 16))
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return nil
}

// validate reports every problem at once, on one line, so a single log
// entry tells the producer everything that is wrong with the event.
func validate(ev Event) error {
	var problems []string
	if ev.ID == "" {
		problems = append(problems, `missing "id"`)
	}
	if ev.DetailType == "" {
		problems = append(problems, `missing "detail-type"`)
	}
	if d := bytes.TrimSpace(ev.Detail); len(d) == 0 || d[0] != '{' {
		problems = append(problems, `"detail" must be a JSON object, got `+describe(d))
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; "))
}

func describe(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	return string(truncate(raw, 32))
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
