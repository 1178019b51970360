package ordering_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"slices"
	"time"

	"github.com/orderly-dev/orderly/lambda/failure"
	"github.com/orderly-dev/orderly/lambda/ordering"
)

// One batch, two partitions (orders): a permanent error is poisoned and its
// partition carries on; a transient error stops its partition, whose later
// records are skipped, while the other partition completes.
func ExampleNew() {
	// Each record carries the next status of the order named by its partition.
	handle := ordering.HandlerFunc(func(ctx context.Context, rec ordering.Record) error {
		switch status := string(rec.Data); status {
		case "":
			return failure.Permanent(errors.New("no status")) // retrying cannot help
		case "refunded":
			return errors.New("payments service unavailable") // transient
		default:
			return nil // the status is stored
		}
	})
	engine, err := ordering.New(handle, ordering.Options{
		Poison: ordering.PoisonSinkFunc(func(ctx context.Context, rec ordering.Record, reason error) error {
			fmt.Printf("poison sink: record %s: %v\n", rec.ID, reason)
			return nil
		}),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	batch := []ordering.Record{
		{Partition: "order-1", ID: "1", Data: []byte("created")},
		{Partition: "order-2", ID: "2", Data: []byte("created")},
		{Partition: "order-1", ID: "3", Data: []byte("")},
		{Partition: "order-1", ID: "4", Data: []byte("paid")},
		{Partition: "order-2", ID: "5", Data: []byte("refunded")},
		{Partition: "order-1", ID: "6", Data: []byte("shipped")},
		{Partition: "order-2", ID: "7", Data: []byte("closed")},
	}
	res := engine.Process(context.Background(), batch)
	for i, rec := range batch {
		fmt.Printf("%s %s: %s, retry %t", rec.ID, rec.Partition, res.Outcomes[i], res.Outcomes[i].Retry())
		if res.Errors[i] != nil {
			fmt.Printf(" (%v)", res.Errors[i])
		}
		fmt.Println()
	}
	// Output:
	// poison sink: record 3: no status
	// 1 order-1: succeeded, retry false
	// 2 order-2: succeeded, retry false
	// 3 order-1: poisoned, retry false (no status)
	// 4 order-1: succeeded, retry false
	// 5 order-2: failed, retry true (payments service unavailable)
	// 6 order-1: succeeded, retry false
	// 7 order-2: skipped, retry true (skipped: an earlier record of the partition failed (record 5))
}

// With a 3 s margin, a partition whose records take 4 s each gets two
// records done in the last 10 s of the invocation; the third would start
// with 2 s left, so it is skipped (and retried by the next invocation)
// rather than cut off by the timeout.
func ExampleOptions_deadlineMargin() {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
	defer cancel()
	deadline, _ := ctx.Deadline()
	now := deadline.Add(-10 * time.Second) // a clock the slow handler advances

	slow := ordering.HandlerFunc(func(context.Context, ordering.Record) error {
		now = now.Add(4 * time.Second) // one partition: never called concurrently
		return nil
	})
	engine, err := ordering.New(slow, ordering.Options{
		DeadlineMargin: 3 * time.Second,
		Now:            func() time.Time { return now },
		Poison:         ordering.PoisonSinkFunc(func(context.Context, ordering.Record, error) error { return nil }),
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	batch := []ordering.Record{{Partition: "p", ID: "1"}, {Partition: "p", ID: "2"}, {Partition: "p", ID: "3"}, {Partition: "p", ID: "4"}}
	res := engine.Process(ctx, batch)
	for i, rec := range batch {
		fmt.Println(rec.ID, res.Outcomes[i], res.Errors[i])
	}
	// Output:
	// 1 succeeded <nil>
	// 2 succeeded <nil>
	// 3 skipped skipped: invocation deadline too close to start the record (2s left, margin 3s)
	// 4 skipped skipped: invocation deadline too close to start the record (2s left, margin 3s)
}

// orderBook stores each order's statuses and counts its writes; a write of
// a status it refuses fails as a whole, without saying which one.
type orderBook struct {
	statuses map[string][]string
	writes   int
}

func (b *orderBook) write(order string, statuses ...string) error {
	b.writes++
	if slices.Contains(statuses, "lost") {
		return failure.Permanent(fmt.Errorf("write of %d statuses refused: %q is not a status", len(statuses), "lost"))
	}
	b.statuses[order] = append(b.statuses[order], statuses...)
	return nil
}

// statusHandler writes one status per record, or one write per chunk.
type statusHandler struct{ book *orderBook }

func (h statusHandler) Handle(_ context.Context, rec ordering.Record) error {
	return h.book.write(rec.Partition, string(rec.Data))
}

func (h statusHandler) HandleChunk(_ context.Context, chunk ordering.Chunk) ordering.ChunkResult {
	statuses := make([]string, len(chunk.Records))
	for i, rec := range chunk.Records {
		statuses[i] = string(rec.Data)
	}
	if err := h.book.write(chunk.Key, statuses...); err != nil {
		// Which status was refused? Let the engine find out, one at a time.
		return ordering.ChunkResult{Handled: len(chunk.Records), Err: err}
	}
	return ordering.ChunkResult{Handled: len(chunk.Records), Errors: make([]error, len(chunk.Records))}
}

// With coalescing, order-1's three statuses take one write. Order-2's
// chunk is refused as a whole, so the engine runs its records one at a
// time: only the refused one is poisoned, the others are written.
func ExampleChunkHandler() {
	book := &orderBook{statuses: map[string][]string{}}
	engine, err := ordering.New(statusHandler{book}, ordering.Options{
		Coalesce:    true,
		SerializeBy: func(rec ordering.Record) (string, bool) { return rec.Partition, true },
		Poison:      ordering.PoisonSinkFunc(func(context.Context, ordering.Record, error) error { return nil }),
		Logger:      slog.New(slog.DiscardHandler),
		// One partition at a time keeps the write count deterministic.
		MaxConcurrentPartitions: 1,
	})
	if err != nil {
		log.Fatal(err)
	}
	batch := []ordering.Record{
		{Partition: "order-1", ID: "1", Data: []byte("created")},
		{Partition: "order-1", ID: "2", Data: []byte("paid")},
		{Partition: "order-1", ID: "3", Data: []byte("shipped")},
		{Partition: "order-2", ID: "4", Data: []byte("created")},
		{Partition: "order-2", ID: "5", Data: []byte("lost")},
		{Partition: "order-2", ID: "6", Data: []byte("refunded")},
	}
	res := engine.Process(context.Background(), batch)
	fmt.Println(res.Outcomes)
	fmt.Println(book.statuses["order-1"], book.statuses["order-2"], "in", book.writes, "writes")
	// Output:
	// [succeeded succeeded succeeded succeeded poisoned succeeded]
	// [created paid shipped] [created refunded] in 5 writes
}
