package main

import (
	"io"
	"strings"
	"testing"
)

const sample = `BenchmarkEngineOverhead/batch=100-2   3  137942 ns/op  1379 ns/record  40896 B/op
BenchmarkEngineOverhead/batch=1000-2  3  690773 ns/op  690.8 ns/record
BenchmarkSimulatedIO/engine-2  3  202138102 ns/op  202.0 ms/batch  1.011 wall/critical-path
BenchmarkSimulatedIO/sequential-2  3  2017634520 ns/op  2017 ms/batch  10.09 wall/critical-path
BenchmarkCoalescing/distinct-entities-2  5  451251740 ns/op  0.2000 calls/event  43.00 coalesced-ms/batch  2.000 per-record-calls/event  408.0 per-record-ms/batch  9.488 speedup
BenchmarkCoalescing/distinct-entities-2  5  451251740 ns/op  0.2100 calls/event  45.00 coalesced-ms/batch  2.000 per-record-calls/event  408.0 per-record-ms/batch  8.9 speedup
BenchmarkCoalescing/repeated-entities-2  5  451251740 ns/op  0.2000 calls/event  43.00 coalesced-ms/batch  2.000 per-record-calls/event  408.0 per-record-ms/batch  9.3 speedup
BenchmarkBootstrapSize-2  3  155795623 ns/op  9.568 MB  9568418 bytes
`

func TestWorstFiguresAgainstTargets(t *testing.T) {
	worst, err := scan(strings.NewReader(sample), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The worst of each: the highest where the target is a ceiling, the
	// lowest where it is a floor (speedup).
	want := map[string]float64{targets[0].name: 1379, targets[1].name: 1.011, targets[2].name: 0.21, targets[3].name: 8.9, targets[4].name: 0.2, targets[5].name: 9568418}
	for name, v := range want {
		if worst[name] != v {
			t.Errorf("%s = %v, want %v (the sequential contrast line must not count)", name, worst[name], v)
		}
	}
	if !report(io.Discard, worst) {
		t.Error("figures within target reported as missed")
	}
}

func TestMissedAndMissingFiguresFail(t *testing.T) {
	missed := strings.Replace(sample, "1.011 wall", "1.3 wall", 1)
	worst, _ := scan(strings.NewReader(missed), io.Discard)
	if report(io.Discard, worst) {
		t.Error("a 1.3 ratio passed the 1.15 target")
	}
	slow := strings.Replace(sample, "8.9 speedup", "4.2 speedup", 1)
	worst, _ = scan(strings.NewReader(slow), io.Discard)
	if report(io.Discard, worst) {
		t.Error("a 4.2 speedup passed the 5 floor")
	}
	worst, _ = scan(strings.NewReader("PASS\n"), io.Discard)
	if report(io.Discard, worst) {
		t.Error("missing benchmarks passed")
	}
}
