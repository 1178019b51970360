// Command comparechart turns saved `make compare`, `make catchup` or `make
// compare-isolation` output
// (its Markdown table and JSON line, or the JSON line alone) into an SVG
// chart, without rerunning the comparison. It charts every row the JSON
// holds; the line's "kind" picks the figures (a catch-up comparison's are
// drain time, API calls and the peak request rate).
//
//	make compare | tee compare.out
//	make compare-chart COMPARE_OUT=compare.out
//	make catchup | tee catchup.out
//	make catchup-chart CATCHUP_OUT=catchup.out
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
	var cmp comparison
	if err == nil {
		cmp, err = load(in)
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "comparechart:", err)
		return 2
	}
	if err := os.WriteFile(out, render(cmp), 0o644); err != nil {
		fmt.Fprintln(stderr, "comparechart:", err)
		return 1
	}
	return 0
}

// flags returns the input and output paths, both required.
func flags(args []string, stderr io.Writer) (in, out string, err error) {
	fs := flag.NewFlagSet("comparechart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&in, "in", "", "saved output of `make compare` or `make catchup`")
	fs.StringVar(&out, "out", "", "SVG file to write")
	if err = fs.Parse(args); err == nil && (in == "" || out == "" || fs.NArg() > 0) {
		err = errors.New("-in and -out are required, and nothing else")
	}
	return in, out, err
}

// comparison is the JSON line a comparison prints last (sim/cmd/load):
// its reports, and, from lines that have them, the rows' names, which
// comparison it was and its workload.
type comparison struct {
	Compare  []pipeline.Report `json:"compare"`
	Names    []string          `json:"names"`
	Kind     string            `json:"kind"`
	Workload struct {
		Events               int `json:"events"`
		Partitions           int `json:"partitions"`
		EntitiesPerPartition int `json:"entitiesPerPartition"`
	} `json:"workload"`
}

// kindCatchup is the kind of `make catchup` output, kindIsolation the
// kind of the first line of `make compare-isolation` output (its blast
// radius table).
const (
	kindCatchup   = "catchup"
	kindIsolation = "isolation"
)

// load reads saved compare output.
func load(path string) (comparison, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return comparison{}, err
	}
	cmp, err := parse(data)
	if err != nil {
		return comparison{}, fmt.Errorf("%s: %w", path, err)
	}
	return cmp, nil
}

// parse finds the {"compare":[...]} line.
func parse(data []byte) (comparison, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, `{"compare":`) {
			continue
		}
		var doc comparison
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			return doc, fmt.Errorf("the compare line does not parse: %w", err)
		}
		if len(doc.Compare) == 0 {
			return doc, errors.New("the compare line has no rows")
		}
		if doc.Names != nil && len(doc.Names) != len(doc.Compare) {
			return doc, fmt.Errorf("the compare line names %d rows but has %d", len(doc.Names), len(doc.Compare))
		}
		if (doc.Kind == kindCatchup || doc.Kind == kindIsolation) && doc.Names == nil {
			return doc, fmt.Errorf("the %s line does not name its rows", doc.Kind)
		}
		return doc, nil
	}
	if err := sc.Err(); err != nil {
		return comparison{}, err
	}
	return comparison{}, errors.New(`no {"compare":[...]} line: save the whole output of make compare or make catchup`)
}

// panelFunc draws one figure of every row as a panel.
type panelFunc func(title, unit string, value func(pipeline.Report) float64, note func(pipeline.Report) string) chart.Panel

// render draws one panel per figure, a bar per row.
func render(cmp comparison) []byte {
	reports := cmp.Compare
	labels := labels(reports)
	if cmp.Kind == kindCatchup || cmp.Kind == kindIsolation {
		labels = cmp.Names
	}
	var panel panelFunc = func(title, unit string, value func(pipeline.Report) float64, note func(pipeline.Report) string) chart.Panel {
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
	switch cmp.Kind {
	case kindCatchup:
		return renderCatchup(cmp, panel)
	case kindIsolation:
		return renderIsolation(cmp, panel)
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
		mustBeZero(panel),
	)
}

// renderCatchup draws a catch-up comparison: how long each mode took to
// drain the backlog, and what it cost the third-party API.
func renderCatchup(cmp comparison, panel panelFunc) []byte {
	base := cmp.Compare[0].DrainSeconds
	w := cmp.Workload
	title := fmt.Sprintf("make catchup: a backlog of %d events, env=%s", cmp.Compare[0].EventsSent, cmp.Compare[0].Env)
	if w.Partitions > 0 {
		title = fmt.Sprintf("make catchup: a backlog of %d events over %d periods × %d entities, env=%s", cmp.Compare[0].EventsSent, w.Partitions, w.EntitiesPerPartition, cmp.Compare[0].Env)
	}
	return chart.Render(title,
		panel("Drain time: consumer start to the last event finished", "s", func(r pipeline.Report) float64 { return r.DrainSeconds },
			func(r pipeline.Report) string {
				if base <= 0 || r.DrainSeconds <= 0 || r.DrainSeconds == base {
					return ""
				}
				return fmt.Sprintf("%.1f× faster than the first row", base/r.DrainSeconds)
			}),
		panel("Third-party API calls per event (retries included)", "", func(r pipeline.Report) float64 { return r.APICallsPerEvent }, nil),
		panel("Peak request rate at the fake API (most requests in one second)", "req/s", func(r pipeline.Report) float64 { return float64(r.PeakAPICallsPerSecond) }, nil),
		panel("Events superseded (a newer change of the entity carried the push)", "", func(r pipeline.Report) float64 { return float64(r.Superseded) }, nil),
		mustBeZero(panel),
	)
}

// renderIsolation draws the blast radius of a broken period: the latency
// of the healthy periods on the broken period's shard and elsewhere, and
// what was isolated; a group still waiting when the run ended says so.
func renderIsolation(cmp comparison, panel panelFunc) []byte {
	r0 := cmp.Compare[0]
	title := fmt.Sprintf("make compare-isolation: %d events over %d periods, one period broken for good, env=%s", r0.EventsSent, cmp.Workload.Partitions, r0.Env)
	group := func(sharing bool) func(pipeline.Report) pipeline.LatencyGroup {
		return func(r pipeline.Report) pipeline.LatencyGroup {
			if r.BlastRadius == nil {
				return pipeline.LatencyGroup{P99Ms: r.LatencyP99Ms, P50Ms: r.LatencyP50Ms}
			}
			if sharing {
				return r.BlastRadius.Sharing
			}
			return r.BlastRadius.Others
		}
	}
	waiting := func(g func(pipeline.Report) pipeline.LatencyGroup) func(pipeline.Report) string {
		return func(r pipeline.Report) string {
			if w := g(r).StillWaiting; w > 0 {
				if g(r).Applied == 0 {
					return fmt.Sprintf("STILL WAITING: %d of %d events at the timeout, none applied", w, g(r).Events)
				}
				return fmt.Sprintf("STILL WAITING: %d of %d events at the timeout (p99 of those applied)", w, g(r).Events)
			}
			if r.BlastRadius == nil {
				return "no broken period: every period"
			}
			return ""
		}
	}
	sharing, others := group(true), group(false)
	return chart.Render(title,
		panel("Latency p99, healthy periods sharing the broken period's shard", "ms", func(r pipeline.Report) float64 { return sharing(r).P99Ms }, waiting(sharing)),
		panel("Latency p99, the other healthy periods", "ms", func(r pipeline.Report) float64 { return others(r).P99Ms }, waiting(others)),
		panel("Events isolated (then redriven once the period recovered)", "", func(r pipeline.Report) float64 { return float64(r.Isolated) },
			func(r pipeline.Report) string {
				if r.Redrive == nil {
					return ""
				}
				return fmt.Sprintf("after the redrive: %d unaccounted", r.Redrive.Unaccounted)
			}),
		panel("Lost updates + order violations + duplicate effects (must be 0)", "", func(r pipeline.Report) float64 {
			return float64(r.LostUpdates + r.OrderViolations + r.DuplicateEffects)
		}, func(r pipeline.Report) string {
			switch {
			case r.OK:
				return "ok"
			case r.TimedOut && r.LostUpdates+r.OrderViolations+r.DuplicateEffects+r.StateMismatches == 0:
				return "timed out with events still waiting, nothing lost"
			}
			return "FAILED"
		}),
	)
}

// mustBeZero is the panel of what no run may show.
func mustBeZero(panel panelFunc) chart.Panel {
	return panel("Lost updates + order violations + duplicate effects (must be 0)", "", func(r pipeline.Report) float64 {
		return float64(r.LostUpdates + r.OrderViolations + r.DuplicateEffects)
	}, func(r pipeline.Report) string { return map[bool]string{true: "ok", false: "FAILED"}[r.OK] })
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
