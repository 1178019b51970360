// Command plan is orderly's capacity and cost planner (`make plan`): for
// one environment's resolved configuration and a workload it prints where
// each live period lands on KinesisStack's shards and FifoStack's message
// groups, the load skew, the throughput ceilings, the iterator-age risk at
// peak, a recommended shard count and parallelization factor, and a
// monthly cost estimate of both stacks; with -json, one JSON document.
//
// FIFO routing comes from the synthesized FifoStack (-assembly, or a
// synthesis of the environment into a temporary directory), evaluated the
// way a local run evaluates it.
//
// Exit status: 0 on success; 2 for bad input (unknown flag, non-positive
// rate, unreadable or malformed keys file, unknown environment or invalid
// configuration), with one message and nothing written; 1 for any other
// failure.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/orderly-dev/orderly/infra/plan"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is bad input: exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

func badInput(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		var p plan.Plan
		if p, err = makePlan(ctx, opts, stderr); err == nil {
			err = write(stdout, opts, p)
		}
	}
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "plan:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "plan:", err)
		return 1
	}
}

// write renders everything in memory first, so that a failure never leaves
// half a table or half a chart behind.
func write(stdout io.Writer, opts options, p plan.Plan) error {
	var out bytes.Buffer
	if opts.json {
		data, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return err
		}
		out.Write(data)
		out.WriteByte('\n')
	} else if err := p.WriteText(&out); err != nil {
		return err
	}
	if opts.chart != "" {
		if err := os.WriteFile(opts.chart, shardChart(p), 0o644); err != nil {
			return err
		}
	}
	_, err := stdout.Write(out.Bytes())
	return err
}
