package ordering_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

func benchBatch(n, partitions int) []ordering.Record {
	batch := make([]ordering.Record, n)
	for i := range batch {
		batch[i] = ordering.Record{
			Partition: fmt.Sprintf("2026-11-%02d", 1+i%partitions),
			ID:        fmt.Sprintf("4959%056d", i),
			Data:      []byte(`{"id":"x","detail-type":"Schedule Entity Upserted","detail":{}}`),
		}
	}
	return batch
}

// BenchmarkEngineOverhead measures what the engine adds per record with a
// handler that does nothing, logging one JSON line per record as in
// production (written to io.Discard).
func BenchmarkEngineOverhead(b *testing.B) {
	noop := ordering.HandlerFunc(func(context.Context, ordering.Record) error { return nil })
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			eng, err := ordering.New(noop, ordering.Options{
				Poison: &memorySink{},
				Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
			})
			if err != nil {
				b.Fatal(err)
			}
			batch := benchBatch(n, 10)
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			b.ReportAllocs()
			for b.Loop() {
				if res := eng.Process(ctx, batch); res.Count(ordering.Succeeded) != n {
					b.Fatalf("outcomes %v", res.Outcomes)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
	}
}

// BenchmarkSimulatedIO shows that the engine overlaps partitions: with 20 ms
// of simulated I/O per record, a batch takes about as long as its largest
// partition (the critical path), not the sum of all records.
func BenchmarkSimulatedIO(b *testing.B) {
	const (
		records    = 100
		partitions = 10
		perRecord  = 20 * time.Millisecond
	)
	simulatedIO := ordering.HandlerFunc(func(ctx context.Context, _ ordering.Record) error {
		time.Sleep(perRecord)
		return nil
	})
	batch := benchBatch(records, partitions)
	largest := map[string]int{}
	critical := 0
	for _, r := range batch {
		largest[r.Partition]++
		critical = max(critical, largest[r.Partition])
	}
	criticalPath := time.Duration(critical) * perRecord

	run := map[string]func(context.Context, []ordering.Record){
		"engine": func(ctx context.Context, batch []ordering.Record) {
			eng, err := ordering.New(simulatedIO, ordering.Options{MaxConcurrentPartitions: partitions, Poison: &memorySink{}, Logger: quietLogger()})
			if err != nil {
				b.Fatal(err)
			}
			if res := eng.Process(ctx, batch); res.Count(ordering.Succeeded) != records {
				b.Fatalf("outcomes %v", res.Outcomes)
			}
		},
		"sequential": func(ctx context.Context, batch []ordering.Record) {
			for _, r := range batch {
				if err := simulatedIO.Handle(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		},
	}
	for _, name := range []string{"engine", "sequential"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				run[name](context.Background(), batch)
			}
			wall := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(wall)/float64(criticalPath), "wall/critical-path")
			b.ReportMetric(float64(wall.Milliseconds()), "ms/batch")
		})
	}
}
