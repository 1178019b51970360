// Command benchcheck reads `go test -bench` output on stdin, echoes it, and
// then prints the consumer's figures against their targets, exiting 1 if
// any is missed or missing. `make bench` pipes the benchmarks into it.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// target is one figure: the benchmark line it comes from, the metric unit,
// and the limit: the largest value allowed, or with atLeast the smallest.
type target struct {
	name, benchmark, unit string
	limit                 float64
	atLeast               bool
}

var targets = []target{
	{name: "engine overhead per record, no-op handler (worst of batch 100 and 1000)", benchmark: "BenchmarkEngineOverhead/", unit: "ns/record", limit: 5000},
	{name: "100 records / 10 partitions / 20 ms I/O: wall time ÷ critical path", benchmark: "BenchmarkSimulatedIO/engine", unit: "wall/critical-path", limit: 1.15},
	{name: "100 records / 10 periods / 20 ms per API call, coalesced: API calls per event", benchmark: "BenchmarkCoalescing/distinct-entities", unit: "calls/event", limit: 0.25},
	{name: "same batch: wall time one record at a time ÷ coalesced (same run)", benchmark: "BenchmarkCoalescing/distinct-entities", unit: "speedup", limit: 5, atLeast: true},
	{name: "same, each period's records cycling through 3 entities (a backlog): API calls per event", benchmark: "BenchmarkCoalescing/repeated-entities", unit: "calls/event", limit: 0.25},
	{name: "bootstrap size, stripped linux/arm64", benchmark: "BenchmarkBootstrapSize", unit: "bytes", limit: 12_000_000},
}

// worse reports whether v is worse than prev for t.
func (t target) worse(v, prev float64) bool {
	if t.atLeast {
		return v < prev
	}
	return v > prev
}

// missed reports whether v misses t.
func (t target) missed(v float64) bool {
	if t.atLeast {
		return v < t.limit
	}
	return v > t.limit
}

func main() {
	worst, err := scan(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcheck:", err)
		os.Exit(1)
	}
	if !report(os.Stdout, worst) {
		os.Exit(1)
	}
}

// scan copies r to w and returns, per target, the worst value seen.
func scan(r io.Reader, w io.Writer) (map[string]float64, error) {
	worst := map[string]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(w, line)
		fields := strings.Fields(line)
		for _, t := range targets {
			if len(fields) == 0 || !strings.HasPrefix(fields[0], t.benchmark) {
				continue
			}
			for i := 1; i+1 < len(fields); i++ {
				if fields[i+1] != t.unit {
					continue
				}
				v, err := strconv.ParseFloat(fields[i], 64)
				if err != nil {
					return nil, fmt.Errorf("%s: %q is not a number", t.benchmark, fields[i])
				}
				if prev, seen := worst[t.name]; !seen || t.worse(v, prev) {
					worst[t.name] = v
				}
			}
		}
	}
	return worst, sc.Err()
}

func report(w io.Writer, worst map[string]float64) bool {
	ok := true
	fmt.Fprintln(w, "\nfigure | measured | target | result")
	for _, t := range targets {
		v, seen := worst[t.name]
		result := "ok"
		switch {
		case !seen:
			result, ok = "MISSING", false
		case t.missed(v):
			result, ok = "MISSED", false
		}
		bound := "≤"
		if t.atLeast {
			bound = "≥"
		}
		fmt.Fprintf(w, "%s | %s %s | %s %s | %s\n", t.name, strconv.FormatFloat(v, 'f', -1, 64), t.unit,
			bound, strconv.FormatFloat(t.limit, 'f', -1, 64), result)
	}
	return ok
}
