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
