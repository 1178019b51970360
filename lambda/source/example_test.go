package source_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/orderly-dev/orderly/lambda/failure"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/source"
	"github.com/orderly-dev/orderly/sim/payloads"
)

// orderStatuses stands in for the database a record handler updates: the
// status of each order. Setting a status is idempotent.
type orderStatuses struct {
	mu       sync.Mutex
	byOrder  map[string]string
	failOnce map[string]bool // "order/status" writes that hit a passing outage
}

func newOrderStatuses() *orderStatuses {
	return &orderStatuses{byOrder: map[string]string{}, failOnce: map[string]bool{}}
}

func (db *orderStatuses) Set(_ context.Context, order, status string) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.failOnce[order+"/"+status] {
		delete(db.failOnce, order+"/"+status)
		return fmt.Errorf("set %s to %s: database unavailable", order, status)
	}
	db.byOrder[order] = status
	return nil
}

func (db *orderStatuses) String() string {
	db.mu.Lock()
	defer db.mu.Unlock()
	var b strings.Builder
	for _, order := range slices.Sorted(maps.Keys(db.byOrder)) {
		fmt.Fprintf(&b, "%s=%s ", order, db.byOrder[order])
	}
	return strings.TrimSpace(b.String())
}

// respond invokes h with payload and returns the response as Lambda sends
// it back to the event source mapping.
func respond(h *source.Handler, payload []byte) string {
	resp, err := h.Invoke(context.Background(), payload)
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

// A Lambda consuming a Kinesis stream keyed by order id. The first half is
// all a Lambda's main needs (docs/consumer.md shows it); the second half
// feeds it a batch in which order-1 hits an outage mid-way, then the
// redelivery that Lambda makes from the reported checkpoint.
func Example() {
	db := newOrderStatuses() // your database
	handle := ordering.HandlerFunc(func(ctx context.Context, rec ordering.Record) error {
		var change struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(rec.Data, &change); err != nil || change.Status == "" {
			// Retrying cannot fix this record: it goes to the poison sink.
			return failure.Permanent(fmt.Errorf("record %s: no status", rec.ID))
		}
		// Any other error is transient: this record and the rest of its
		// partition are retried, in order. Records may come twice, so the
		// write must be idempotent.
		return db.Set(ctx, rec.Partition, change.Status)
	})
	engine, err := ordering.New(handle, ordering.Options{
		// lambda/poison sends these to an SQS queue; here they are printed.
		Poison: ordering.PoisonSinkFunc(func(ctx context.Context, rec ordering.Record, reason error) error {
			fmt.Println("poisoned:", reason)
			return nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	handler := source.NewHandler(engine, source.HandlerOptions{})
	// In your Lambda's main: lambda.Start(handler.Invoke)

	db.failOnce["order-1/paid"] = true
	batch := []payloads.Message{
		{Partition: "order-1", ID: "101", Data: []byte(`{"status":"created"}`)},
		{Partition: "order-3", ID: "102", Data: []byte(`{"status":`)},
		{Partition: "order-2", ID: "103", Data: []byte(`{"status":"created"}`)},
		{Partition: "order-1", ID: "104", Data: []byte(`{"status":"paid"}`)},
		{Partition: "order-2", ID: "105", Data: []byte(`{"status":"paid"}`)},
		{Partition: "order-1", ID: "106", Data: []byte(`{"status":"shipped"}`)},
	}
	fmt.Println("response:", respond(handler, payloads.KinesisPayload(batch...)))
	fmt.Println("database:", db)
	// Lambda checkpoints before 104 and redelivers the shard from there:
	// 105 is applied again, harmlessly.
	fmt.Println("response:", respond(handler, payloads.KinesisPayload(batch[3:]...)))
	fmt.Println("database:", db)
	// Output:
	// poisoned: record 102: no status
	// response: {"batchItemFailures":[{"itemIdentifier":"104"}]}
	// database: order-1=created order-2=paid
	// response: {"batchItemFailures":[]}
	// database: order-1=shipped order-2=paid
}

// An SQS FIFO batch with two message groups: message m3 of group A fails, so
// it and the later messages of group A are reported for retry; group B
// completes.
func ExampleHandler_Invoke_sqsFIFO() {
	quiet := slog.New(slog.DiscardHandler)
	var mu sync.Mutex
	done := map[string][]string{} // group -> messages processed, in order
	engine, err := ordering.New(ordering.HandlerFunc(func(ctx context.Context, rec ordering.Record) error {
		if rec.ID == "m3" {
			return errors.New("downstream unavailable")
		}
		mu.Lock()
		defer mu.Unlock()
		done[rec.Partition] = append(done[rec.Partition], rec.ID)
		return nil
	}), ordering.Options{
		Poison: ordering.PoisonSinkFunc(func(context.Context, ordering.Record, error) error { return nil }),
		Logger: quiet,
	})
	if err != nil {
		log.Fatal(err)
	}
	handler := source.NewHandler(engine, source.HandlerOptions{Logger: quiet})

	fmt.Println(respond(handler, payloads.SQSPayload(
		payloads.Message{Partition: "A", ID: "m1", Data: []byte(`{}`)},
		payloads.Message{Partition: "B", ID: "m2", Data: []byte(`{}`)},
		payloads.Message{Partition: "A", ID: "m3", Data: []byte(`{}`)},
		payloads.Message{Partition: "B", ID: "m4", Data: []byte(`{}`)},
		payloads.Message{Partition: "A", ID: "m5", Data: []byte(`{}`)},
		payloads.Message{Partition: "A", ID: "m6", Data: []byte(`{}`)},
	)))
	fmt.Println("group A done:", done["A"])
	fmt.Println("group B done:", done["B"])
	// Output:
	// {"batchItemFailures":[{"itemIdentifier":"m3"},{"itemIdentifier":"m5"},{"itemIdentifier":"m6"}]}
	// group A done: [m1]
	// group B done: [m2 m4]
}
