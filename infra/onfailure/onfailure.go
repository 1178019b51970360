// Package onfailure reads the objects Lambda writes to an S3 on-failure
// destination of a Kinesis event source mapping: one JSON invocation record
// per discarded batch. The smoke check looks into them for its canary and
// the redrive command takes the original events out of them.
//
// The format, as AWS documents it for S3 on-failure destinations (not
// verified against a live account here, which this project has none of):
//
//	{
//	  "requestContext": {"requestId": "…", "functionArn": "…", "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 3},
//	  "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
//	  "version": "1.0",
//	  "timestamp": "2026-11-28T10:15:30.123Z",
//	  "KinesisBatchInfo": {"shardId": "shardId-000000000000", "startSequenceNumber": "…", "endSequenceNumber": "…", "batchSize": 100, "streamArn": "…"},
//	  "payload": "<the invocation event: {\"Records\": [...]}>"
//	}
//
// payload is the whole Kinesis invocation event the function received,
// whose records' kinesis.data is the base64 of the EventBridge event. It is
// accepted both as a JSON string holding that event and as the object
// itself, since the documentation shows it as a string.
package onfailure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Object is one invocation record: what the redrive and the smoke check
// read, and what the local Kinesis mapping (sim/kinesisesm) writes.
type Object struct {
	RequestContext  RequestContext  `json:"requestContext"`
	ResponseContext ResponseContext `json:"responseContext"`
	Version         string          `json:"version"`
	// Timestamp is kept as written (TimeLayout on AWS's page), so that an
	// unexpected format never makes an object unreadable.
	Timestamp        string     `json:"timestamp"`
	KinesisBatchInfo *BatchInfo `json:"KinesisBatchInfo"`
	// Payload is the invocation event; only an S3 destination receives it.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// TimeLayout is how the record's times are written.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Condition says why Lambda discarded a batch.
type Condition string

// The conditions of discarded Kinesis batches.
const (
	RetryAttemptsExhausted Condition = "RetryAttemptsExhausted"
	RecordAgeExceeded      Condition = "RecordAgeExceeded"
)

// RequestContext of an invocation record.
type RequestContext struct {
	RequestID              string    `json:"requestId"`
	FunctionARN            string    `json:"functionArn"`
	Condition              Condition `json:"condition"`
	ApproximateInvokeCount int       `json:"approximateInvokeCount"`
}

// ResponseContext of an invocation record: the function's last answer.
type ResponseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// BatchInfo locates the discarded batch in its stream.
type BatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord,omitempty"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord,omitempty"`
	BatchSize                       int    `json:"batchSize"`
	StreamARN                       string `json:"streamArn"`
}

// Covers reports whether the sequence number seq lies within the batch.
func (b BatchInfo) Covers(seq string) bool {
	return CompareSequence(b.StartSequenceNumber, seq) <= 0 && CompareSequence(seq, b.EndSequenceNumber) <= 0
}

// CompareSequence compares two Kinesis sequence numbers, decimal integers
// longer than 64 bits.
func CompareSequence(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// Decode parses an invocation record; it must name its Kinesis batch.
func Decode(data []byte) (Object, error) {
	var o Object
	if err := json.Unmarshal(data, &o); err != nil {
		return Object{}, fmt.Errorf("on-failure object: %w", err)
	}
	if o.KinesisBatchInfo == nil {
		return Object{}, errors.New("on-failure object: no KinesisBatchInfo: not a Kinesis invocation record")
	}
	return o, nil
}

// Records returns the discarded records, their data decoded from base64.
func (o Object) Records() ([]events.KinesisEventRecord, error) {
	payload := bytes.TrimSpace(o.Payload)
	if len(payload) == 0 || bytes.Equal(payload, []byte("null")) {
		return nil, errors.New(`on-failure object has no "payload": the destination received metadata only`)
	}
	if payload[0] == '"' {
		var inner string
		if err := json.Unmarshal(payload, &inner); err != nil {
			return nil, fmt.Errorf("on-failure payload: %w", err)
		}
		payload = []byte(inner)
	}
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("on-failure payload: not a Kinesis invocation event: %w", err)
	}
	return ev.Records, nil
}
