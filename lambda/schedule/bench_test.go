package schedule_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// BenchmarkCoalescing runs one Kinesis-like batch, 100 records over 10
// periods (interleaved as a shard delivers them), against an API that
// takes 20 ms per call, through the engine one record at a time and
// coalesced, side by side in every iteration. It reports the API calls per
// event of each, and how many times faster the coalesced batch is. In
// distinct-entities each record of a period changes its own entity; in
// repeated-entities the records of a period cycle through 3 entities, as a
// backlog of repeated updates after an outage does.
func BenchmarkCoalescing(b *testing.B) {
	for _, bc := range []struct {
		name     string
		entities int
	}{
		{"distinct-entities", 10},
		{"repeated-entities", 3},
	} {
		b.Run(bc.name, func(b *testing.B) { benchmarkCoalescing(b, bc.entities) })
	}
}

func benchmarkCoalescing(b *testing.B, entities int) {
	const (
		periods   = 10
		perPeriod = 10
		latency   = 20 * time.Millisecond
	)
	var batch []ordering.Record
	for i := range perPeriod {
		for p := range periods {
			day := fmt.Sprintf("2026-12-%02d", 1+p)
			batch = append(batch, ordering.Record{Partition: day, ID: fmt.Sprintf("seq-%d-%d", p, i),
				Data: eventJSON(fmt.Sprintf("e-%d-%d", p, i), schedule.DetailTypeUpserted, t0.Add(time.Duration(i)*time.Second),
					map[string]any{"scheduleDate": day, "entityType": "driver", "entityId": fmt.Sprintf("d-%d", i%entities), "attributes": map[string]any{"n": i}})})
		}
	}
	events := float64(len(batch))
	// run processes the batch against a fresh API and returns its wall
	// time and API calls.
	run := func(coalesce bool) (time.Duration, int) {
		client := &memClient{latency: latency}
		h, err := schedule.NewHandler(client)
		if err != nil {
			b.Fatal(err)
		}
		eng, err := ordering.New(h, ordering.Options{MaxConcurrentPartitions: periods, Poison: &poisonList{}, Logger: slog.New(slog.DiscardHandler),
			SerializeBy: schedule.PeriodPath{}.SerializeBy(), Coalesce: coalesce})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res := eng.Process(context.Background(), batch)
		took := time.Since(start)
		if res.Count(ordering.Succeeded) != len(batch) {
			b.Fatalf("coalesce %v: outcomes %v", coalesce, res.Outcomes)
		}
		for p := range periods {
			doc := client.docs[fmt.Sprintf("2026-12-%02d", 1+p)]
			if n := len(doc.Entities); n != entities {
				b.Fatalf("coalesce %v: period %d holds %d entities, want %d", coalesce, p, n, entities)
			}
			// Each entity ends in its newest change's state.
			for i := perPeriod - entities; i < perPeriod; i++ {
				key := schedule.EntityKey{Type: schedule.Driver, ID: fmt.Sprintf("d-%d", i%entities)}
				if got, want := doc.Entities[key].Stamp.EventID, fmt.Sprintf("e-%d-%d", p, i); got != want {
					b.Fatalf("coalesce %v: period %d %s holds %s, want %s", coalesce, p, key.ID, got, want)
				}
			}
		}
		return took, client.fetches + client.pushes
	}
	var wallOn, wallOff time.Duration
	var callsOn, callsOff int
	for b.Loop() {
		off, nOff := run(false)
		on, nOn := run(true)
		wallOff, wallOn, callsOff, callsOn = wallOff+off, wallOn+on, callsOff+nOff, callsOn+nOn
	}
	n := float64(b.N)
	b.ReportMetric(float64(callsOn)/n/events, "calls/event")
	b.ReportMetric(float64(callsOff)/n/events, "per-record-calls/event")
	b.ReportMetric(float64(wallOn.Milliseconds())/n, "coalesced-ms/batch")
	b.ReportMetric(float64(wallOff.Milliseconds())/n, "per-record-ms/batch")
	b.ReportMetric(float64(wallOff)/float64(wallOn), "speedup")
}
