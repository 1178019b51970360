package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

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
