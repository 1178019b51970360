package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/pipeline"
)

// The blast-radius comparison (-compare-isolation, make
// compare-isolation): a prod-like KinesisStack stream of 4 shards carrying
// 30 periods at a steady rate, one period broken for good, the consumer
// with and without isolation and fault-free, all with the same seed; then
// a 3-minute vendor outage mid-run on both stacks.
const (
	isolationContext   = "-c kinesis.shardCount=4"
	isolationEvents    = 1200
	isolationPeriods   = 30
	isolationRate      = 10 // events/s: two minutes of steady traffic
	isolationAfter     = 30 // isolation.afterSeconds of the row with isolation
	isolationTimeout   = 4 * time.Minute
	outageEvents       = 1200
	outageRate         = 10
	outageTimeout      = 12 * time.Minute
	outageWindowString = "3m@1m"
)

// isolationComparison: fault-free, one period broken with isolation after
// isolationAfter seconds, and the same without isolation.
var isolationComparison = comparison{
	kind: "isolation",
	configs: []compareConfig{
		{name: "fault-free", stack: pipeline.StackKinesis,
			context: fmt.Sprintf("%s -c isolation.afterSeconds=%d", isolationContext, isolationAfter),
			adjust:  func(f *flags) { f.faults.BrokenPeriods = 0 }},
		{name: fmt.Sprintf("1 period broken, isolation after %d s", isolationAfter), stack: pipeline.StackKinesis,
			context: fmt.Sprintf("%s -c isolation.afterSeconds=%d", isolationContext, isolationAfter)},
		{name: "1 period broken, isolation off", stack: pipeline.StackKinesis,
			context: isolationContext + " -c isolation.afterSeconds=0"},
	},
	table: writeIsolationTable,
}

// outageComparison: a vendor-wide outage on both stacks with the
// defaults (nothing dead-lettered, nothing isolated, everything applied
// once the vendor is back), and FifoStack with the defaults before issue
// 17, which dead-letters what the outage outlasts.
var outageComparison = comparison{
	kind: "outage",
	configs: []compareConfig{
		{name: "KinesisStack, defaults", stack: pipeline.StackKinesis, context: isolationContext},
		{name: "FifoStack, defaults", stack: pipeline.StackFifo, context: ""},
		{name: "FifoStack, before issue 17 (maxReceiveCount 5, no isolation, no outage hold)", stack: pipeline.StackFifo,
			context: "-c fifo.maxReceiveCount=5 -c isolation.afterSeconds=0 -c fifo.outageToleranceSeconds=0"},
	},
	table: writeOutageTable,
}

// isolationFlags fills in -compare-isolation's workloads where the
// command line leaves them open, and refuses what does not combine.
func isolationFlags(f *flags, given map[string]bool) error {
	switch {
	case f.compare || f.compareBackoff || f.compareCatchup || f.assembly != "" || f.unordered || f.bus != "" || f.replay:
		return fmt.Errorf("-compare-isolation synthesizes its own configurations: it does not combine with -compare, -compare-backoff, -compare-catchup, -assembly, -unordered, -bus or -replay")
	case given["stack"]:
		return fmt.Errorf("-compare-isolation chooses the stack of each row: drop -stack")
	case given["broken-periods"] || given["broken-until"] || given["outage"]:
		return fmt.Errorf("-compare-isolation breaks one period for good, then injects a %s outage: drop -broken-periods, -broken-until and -outage", outageWindowString)
	}
	if f.isolationTables == "" {
		f.isolationTables = "isolation,outage"
	}
	for _, t := range strings.Split(f.isolationTables, ",") {
		if t != "isolation" && t != "outage" {
			return fmt.Errorf("-isolation-tables %q: want isolation, outage or both, comma-separated", f.isolationTables)
		}
	}
	f.given = given
	return nil
}

// compareIsolation runs the tables -isolation-tables names.
func compareIsolation(ctx context.Context, f flags, stdout, stderr io.Writer) (bool, error) {
	ok := true
	for _, t := range strings.Split(f.isolationTables, ",") {
		fc := f
		var cmp comparison
		switch t {
		case "isolation":
			cmp = isolationComparison
			fc.faults.BrokenPeriods = 1
			fc.events, fc.partitions, fc.rate, fc.timeout = orInt(f, "events", isolationEvents), orInt(f, "partitions", isolationPeriods),
				orFloat(f, "rate", isolationRate), orDuration(f, "timeout", isolationTimeout)
		case "outage":
			cmp = outageComparison
			fc.faults.Outage, _ = fakeapi.ParseWindow(outageWindowString)
			fc.events, fc.partitions, fc.rate, fc.timeout = orInt(f, "events", outageEvents), orInt(f, "partitions", isolationPeriods),
				orFloat(f, "rate", outageRate), orDuration(f, "timeout", outageTimeout)
		}
		reports, err := compareRows(ctx, fc, cmp, stdout, stderr)
		if err != nil {
			return false, err
		}
		accepted, lines := acceptance(t, reports)
		for _, l := range lines {
			fmt.Fprintln(stdout, l)
		}
		fmt.Fprintln(stdout)
		ok = ok && accepted
	}
	return ok, nil
}

func orInt(f flags, name string, def int) int {
	if f.given[name] {
		switch name {
		case "events":
			return f.events
		case "partitions":
			return f.partitions
		}
	}
	return def
}

func orFloat(f flags, name string, def float64) float64 {
	if f.given[name] {
		return f.rate
	}
	return def
}

func orDuration(f flags, name string, def time.Duration) time.Duration {
	if f.given[name] {
		return f.timeout
	}
	return def
}

// acceptance checks a table's rows against issue 17's acceptance and
// says so line by line.
func acceptance(table string, reports []*pipeline.Report) (bool, []string) {
	ok := true
	var lines []string
	check := func(pass bool, format string, args ...any) {
		verdict := "PASS"
		if !pass {
			verdict, ok = "FAIL", false
		}
		lines = append(lines, verdict+": "+fmt.Sprintf(format, args...))
	}
	switch table {
	case "isolation":
		base, on, off := reports[0], reports[1], reports[2]
		check(base.OK, "fault-free run OK (%s)", problemsText(base))
		bound := base.LatencyP99Ms + 2*isolationAfter*1000
		if b := on.BlastRadius; b != nil {
			check(b.Sharing.StillWaiting == 0 && b.Sharing.P99Ms <= bound,
				"with isolation, healthy periods sharing the broken shard: p99 %.0f ms <= fault-free p99 %.0f ms + 2 × %d s = %.0f ms, %d still waiting",
				b.Sharing.P99Ms, base.LatencyP99Ms, isolationAfter, bound, b.Sharing.StillWaiting)
		} else {
			check(false, "with isolation: no blast radius measured")
		}
		check(on.OK && on.Redrive != nil, "with isolation, after redriving the %d isolated events: %s", on.Isolated, problemsText(on))
		if b := off.BlastRadius; b != nil {
			check(b.Sharing.StillWaiting > 0, "without isolation, healthy periods sharing the broken shard still waiting when the run's timeout ended: %d of %d events",
				b.Sharing.StillWaiting, b.Sharing.Events)
		} else {
			check(false, "without isolation: no blast radius measured")
		}
	case "outage":
		for i, r := range reports[:2] {
			check(r.OK && r.DeadLettered == 0 && r.Isolated == 0 && r.Unaccounted == 0 && r.EventsApplied+r.Superseded == r.EventsSent,
				"%s: dead-lettered %d, isolated %d, applied %d + superseded %d of %d after recovery (%s)",
				outageComparison.configs[i].name, r.DeadLettered, r.Isolated, r.EventsApplied, r.Superseded, r.EventsSent, problemsText(r))
		}
		old := reports[2]
		lines = append(lines, fmt.Sprintf("NOTE: %s dead-lettered %d of %d events", outageComparison.configs[2].name, old.DeadLettered, old.EventsSent))
	}
	return ok, lines
}

func problemsText(r *pipeline.Report) string {
	if p := r.Problems(); len(p) > 0 {
		return strings.Join(p, "; ")
	}
	return "nothing lost, reordered, applied twice or unaccounted"
}

// latencyCell is a group's p99, or how many of its events were still
// waiting when the run ended.
func latencyCell(g pipeline.LatencyGroup) string {
	if g.StillWaiting > 0 {
		return fmt.Sprintf("still waiting (%d of %d events)", g.StillWaiting, g.Events)
	}
	return fmt.Sprintf("%.0f / %.0f", g.P50Ms, g.P99Ms)
}

// writeIsolationTable prints the blast-radius rows side by side.
func writeIsolationTable(w io.Writer, configs []compareConfig, reports []*pipeline.Report) {
	fmt.Fprintln(w, "| configuration | sent | applied | isolated | dead-lettered | healthy periods sharing the broken shard, p50 / p99 ms | other healthy periods, p50 / p99 ms | all applied, p99 ms | after redrive: unaccounted, lost, duplicate effects |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	for i, r := range reports {
		sharing, others := "-", "-"
		if b := r.BlastRadius; b != nil {
			sharing, others = latencyCell(b.Sharing), latencyCell(b.Others)
		}
		redrive := "no redrive"
		if d := r.Redrive; d != nil {
			redrive = fmt.Sprintf("%d, %d, %d", d.Unaccounted, d.LostUpdates, d.DuplicateEffects)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %s | %s | %.0f | %s |\n",
			configs[i].name, r.EventsSent, r.EventsApplied, r.Isolated, r.DeadLettered, sharing, others, r.LatencyP99Ms, redrive)
	}
}

// writeOutageTable prints the outage rows.
func writeOutageTable(w io.Writer, configs []compareConfig, reports []*pipeline.Report) {
	fmt.Fprintln(w, "| configuration | sent | applied | superseded | dead-lettered | isolated | unaccounted | lost updates | duplicate effects | p99 ms | s |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for i, r := range reports {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %.0f | %.0f |\n",
			configs[i].name, r.EventsSent, r.EventsApplied, r.Superseded, r.DeadLettered, r.Isolated, r.Unaccounted,
			r.LostUpdates, r.DuplicateEffects, r.LatencyP99Ms, r.DurationSeconds)
	}
}
