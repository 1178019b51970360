package source

import (
	"encoding/json"
	"fmt"
)

// Kind names an event source; it is also the metric dimension value.
type Kind string

// The event sources the consumer serves.
const (
	Kinesis Kind = "kinesis"
	SQS     Kind = "sqs"
	// None is reported for an empty batch, where the source cannot be told.
	None Kind = "none"
)

var eventSources = map[string]Kind{
	"aws:kinesis": Kinesis,
	"aws:sqs":     SQS,
}

// Detect returns the kind of the Lambda event in payload from
// Records[0].eventSource. An empty or missing Records array gives None.
func Detect(payload []byte) (Kind, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return "", fmt.Errorf("detect event source: payload is not a Lambda event (want an object with a Records array): %w", err)
	}
	if len(probe.Records) == 0 {
		return None, nil
	}
	src := probe.Records[0].EventSource
	kind, ok := eventSources[src]
	if !ok {
		return "", fmt.Errorf("detect event source: Records[0].eventSource is %q, want \"aws:kinesis\" or \"aws:sqs\"", src)
	}
	return kind, nil
}
