// Command comparechart turns saved `make compare` output (its Markdown
// table and JSON line, or the JSON line alone) into an SVG chart, without
// rerunning the comparison. It charts every row the JSON holds.
//
//	make compare | tee compare.out
//	make compare-chart COMPARE_OUT=compare.out
//
// Exit status 2 for bad flags or input, 1 when the chart cannot be written.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/orderly-dev/orderly/infra/chart"
	"github.com/orderly-dev/orderly/sim/pipeline"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	in, out, err := flags(args, stderr)
	var reports []pipeline.Report
	if err == nil {
		reports, err = load(in)
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "comparechart:", err)
		return 2
	}
	if err := os.WriteFile(out, render(reports), 0o644); err != nil {
		fmt.Fprintln(stderr, "comparechart:", err)
		return 1
	}
	return 0
}

// flags returns the input and output paths, both required.
func flags(args []string, stderr io.Writer) (in, out string, err error) {
	fs := flag.NewFlagSet("comparechart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&in, "in", "", "saved output of `make compare`")
	fs.StringVar(&out, "out", "", "SVG file to write")
	if err = fs.Parse(args); err == nil && (in == "" || out == "" || fs.NArg() > 0) {
		err = errors.New("-in and -out are required, and nothing else")
	}
	return in, out, err
}

// load reads saved compare output.
func load(path string) ([]pipeline.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	reports, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return reports, nil
}

// parse finds the {"compare":[...]} line.
func parse(data []byte) ([]pipeline.Report, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, `{"compare":`) {
			continue
		}
		var doc struct {
			Compare []pipeline.Report `json:"compare"`
		}
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			return nil, fmt.Errorf("the compare line does not parse: %w", err)
		}
		if len(doc.Compare) == 0 {
			return nil, errors.New("the compare line has no rows")
		}
		return doc.Compare, nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New(`no {"compare":[...]} line: save the whole output of make compare`)
}

// render draws one panel per figure, a bar per row.
func render(reports []pipeline.Report) []byte {
	labels := labels(reports)
	panel := func(title, unit string, value func(pipeline.Report) float64, note func(pipeline.Report) string) chart.Panel {
		p := chart.Panel{Title: title, Unit: unit}
		for i, r := range reports {
			b := chart.Bar{Label: labels[i], Value: value(r)}
			if note != nil {
				b.Note = note(r)
			}
			p.Bars = append(p.Bars, b)
		}
		return p
	}
	sent := reports[0].EventsSent
	return chart.Render(fmt.Sprintf("make compare: %d events per configuration, env=%s", sent, reports[0].Env),
		panel("Throughput", "events/s", func(r pipeline.Report) float64 { return r.ThroughputPerSec },
			func(r pipeline.Report) string {
				return fmt.Sprintf("%d consumers (%d peak busy)", r.Concurrency, r.PeakConcurrency)
			}),
		panel("Latency p50, send to applied", "ms", func(r pipeline.Report) float64 { return r.LatencyP50Ms }, nil),
		panel("Latency p99, send to applied", "ms", func(r pipeline.Report) float64 { return r.LatencyP99Ms }, nil),
		panel("Third-party API calls per event (retries included)", "", func(r pipeline.Report) float64 { return r.APICallsPerEvent }, nil),
		panel("Invocations", "", func(r pipeline.Report) float64 { return float64(r.Invocations) }, nil),
		panel("Lost updates + order violations + duplicate effects (must be 0)", "", func(r pipeline.Report) float64 {
			return float64(r.LostUpdates + r.OrderViolations + r.DuplicateEffects)
		}, func(r pipeline.Report) string { return map[bool]string{true: "ok", false: "FAILED"}[r.OK] }),
	)
}

// labels name each row by its stack and the settings that differ between
// the rows of that stack (settings they all share say nothing).
func labels(reports []pipeline.Report) []string {
	fields := make([][]string, len(reports))
	count, rows := map[string]int{}, map[string]int{}
	for i, r := range reports {
		rows[r.Stack]++
		fields[i] = strings.Fields(r.Config)
		for _, f := range fields[i] {
			count[r.Stack+" "+f]++
		}
	}
	out := make([]string, len(reports))
	for i, r := range reports {
		parts := []string{r.Stack}
		if r.Mode != "" && r.Mode != "ordered" {
			parts = append(parts, r.Mode)
		}
		for _, f := range fields[i] {
			if count[r.Stack+" "+f] < rows[r.Stack] {
				parts = append(parts, f)
			}
		}
		out[i] = strings.Join(parts, " ")
	}
	return out
}
