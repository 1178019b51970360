package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/pipeline"
)

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-stack", "sns"}, `-stack "sns"`},
		{[]string{"-concurrency", "0"}, "-concurrency 0"},
		{[]string{"-compare", "-unordered"}, "-compare synthesizes"},
		{[]string{"-replay", "-unordered"}, "-replay re-sends"},
		{[]string{"-replay", "-bus", "b"}, "-replay re-sends"},
		{[]string{"-compare-backoff", "-compare"}, "-compare-backoff synthesizes"},
		{[]string{"-skip-idle", "-compare-backoff"}, "-skip-idle shortens"},
		{[]string{"-skip-idle", "-compare-catchup"}, "-skip-idle shortens"},
		{[]string{"-compare-catchup", "-compare"}, "-compare-catchup synthesizes"},
		{[]string{"-compare-catchup", "-compare-backoff"}, "-compare-catchup synthesizes"},
		{[]string{"-compare-catchup", "-assembly", "cdk.out"}, "-compare-catchup synthesizes"},
		{[]string{"-compare-catchup", "-unordered"}, "-compare-catchup synthesizes"},
		{[]string{"-compare-catchup", "-bus", "b"}, "-compare-catchup synthesizes"},
		{[]string{"-compare-catchup", "-replay"}, "-compare-catchup synthesizes"},
		{[]string{"-compare-catchup", "-stack", "fifo"}, `-compare-catchup -stack "fifo"`},
		{[]string{"-compare-catchup", "-rate", "200"}, "-compare-catchup -rate 200"},
		{[]string{"-outage", "3m"}, "want DURATION@START"},
		{[]string{"-outage", "0s@1m"}, "positive Go duration"},
		{[]string{"-broken-periods", "-1"}, "-broken-periods -1"},
		{[]string{"-broken-periods", "8", "-partitions", "8"}, "at least one period must stay healthy"},
		{[]string{"-broken-until", "1m"}, "give -broken-periods too"},
		{[]string{"-broken-periods", "1", "-broken-until", "-1m"}, "-broken-until -1m0s"},
		{[]string{"-function-env", "NOVALUE"}, "want NAME=VALUE"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-events", "x"}, "invalid value"},
		{[]string{"-context", "-c novalue"}, `"novalue" is not key=value`},
		{[]string{"-assembly", "/nonexistent"}, "reading cloud assembly"},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != exitError {
			t.Errorf("%v: exit %d, want %d (stderr %s)", tc.args, code, exitError, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: stderr %q, want it to mention %q", tc.args, stderr.String(), tc.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%v: printed %q on stdout", tc.args, stdout.String())
		}
	}
}

func TestHelpIsNotAnError(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &stdout, &stderr); code != exitOK {
		t.Errorf("exit %d for -h", code)
	}
	if !strings.Contains(stderr.String(), "-unordered") {
		t.Errorf("usage does not list -unordered:\n%s", stderr.String())
	}
}

func TestExitStatus(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		err  error
		ok   bool
		want int
	}{
		{"clean run", context.Background(), nil, true, exitOK},
		{"violations", context.Background(), nil, false, exitViolations},
		{"harness error", context.Background(), errors.New("boom"), false, exitError},
		{"interrupted", canceled, context.Canceled, false, exitInterrupted},
	}
	for _, tc := range cases {
		if got := exitFor(tc.ctx, tc.err, tc.ok, &bytes.Buffer{}); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// fakeBus records PutEvents calls and refuses the entries listed.
type fakeBus struct {
	calls  [][]string // detail-types per call
	refuse int        // entries of each call to report as failed
}

func (f *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	var call []string
	for _, e := range in.Entries {
		if aws.ToString(e.EventBusName) != "orderly-dev" || !json.Valid([]byte(aws.ToString(e.Detail))) {
			return nil, errors.New("bad entry")
		}
		call = append(call, aws.ToString(e.DetailType))
	}
	f.calls = append(f.calls, call)
	return &eventbridge.PutEventsOutput{FailedEntryCount: int32(min(f.refuse, len(in.Entries)))}, nil
}

func TestPutEventsSendsBatchesOfTen(t *testing.T) {
	events, err := pipeline.Generate(pipeline.Workload{Events: 25, Partitions: 3, Seed: 1, Source: "com.example.scheduling",
		DetailTypes: []string{schedule.DetailTypeUpserted, schedule.DetailTypeDeleted}})
	if err != nil {
		t.Fatal(err)
	}
	bus := &fakeBus{refuse: 1}
	sent, failed, err := putEvents(context.Background(), bus, "orderly-dev", events, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, c := range bus.calls {
		sizes = append(sizes, len(c))
	}
	if len(sizes) != 3 || sizes[0] != 10 || sizes[1] != 10 || sizes[2] != 5 {
		t.Errorf("batch sizes %v, want [10 10 5]", sizes)
	}
	if sent != 22 || failed != 3 {
		t.Errorf("sent %d failed %d, want 22 and 3", sent, failed)
	}
	entry, err := busEntry("orderly-dev", events[0])
	if err != nil {
		t.Fatal(err)
	}
	var detail map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(entry.Detail)), &detail); err != nil || detail["scheduleDate"] != pipeline.Period(events[0].Partition) {
		t.Errorf("entry detail %s: want the event's detail", aws.ToString(entry.Detail))
	}
	if aws.ToString(entry.Source) != "com.example.scheduling" {
		t.Errorf("source %q", aws.ToString(entry.Source))
	}
}

func TestCompareTables(t *testing.T) {
	for _, cmp := range []comparison{classicComparison, backoffComparison} {
		var reports []*pipeline.Report
		for i := range cmp.configs {
			reports = append(reports, &pipeline.Report{Concurrency: i + 1, EventsSent: 100, EventsApplied: 99, DeadLettered: 1,
				APICallsPerEvent: 0.254, FailedGroups: 4, GroupWaitSeconds: 240, ThroughputPerSec: 12.34, LatencyP50Ms: 5, LatencyP99Ms: 9})
		}
		var b bytes.Buffer
		cmp.table(&b, cmp.configs, reports)
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		if len(lines) < 2+len(cmp.configs) {
			t.Fatalf("table has %d lines, want header, rule and %d rows:\n%s", len(lines), len(cmp.configs), b.String())
		}
		for i, c := range cmp.configs {
			row := lines[2+i]
			if !strings.HasPrefix(row, "| "+c.name+" |") || !strings.Contains(row, "| 12.3 |") {
				t.Errorf("row %q does not describe %s", row, c.name)
			}
			if cmp.configs[0].name == classicComparison.configs[0].name && !strings.Contains(row, "| 0.25 |") {
				t.Errorf("row %q lacks the API calls per event", row)
			}
			if strings.Count(row, "|") != strings.Count(lines[0], "|") {
				t.Errorf("row %q has a different number of columns than the header", row)
			}
		}
	}
}

func TestBackoffTableShowsWaitPerFailure(t *testing.T) {
	var b bytes.Buffer
	writeBackoffTable(&b, backoffComparison.configs, []*pipeline.Report{
		{FailedGroups: 4, GroupWaitSeconds: 240, ThroughputPerSec: 10, LatencyP99Ms: 60000},
		{FailedGroups: 5, GroupWaitSeconds: 7.5, ThroughputPerSec: 40, LatencyP99Ms: 3000},
	})
	if want := "group wait per reported group failure: 60.0 s off, 1.5 s on; events/s 10.0 -> 40.0; p99 60000 -> 3000 ms"; !strings.Contains(b.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, b.String())
	}
	if !strings.Contains(b.String(), "| 4 | 240.0 | 10.0 |") {
		t.Errorf("off row lacks its failures, wait and events/s:\n%s", b.String())
	}
}

func TestBreakdownFlags(t *testing.T) {
	f, err := parse([]string{"-broken-periods", "2", "-broken-until", "90s", "-outage", "3m@1m",
		"-function-env", "ORDERLY_ISOLATE_AFTER_SECONDS=30", "-function-env", "AWS_LAMBDA_LOG_LEVEL="}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if f.faults.BrokenPeriods != 2 || f.faults.BrokenFor != 90*time.Second || f.faults.Outage.For != 3*time.Minute || f.faults.Outage.From != time.Minute {
		t.Errorf("faults %+v: want 2 broken periods for 90s and a 3m outage from 1m", f.faults)
	}
	if got := f.functionEnv.m; len(got) != 2 || got["ORDERLY_ISOLATE_AFTER_SECONDS"] != "30" || got["AWS_LAMBDA_LOG_LEVEL"] != "" {
		t.Errorf("function env %v", got)
	}
}

func TestCatchupWorkloadDefaults(t *testing.T) {
	f, err := parse([]string{"-compare-catchup"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if f.events != catchupEvents || f.partitions != catchupPartitions || f.entities != catchupEntities || f.timeout != catchupTimeout {
		t.Errorf("-compare-catchup alone: events %d, partitions %d, entities %d, timeout %s; want the catch-up workload", f.events, f.partitions, f.entities, f.timeout)
	}
	f, err = parse([]string{"-compare-catchup", "-events", "2000", "-entities", "5", "-timeout", "5m", "-stack", "kinesis"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if f.events != 2000 || f.entities != 5 || f.timeout != 5*time.Minute || f.partitions != catchupPartitions {
		t.Errorf("given flags: events %d, entities %d, timeout %s, partitions %d; want the given ones kept, the rest the catch-up workload's", f.events, f.entities, f.timeout, f.partitions)
	}
	f, err = parse(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if f.events == catchupEvents || f.timeout == catchupTimeout {
		t.Errorf("without -compare-catchup: events %d, timeout %s; the catch-up workload leaked into the defaults", f.events, f.timeout)
	}
}

func TestCatchupTableShowsDrainAndSpeedup(t *testing.T) {
	var b bytes.Buffer
	writeCatchupTable(&b, catchupComparison.configs, []*pipeline.Report{
		{DrainSeconds: 60, APICallsPerEvent: 2, PeakAPICallsPerSecond: 1200},
		{DrainSeconds: 24, APICallsPerEvent: 0.36, PeakAPICallsPerSecond: 450},
		{DrainSeconds: 15, APICallsPerEvent: 0.161, PeakAPICallsPerSecond: 260, Superseded: 311, LostUpdates: 1},
	})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2+len(catchupComparison.configs)+2 {
		t.Fatalf("want header, rule, %d rows, a blank line and the speed-ups:\n%s", len(catchupComparison.configs), b.String())
	}
	for i, want := range []string{
		"| coalescing off | 60.0 | 2.00 | 1200 | 0 | 0 |",
		" | 24.0 | 0.36 | 450 | 0 | 0 |",
		"| coalescing, superseded changes merged (default) | 15.0 | 0.16 | 260 | 1 | 311 |",
	} {
		row := lines[2+i]
		if !strings.Contains(row, want) || !strings.HasPrefix(row, "| "+catchupComparison.configs[i].name+" |") {
			t.Errorf("row %d %q, want it to contain %q", i, row, want)
		}
		if strings.Count(row, "|") != strings.Count(lines[0], "|") {
			t.Errorf("row %q has a different number of columns than the header", row)
		}
	}
	if want := "2.5× faster; coalescing, superseded changes merged (default) 4.0× faster"; !strings.HasSuffix(lines[len(lines)-1], want) {
		t.Errorf("last line %q, want it to end with %q", lines[len(lines)-1], want)
	}

	b.Reset()
	writeCatchupTable(&b, catchupComparison.configs[:2], []*pipeline.Report{{DrainSeconds: 60}, {}})
	if !strings.Contains(b.String(), "not measured") || strings.Contains(b.String(), "Inf") {
		t.Errorf("a row without a drain time is not marked as such:\n%s", b.String())
	}
}

func TestCatchupModes(t *testing.T) {
	cfg := catchupComparison.configs
	if len(cfg) != 3 || !catchupComparison.backlog {
		t.Fatalf("%d modes, backlog %v: want three modes draining a backlog", len(cfg), catchupComparison.backlog)
	}
	for i, want := range []string{"function.coalesce=false", "function.coalesce=true", "function.coalesce=true"} {
		if cfg[i].stack != pipeline.StackKinesis || !strings.Contains(cfg[i].context, want) || !strings.Contains(cfg[i].context, catchupContext) {
			t.Errorf("mode %q: stack %s, context %q; want KinesisStack with %s and %s", cfg[i].name, cfg[i].stack, cfg[i].context, catchupContext, want)
		}
	}
	// Only the middle mode runs another commit's consumer; the others run
	// the one the assembly bundles.
	if cfg[0].consumerRev != "" || cfg[1].consumerRev != chunkEndsAtRepeatRev || cfg[2].consumerRev != "" {
		t.Errorf("consumer revisions %q, %q, %q", cfg[0].consumerRev, cfg[1].consumerRev, cfg[2].consumerRev)
	}
}

func TestCompareLineNamesItsRows(t *testing.T) {
	f := flags{events: 2000, partitions: 30, entities: 20, seed: 7}
	reports := []*pipeline.Report{{Stack: "kinesis", DrainSeconds: 4.5}, {Stack: "kinesis"}, {Stack: "kinesis", Superseded: 3}}
	line, err := compareLine(f, catchupComparison, reports)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Compare  []pipeline.Report `json:"compare"`
		Names    []string          `json:"names"`
		Kind     string            `json:"kind"`
		Workload struct {
			Events, Partitions, EntitiesPerPartition int
			Seed                                     uint64
		} `json:"workload"`
	}
	if err := json.Unmarshal([]byte(line), &doc); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if doc.Kind != "catchup" || len(doc.Compare) != 3 || len(doc.Names) != 3 || doc.Names[2] != catchupComparison.configs[2].name ||
		doc.Compare[0].DrainSeconds != 4.5 || doc.Compare[2].Superseded != 3 {
		t.Errorf("line %s: want the three reports, their names and the kind", line)
	}
	if w := doc.Workload; w.Events != 2000 || w.Partitions != 30 || w.EntitiesPerPartition != 20 || w.Seed != 7 {
		t.Errorf("workload %+v, want the flags'", w)
	}
	if strings.Contains(line, "\n") {
		t.Error("the JSON summary spans several lines")
	}
}

func TestUntarStaysInside(t *testing.T) {
	archive := func(name, body string) *bytes.Buffer {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		_ = tw.WriteHeader(&tar.Header{Name: "lambda/", Typeflag: tar.TypeDir, Mode: 0o755})
		_ = tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
		_, _ = tw.Write([]byte(body))
		_ = tw.Close()
		return &b
	}
	dir := t.TempDir()
	if err := untar(archive("lambda/main.go", "package main\n"), dir); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "lambda", "main.go")); err != nil || string(got) != "package main\n" {
		t.Errorf("extracted %q, %v", got, err)
	}
	if err := untar(archive("../escaped.go", "x"), filepath.Join(dir, "sub")); err == nil || !strings.Contains(err.Error(), "leaves") {
		t.Errorf("an entry outside the directory: error %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "escaped.go")); !os.IsNotExist(err) {
		t.Error("an entry was written outside the directory")
	}
}

func TestConsumerOfAnUnknownCommit(t *testing.T) {
	root, err := repo.WorkingRoot()
	if err != nil {
		t.Fatal(err)
	}
	_, err = buildConsumerAt(context.Background(), root, strings.Repeat("0", 40), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "git history") {
		t.Errorf("error %v, want one that says the commit is missing from git history", err)
	}
}

func TestABuiltConsumerNamesTheSettingsItWouldIgnore(t *testing.T) {
	root, err := repo.WorkingRoot()
	if err != nil {
		t.Fatal(err)
	}
	reads, err := declaredEnv(filepath.Join(root, "lambda", "envvar", "envvar.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{envvar.Coalesce, envvar.PeriodPath, envvar.APIBaseURL} {
		if !reads[name] {
			t.Errorf("%s is not among the variables read from lambda/envvar: %v", name, reads)
		}
	}
	c := &builtConsumer{rev: "abc", reads: reads}
	env := map[string]string{envvar.Coalesce: "true", "ORDERLY_NEWER_SETTING": "5", "A_LATER_ONE": "x"}
	if got := c.unread(env); strings.Join(got, " ") != "A_LATER_ONE ORDERLY_NEWER_SETTING" {
		t.Errorf("unread %v, want the two variables that consumer does not declare, sorted", got)
	}
	if got := c.unread(map[string]string{envvar.Coalesce: "true"}); len(got) != 0 {
		t.Errorf("unread %v for a variable the consumer declares", got)
	}
}
