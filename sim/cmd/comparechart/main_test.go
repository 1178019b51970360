package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const saved = `| configuration | consumers (peak busy) | ... |
|---|--:|
{"compare":[{"stack":"kinesis","mode":"ordered","env":"dev","config":"shards=1 batchSize=1 retry=3","concurrency":1,"peakConcurrency":1,"eventsSent":1000,"throughputPerSec":50.5,"latencyP50Ms":900,"latencyP99Ms":2000,"invocations":1000,"ok":true},` +
	`{"stack":"kinesis","mode":"ordered","env":"dev","config":"shards=2 batchSize=1 retry=3","concurrency":2,"peakConcurrency":2,"eventsSent":1000,"throughputPerSec":101,"latencyP50Ms":400,"latencyP99Ms":900,"invocations":1000,"ok":true},` +
	`{"stack":"fifo","mode":"ordered","env":"dev","config":"groups=1 batchSize=10 retry=3"},{"stack":"fifo","mode":"ordered","env":"dev","config":"groups=2 batchSize=10 retry=3","concurrency":1,"peakConcurrency":1,"eventsSent":1000,"throughputPerSec":20,"latencyP50Ms":3000,"latencyP99Ms":9000,"invocations":120,"lostUpdates":1,"ok":false}]}
`

func TestChartsEveryRow(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "compare.out"), filepath.Join(dir, "compare.svg")
	_ = os.WriteFile(in, []byte(saved), 0o644)
	var stderr bytes.Buffer
	if code := run([]string{"-in", in, "-out", out}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	svg, _ := os.ReadFile(out)
	for _, want := range []string{">kinesis shards=1<", ">kinesis shards=2<", ">fifo groups=1<", ">fifo groups=2<", "101 events/s", "FAILED"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(string(svg), "retry=3") || strings.Contains(string(svg), "batchSize") {
		t.Error("a setting every row of a stack shares is in the labels")
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	noJSON := filepath.Join(dir, "table.md")
	_ = os.WriteFile(noJSON, []byte("| a |\n"), 0o644)
	out := filepath.Join(dir, "x.svg")
	for _, args := range [][]string{{"-in", noJSON, "-out", out}, {"-in", filepath.Join(dir, "missing"), "-out", out}, {"-out", out}, {"-bogus"}} {
		var stderr bytes.Buffer
		if code := run(args, &stderr); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%v wrote a chart", args)
		}
	}
}

const savedCatchup = `| mode | drain s | ... |
{"compare":[{"stack":"kinesis","mode":"ordered","env":"dev","config":"shards=4 coalesce=false","eventsSent":2000,"apiCallsPerEvent":2,"peakApiCallsPerSecond":1136,"drainSeconds":5,"ok":true},` +
	`{"stack":"kinesis","mode":"ordered","env":"dev","config":"shards=4 coalesce=true consumer=a266dfc","eventsSent":2000,"apiCallsPerEvent":0.36,"peakApiCallsPerSecond":446,"drainSeconds":2.5,"ok":true},` +
	`{"stack":"kinesis","mode":"ordered","env":"dev","config":"shards=4 coalesce=true","eventsSent":2000,"apiCallsPerEvent":0.16,"peakApiCallsPerSecond":253,"drainSeconds":1.25,"superseded":311,"ok":true}],` +
	`"kind":"catchup","names":["off","chunk ends at a repeat","merged"],"workload":{"events":2000,"partitions":30,"entitiesPerPartition":20,"seed":1}}
`

func TestChartsCatchup(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "catchup.out"), filepath.Join(dir, "catchup.svg")
	_ = os.WriteFile(in, []byte(savedCatchup), 0o644)
	var stderr bytes.Buffer
	if code := run([]string{"-in", in, "-out", out}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	svg, _ := os.ReadFile(out)
	for _, want := range []string{"2000 events over 30 periods × 20 entities", ">off<", ">chunk ends at a repeat<", ">merged<",
		">5 s<", "2.50 s · 2.0× faster than the first row", "1.25 s · 4.0× faster than the first row", "1136 req/s", ">311 ", "Drain time"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(string(svg), "Latency p50") {
		t.Error("the catch-up chart has the compare chart's figures")
	}
}

func TestCatchupLineMustNameItsRows(t *testing.T) {
	for _, bad := range []string{
		strings.Replace(savedCatchup, `"names":["off","chunk ends at a repeat","merged"],`, "", 1),
		strings.Replace(savedCatchup, `"names":["off","chunk ends at a repeat","merged"]`, `"names":["off"]`, 1),
	} {
		if _, err := parse([]byte(bad)); err == nil {
			t.Errorf("parsed a catch-up line without a name per row:\n%s", bad)
		}
	}
}

const savedIsolation = `{"compare":[{"stack":"kinesis","env":"dev","eventsSent":1200,"latencyP99Ms":900,"ok":true},` +
	`{"stack":"kinesis","env":"dev","eventsSent":1200,"isolated":40,"redrive":{"unaccounted":0},"blastRadius":{"sharing":{"events":200,"p99Ms":34000},"others":{"events":900,"p99Ms":800}},"ok":true},` +
	`{"stack":"kinesis","env":"dev","eventsSent":1200,"timedOut":true,"blastRadius":{"sharing":{"events":200,"stillWaiting":170,"p99Ms":500},"others":{"events":900,"p99Ms":800}},"ok":false}],` +
	`"kind":"isolation","names":["fault-free","isolation after 30 s","isolation off"],"workload":{"events":1200,"partitions":30}}
{"compare":[{"stack":"fifo"}],"kind":"outage","names":["second table"]}
`

func TestChartsIsolation(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "isolation.out"), filepath.Join(dir, "isolation.svg")
	_ = os.WriteFile(in, []byte(savedIsolation), 0o644)
	var stderr bytes.Buffer
	if code := run([]string{"-in", in, "-out", out}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	svg, _ := os.ReadFile(out)
	for _, want := range []string{">isolation after 30 s<", ">isolation off<", "STILL WAITING: 170 of 200", "sharing the broken period", "after the redrive: 0 unaccounted", "timed out with events still waiting, nothing lost"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if strings.Contains(string(svg), "second table") {
		t.Error("the chart drew the outage table instead of the first one")
	}
}
