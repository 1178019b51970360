package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/orderly-dev/orderly/infra/plan"
)

// options are the parsed flags.
type options struct {
	env, context, assembly, keysFile, chart string
	json                                    bool
	workload                                plan.Workload
}

// Workload defaults: a modest peak, a typical HTTPS API and the consumer's
// GET + PUT per event.
const (
	defaultPeak       = 50
	defaultDays       = 14
	defaultP50        = 40 * time.Millisecond
	defaultP99        = 200 * time.Millisecond
	defaultCalls      = 2
	defaultEventBytes = 1024
	defaultHeadroom   = 0.3
)

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.env, "env", "dev", "environment in cdk.json")
	fs.StringVar(&o.context, "context", "", `extra CDK context, as the Makefile's CONTEXT ("-c kinesis.shardCount=7")`)
	fs.StringVar(&o.assembly, "assembly", "", "synthesized cloud assembly of the same env and context (default: synthesize into a temporary directory)")
	w := &o.workload
	fs.Float64Var(&w.PeakPerSec, "peak", defaultPeak, "peak events per second")
	fs.Float64Var(&w.AveragePerSec, "average", 0, "average events per second over the month, for the cost (default: the peak)")
	days := fs.Int("days", defaultDays, "live periods: today (UTC) and the following days, this many in all")
	start := fs.String("start", "", "first live period as YYYY-MM-DD (default: today, UTC)")
	fs.StringVar(&o.keysFile, "keys", "", "file of live period keys, one per line, each optionally followed by a weight (instead of -days)")
	fs.DurationVar(&w.LatencyP50, "latency-p50", defaultP50, "third-party API call latency, median")
	fs.DurationVar(&w.LatencyP99, "latency-p99", defaultP99, "third-party API call latency, 99th percentile")
	fs.Float64Var(&w.CallsPerEvent, "calls-per-event", defaultCalls, "third-party API calls per event (GET + PUT)")
	fs.IntVar(&w.EventBytes, "event-bytes", defaultEventBytes, "size of one event as EventBridge delivers it")
	fs.Float64Var(&w.Headroom, "headroom", defaultHeadroom, "spare capacity the recommendation keeps at peak (0.3 = 30%)")
	fs.BoolVar(&o.json, "json", false, "print one JSON document instead of tables")
	fs.StringVar(&o.chart, "chart", "", "also write the per-shard load as an SVG bar chart to this file")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fs.SetOutput(stderr)
			fmt.Fprintln(stderr, "usage: plan [flags]   (make plan ENV=prod PLAN_FLAGS=\"...\")")
			fs.PrintDefaults()
			return o, err
		}
		return o, badInput("%v (run with -h for the flags)", err)
	}
	if fs.NArg() > 0 {
		return o, badInput("unexpected argument %q: every input is a flag (run with -h)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if math.IsNaN(w.PeakPerSec) || w.PeakPerSec <= 0 {
		return o, badInput("-peak %v: must be a positive number of events per second", w.PeakPerSec)
	}
	if set["average"] && (w.AveragePerSec <= 0 || w.AveragePerSec > w.PeakPerSec) {
		return o, badInput("-average %v: must be positive and at most -peak (%v)", w.AveragePerSec, w.PeakPerSec)
	}
	switch {
	case o.keysFile != "" && (set["days"] || set["start"]):
		return o, badInput("-keys and -days/-start both given: choose a keys file or a range of days")
	case o.keysFile != "":
		f, err := os.Open(o.keysFile)
		if err != nil {
			return o, badInput("keys file: %v", err)
		}
		defer f.Close()
		if w.Periods, err = plan.ReadPeriods(f, o.keysFile); err != nil {
			return o, badInput("keys file %v", err)
		}
	default:
		if *days < 1 || *days > 3660 {
			return o, badInput("-days %d: must be from 1 to 3660", *days)
		}
		first := time.Now().UTC().Truncate(24 * time.Hour)
		if *start != "" {
			t, err := time.Parse(time.DateOnly, *start)
			if err != nil {
				return o, badInput("-start %q: want a date as YYYY-MM-DD", *start)
			}
			first = t
		}
		w.Periods = plan.DailyPeriods(first, *days)
	}
	if err := w.Validate(); err != nil {
		return o, badInput("%v", err)
	}
	return o, nil
}
