// Package payloads builds real-shaped Lambda payloads (Kinesis and SQS
// FIFO events carrying EventBridge events) for tests of the consumer, in
// this module and in the artifact test.
package payloads

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Message is one record to put into a payload.
type Message struct {
	Partition string // Kinesis partition key or SQS MessageGroupId ("" omits the group)
	ID        string // Kinesis sequence number or SQS message id
	Data      []byte // Kinesis data or SQS body
	// ReceiveCount is the SQS ApproximateReceiveCount; 0 means 1.
	ReceiveCount int
}

// Region and account used in every generated ARN.
const (
	Region  = "eu-west-1"
	Account = "111122223333"
)

// arrival is fixed so that payloads are deterministic.
var arrival = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// KinesisPayload returns a Lambda Kinesis event as the event source mapping
// delivers it (data base64-encoded).
func KinesisPayload(msgs ...Message) []byte {
	records := make([]map[string]any, len(msgs))
	for i, m := range msgs {
		records[i] = map[string]any{
			"kinesis": map[string]any{
				"kinesisSchemaVersion":        "1.0",
				"partitionKey":                m.Partition,
				"sequenceNumber":              m.ID,
				"data":                        base64.StdEncoding.EncodeToString(m.Data),
				"approximateArrivalTimestamp": float64(arrival.Add(time.Duration(i)*time.Millisecond).UnixMilli()) / 1000,
			},
			"eventSource":       "aws:kinesis",
			"eventVersion":      "1.0",
			"eventID":           "shardId-000000000000:" + m.ID,
			"eventName":         "aws:kinesis:record",
			"invokeIdentityArn": "arn:aws:iam::" + Account + ":role/orderly-consumer",
			"awsRegion":         Region,
			"eventSourceARN":    "arn:aws:kinesis:" + Region + ":" + Account + ":stream/orderly-events",
		}
	}
	return mustJSON(map[string]any{"Records": records})
}

// SQSPayload returns a Lambda SQS FIFO event as the event source mapping
// delivers it.
func SQSPayload(msgs ...Message) []byte {
	records := make([]map[string]any, len(msgs))
	for i, m := range msgs {
		sum := md5.Sum(m.Data)
		sent := strconv.FormatInt(arrival.Add(time.Duration(i)*time.Millisecond).UnixMilli(), 10)
		attrs := map[string]string{
			"ApproximateReceiveCount":          strconv.Itoa(max(m.ReceiveCount, 1)),
			"SentTimestamp":                    sent,
			"SequenceNumber":                   fmt.Sprintf("1888%016d", i),
			"SenderId":                         "AIDAEXAMPLE",
			"MessageDeduplicationId":           hex.EncodeToString(sum[:]),
			"ApproximateFirstReceiveTimestamp": sent,
		}
		if m.Partition != "" {
			attrs["MessageGroupId"] = m.Partition
		}
		records[i] = map[string]any{
			"messageId":         m.ID,
			"receiptHandle":     "AQEB" + m.ID,
			"body":              string(m.Data),
			"attributes":        attrs,
			"messageAttributes": map[string]any{},
			"md5OfBody":         hex.EncodeToString(sum[:]),
			"eventSource":       "aws:sqs",
			"eventSourceARN":    "arn:aws:sqs:" + Region + ":" + Account + ":orderly-events.fifo",
			"awsRegion":         Region,
		}
	}
	return mustJSON(map[string]any{"Records": records})
}

// Event returns an EventBridge event with the given id, detail-type, time
// and detail (marshalled to JSON).
func Event(id, detailType string, at time.Time, detail any) []byte {
	return mustJSON(map[string]any{
		"version":     "0",
		"id":          id,
		"detail-type": detailType,
		"source":      "com.example.planning",
		"account":     Account,
		"time":        at.UTC().Format(time.RFC3339),
		"region":      Region,
		"resources":   []string{},
		"detail":      detail,
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sourcetest: marshal payload: %v", err))
	}
	return b
}
