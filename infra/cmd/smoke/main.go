// Command smoke checks a deployed orderly stack end to end: it puts a burst
// of canary events (period smoke.CanaryPeriod, versions out of order) on the
// stack's bus, waits for the consumer's outcome of each in its log group,
// checks that every event was applied or ignored as stale in order, and that
// no poison, dead-letter or on-failure queue received any; and it compares
// the deployed stack's ordering settings with the synthesized template
// (-assembly), each difference a problem. It prints a
// verdict line; exit status 0 only on PASS, 1 on FAIL, 2 when no verdict
// could be reached (bad input, missing credentials, AWS errors).
//
//	go run ./infra/cmd/smoke -env prod -stack kinesis [-assembly cdk.out] [-timeout 5m] [-poll 5s]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/orderly-dev/orderly/infra/deploycheck"
	"github.com/orderly-dev/orderly/infra/deploycheck/smoke"
)

func main() { deploycheck.Main(run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var timeout, poll time.Duration
	var assemblyDir string
	target, ok := deploycheck.ParseAndResolve(ctx, "smoke", args, stderr, func(fs *flag.FlagSet) {
		fs.DurationVar(&timeout, "timeout", smoke.DefaultTimeout, "how long to wait for the canary's outcomes")
		fs.DurationVar(&poll, "poll", smoke.DefaultPoll, "interval between searches of the consumer's log group")
		fs.StringVar(&assemblyDir, "assembly", deploycheck.DefaultAssembly, "cloud assembly synthesized for this environment and context (make smoke synthesizes it): the deployed stack's ordering settings are compared with its template")
	})
	if !ok {
		return 2
	}
	report, err := smoke.Run(ctx, smoke.Options{
		Config: target.Config, Kind: target.Kind, AWS: target.AWS,
		Timeout: timeout, Poll: poll, PeekWaitSeconds: 1, Progress: stderr, Assembly: assemblyDir,
	})
	if err != nil {
		if errors.Is(err, smoke.ErrBadInput) {
			fmt.Fprintln(stderr, "error:", err, "(nothing was sent)")
		} else {
			fmt.Fprintln(stderr, "error:", err)
		}
		return 2
	}
	if err := report.WriteText(stdout); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	if !report.OK {
		return 1
	}
	return 0
}
