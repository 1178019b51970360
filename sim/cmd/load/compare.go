package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/sim/pipeline"
)

// compareConfig is one row of a comparison: a stack and the CDK context
// that selects its settings, and optionally a commit whose consumer runs
// in place of the one bundled in the synthesized assembly.
type compareConfig struct {
	name, stack, context string
	consumerRev          string
	// adjust, when set, changes the row's flags (its faults, say).
	adjust func(*flags)
}

// comparison is a set of configurations run with the same workload and
// faults, and the table that shows them side by side.
type comparison struct {
	// kind names the comparison in its JSON line, so that comparechart
	// knows which figures to draw.
	kind    string
	configs []compareConfig
	table   func(w io.Writer, configs []compareConfig, reports []*pipeline.Report)
	// backlog puts every event into the stream before the consumer starts
	// (pipeline.Options.Backlog).
	backlog bool
}

// classicComparison holds the classic Kinesis-versus-FIFO configurations
// (batch size 1, or a small reserved concurrency, one fetch and one push per
// record), then orderly's recommended ones (large batches, coalescing), as
// CDK context on top of the chosen environment.
var classicComparison = comparison{
	kind: "classic",
	configs: []compareConfig{
		{name: "Kinesis, 1 shard, batch 1, factor 1", stack: pipeline.StackKinesis, context: "-c kinesis.shardCount=1 -c kinesis.batchSize=1 -c kinesis.parallelizationFactor=1 -c function.coalesce=false"},
		{name: "Kinesis, 2 shards, batch 1, factor 1", stack: pipeline.StackKinesis, context: "-c kinesis.shardCount=2 -c kinesis.batchSize=1 -c kinesis.parallelizationFactor=1 -c function.coalesce=false"},
		{name: "FIFO, 1 group, reserved concurrency 1", stack: pipeline.StackFifo, context: "-c fifo.messageGroups=1 -c function.reservedConcurrency=1 -c function.coalesce=false"},
		{name: "FIFO, 2 groups, reserved concurrency 3", stack: pipeline.StackFifo, context: "-c fifo.messageGroups=2 -c function.reservedConcurrency=3 -c function.coalesce=false"},
		{name: "orderly: Kinesis, 1 shard, batch 100, coalescing", stack: pipeline.StackKinesis, context: "-c kinesis.shardCount=1 -c kinesis.batchSize=100 -c kinesis.parallelizationFactor=1 -c function.coalesce=true"},
		{name: "orderly: FIFO per-key, batch 10, coalescing", stack: pipeline.StackFifo, context: "-c fifo.messageGroups=per-key -c fifo.batchSize=10 -c function.coalesce=true"},
	},
	table: writeTable,
}

// backoffComparison runs FifoStack without the consumer's retry backoff
// (a reported failure waits for the queue's visibility timeout) and with
// its defaults, on top of the chosen environment and -context.
var backoffComparison = comparison{
	kind: "backoff",
	configs: []compareConfig{
		{name: "FIFO, retry backoff off", stack: pipeline.StackFifo, context: "-c fifo.retryBackoffMaxSeconds=0"},
		{name: "FIFO, retry backoff on (defaults)", stack: pipeline.StackFifo, context: ""},
	},
	table: writeBackoffTable,
}

// compare runs the configurations with the same workload and faults and
// prints a table, then one JSON line with every report.
func compare(ctx context.Context, f flags, cmp comparison, stdout, stderr io.Writer) (bool, error) {
	reports, err := compareRows(ctx, f, cmp, stdout, stderr)
	if err != nil {
		return false, err
	}
	ok := true
	for _, r := range reports {
		ok = ok && r.OK
	}
	return ok, nil
}

// compareRows runs the configurations, prints the table and the JSON
// line, and returns the reports.
func compareRows(ctx context.Context, f flags, cmp comparison, stdout, stderr io.Writer) ([]*pipeline.Report, error) {
	var reports []*pipeline.Report
	for _, c := range cmp.configs {
		fc := f
		fc.stack = c.stack
		fc.backlog = cmp.backlog
		if c.adjust != nil {
			c.adjust(&fc)
		}
		fmt.Fprintf(stderr, "== %s\n", c.name)
		if c.consumerRev != "" {
			root, err := repo.WorkingRoot()
			if err != nil {
				return nil, err
			}
			dir, err := os.MkdirTemp("", "orderly-consumer-")
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(dir)
			fmt.Fprintf(stderr, "building the consumer of commit %s\n", c.consumerRev)
			if fc.consumer, err = buildConsumerAt(ctx, root, c.consumerRev, dir); err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
		}
		contextString := strings.TrimSpace(c.context + " " + f.context)
		rep, err := runOnce(ctx, fc, contextString, stderr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		rep.WriteText(stderr)
		reports = append(reports, rep)
	}
	cmp.table(stdout, cmp.configs, reports)
	line, err := compareLine(f, cmp, reports)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(stdout, line)
	return reports, nil
}

// compareLine is the comparison's JSON line: every report, and what a
// chart needs to label it (sim/cmd/comparechart reads it back).
func compareLine(f flags, cmp comparison, reports []*pipeline.Report) (string, error) {
	summary := make([]json.RawMessage, len(reports))
	names := make([]string, len(reports))
	for i, r := range reports {
		summary[i] = json.RawMessage(r.JSON())
		names[i] = cmp.configs[i].name
	}
	line, err := json.Marshal(map[string]any{
		"compare": summary, "names": names, "kind": cmp.kind,
		"workload": map[string]any{"events": f.events, "partitions": f.partitions, "entitiesPerPartition": f.entities, "seed": f.seed},
	})
	return string(line), err
}

// writeTable prints a Markdown table, so that it can go into docs/local.md
// as it is.
func writeTable(w io.Writer, configs []compareConfig, reports []*pipeline.Report) {
	fmt.Fprintln(w, "| configuration | consumers (peak busy) | sent | applied | dead-lettered | lost updates | order violations | duplicate effects | invocations | API calls/event | events/s | p50 ms | p99 ms |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for i, r := range reports {
		fmt.Fprintf(w, "| %s | %d (%d) | %d | %d | %d | %d | %d | %d | %d | %.2f | %.1f | %.0f | %.0f |\n",
			configs[i].name, r.Concurrency, r.PeakConcurrency, r.EventsSent, r.EventsApplied, r.DeadLettered,
			r.LostUpdates, r.OrderViolations, r.DuplicateEffects, r.Invocations, r.APICallsPerEvent, r.ThroughputPerSec, r.LatencyP50Ms, r.LatencyP99Ms)
	}
}

// writeBackoffTable prints the backoff comparison as a Markdown table, and
// how the second row compares with the first.
func writeBackoffTable(w io.Writer, configs []compareConfig, reports []*pipeline.Report) {
	fmt.Fprintln(w, "| configuration | sent | applied | dead-lettered | lost updates | order violations | duplicate effects | reported group failures | group wait s | events/s | p50 ms | p99 ms |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for i, r := range reports {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %d | %.1f | %.1f | %.0f | %.0f |\n",
			configs[i].name, r.EventsSent, r.EventsApplied, r.DeadLettered, r.LostUpdates, r.OrderViolations, r.DuplicateEffects,
			r.FailedGroups, r.GroupWaitSeconds, r.ThroughputPerSec, r.LatencyP50Ms, r.LatencyP99Ms)
	}
	if len(reports) == 2 {
		off, on := reports[0], reports[1]
		fmt.Fprintf(w, "\ngroup wait per reported group failure: %.1f s off, %.1f s on; events/s %.1f -> %.1f; p99 %.0f -> %.0f ms\n",
			perFailure(off), perFailure(on), off.ThroughputPerSec, on.ThroughputPerSec, off.LatencyP99Ms, on.LatencyP99Ms)
	}
}

func perFailure(r *pipeline.Report) float64 {
	if r.FailedGroups == 0 {
		return 0
	}
	return r.GroupWaitSeconds / float64(r.FailedGroups)
}
