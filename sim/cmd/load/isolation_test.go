package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/sim/pipeline"
)

func TestIsolationFlags(t *testing.T) {
	f, err := parse([]string{"-compare-isolation"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if f.isolationTables != "isolation,outage" {
		t.Errorf("tables %q, want both by default", f.isolationTables)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-compare-isolation", "-stack", "fifo"}, "drop -stack"},
		{[]string{"-compare-isolation", "-outage", "1m@1m"}, "drop -broken-periods"},
		{[]string{"-compare-isolation", "-compare"}, "-compare-isolation synthesizes"},
		{[]string{"-compare-isolation", "-skip-idle"}, "-skip-idle shortens"},
		{[]string{"-compare-isolation", "-isolation-tables", "blast"}, "want isolation, outage or both"},
		{[]string{"-isolation-tables", "outage"}, "give -compare-isolation too"},
	} {
		if _, err := parse(tc.args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one mentioning %q", tc.args, err, tc.want)
		}
	}
	f, _ = parse([]string{"-compare-isolation", "-events", "300", "-timeout", "2m"}, &bytes.Buffer{})
	if orInt(f, "events", isolationEvents) != 300 || orInt(f, "partitions", isolationPeriods) != isolationPeriods ||
		orDuration(f, "timeout", isolationTimeout) != 2*time.Minute || orFloat(f, "rate", isolationRate) != isolationRate {
		t.Error("-compare-isolation does not take -events and -timeout from the command line, or not its own defaults otherwise")
	}
}

// isolationReports is a passing blast-radius table: fault-free p99 2 s,
// the sharing periods 35 s with isolation, still waiting without.
func isolationReports() []*pipeline.Report {
	return []*pipeline.Report{
		{EventsSent: 100, EventsApplied: 100, LatencyP99Ms: 2000, OK: true},
		{EventsSent: 100, EventsApplied: 96, Isolated: 4, LatencyP99Ms: 35000, OK: true, Redrive: &pipeline.RedriveReport{},
			BlastRadius: &pipeline.BlastRadius{Sharing: pipeline.LatencyGroup{Events: 20, Applied: 20, P99Ms: 35000}, Others: pipeline.LatencyGroup{Events: 76, P99Ms: 900}}},
		{EventsSent: 100, EventsApplied: 70, LatencyP99Ms: 1000, TimedOut: true,
			BlastRadius: &pipeline.BlastRadius{Sharing: pipeline.LatencyGroup{Events: 20, Applied: 2, StillWaiting: 18, P99Ms: 300}}},
	}
}

func TestIsolationAcceptance(t *testing.T) {
	reps := isolationReports()
	ok, lines := acceptance("isolation", reps)
	if !ok {
		t.Fatalf("a passing table failed:\n%s", strings.Join(lines, "\n"))
	}
	var b bytes.Buffer
	writeIsolationTable(&b, isolationComparison.configs, reps)
	if !strings.Contains(b.String(), "still waiting (18 of 20 events)") || !strings.Contains(b.String(), "| 0 / 35000 |") {
		t.Errorf("table lacks the still-waiting cell or the isolation row's p99:\n%s", b.String())
	}
	// 2 s + 2 × 30 s = 62 s: a sharing p99 of 70 s misses it.
	reps[1].BlastRadius.Sharing.P99Ms = 70000
	if ok, lines := acceptance("isolation", reps); ok {
		t.Errorf("a sharing p99 of 70 s passed:\n%s", strings.Join(lines, "\n"))
	}
	reps = isolationReports()
	reps[2].BlastRadius.Sharing.StillWaiting = 0
	if ok, _ := acceptance("isolation", reps); ok {
		t.Error("a run without isolation that held nothing back passed")
	}
}

func TestOutageAcceptance(t *testing.T) {
	good := func() *pipeline.Report {
		return &pipeline.Report{EventsSent: 50, EventsApplied: 45, Superseded: 5, OK: true}
	}
	reps := []*pipeline.Report{good(), good(), {EventsSent: 50, EventsApplied: 20, DeadLettered: 30, OK: true}}
	ok, lines := acceptance("outage", reps)
	if !ok || !strings.Contains(strings.Join(lines, "\n"), "dead-lettered 30 of 50") {
		t.Fatalf("outage table: ok %v\n%s", ok, strings.Join(lines, "\n"))
	}
	reps[1].DeadLettered, reps[1].EventsApplied = 1, 44
	if ok, _ := acceptance("outage", reps); ok {
		t.Error("FifoStack with the defaults dead-lettered in the outage, and passed")
	}
}
