// Package event decodes the EventBridge events that reach the consumer,
// either directly (EventBridge -> Kinesis / SQS) or wrapped by an
// EventBridge Pipe that forwards SQS messages.
package event

import (
	"encoding/json"
	"time"
)

// Event is an EventBridge event envelope as delivered to the consumer.
type Event struct {
	Version    string          `json:"version,omitempty"`
	ID         string          `json:"id"`
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Account    string          `json:"account,omitempty"`
	Region     string          `json:"region,omitempty"`
	Time       time.Time       `json:"time"`
	Resources  []string        `json:"resources,omitempty"`
	Detail     json.RawMessage `json:"detail"`
}
