// Command redrive puts a deployed stack's failed events back on its bus:
// from the poison queue, the dead-letter queues and (KinesisStack) the
// on-failure bucket, per period in stamp order, deleting each message or
// object only after PutEvents accepted its events (see infra/redrive). It
// prints progress on stderr, then one line per source and a summary line
// (or, with -json, the report as JSON); exit status 0 when everything was
// redriven (or listed, with -dry-run), 1 when something stays in place, 2
// when the run stopped (bad input, missing credentials, AWS errors).
//
//	go run ./infra/cmd/redrive -env prod -stack kinesis [-dry-run] [-json] [-visibility 5m]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/orderly-dev/orderly/infra/deploycheck"
	"github.com/orderly-dev/orderly/infra/redrive"
	"github.com/orderly-dev/orderly/lambda/visibility"
)

func main() { deploycheck.Main(run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var dryRun, asJSON bool
	hidden := redrive.DefaultVisibility
	target, ok := deploycheck.ParseAndResolve(ctx, "redrive", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&dryRun, "dry-run", false, "list what would be put and deleted; send and delete nothing")
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON instead of text")
		fs.Func("visibility", fmt.Sprintf("how long received messages stay hidden while the run works on them: whole seconds from 1s to %s (default %s)",
			visibility.MaxVisibilityTimeout, redrive.DefaultVisibility), func(s string) error {
			d, err := time.ParseDuration(s)
			// SQS takes whole seconds, at most 12 h; a 0 would be left out
			// of the request and the queue's default used instead.
			if err != nil || d < time.Second || d > visibility.MaxVisibilityTimeout || d%time.Second != 0 {
				return fmt.Errorf("want whole seconds from 1s to %s", visibility.MaxVisibilityTimeout)
			}
			hidden = d
			return nil
		})
	})
	if !ok {
		return 2
	}
	report, err := redrive.Run(ctx, redrive.Options{
		Config: target.Config, Kind: target.Kind, AWS: target.AWS,
		DryRun: dryRun, Visibility: hidden, WaitSeconds: 1, Progress: stderr,
	})
	if err != nil {
		if errors.Is(err, redrive.ErrBadInput) {
			fmt.Fprintln(stderr, "error:", err, "(nothing was received or sent)")
		} else {
			// What was deleted had been accepted; the rest stays or reappears.
			fmt.Fprintln(stderr, "error:", err, "(rerun once it is fixed: nothing was lost)")
		}
		return 2
	}
	if asJSON {
		err = json.NewEncoder(stdout).Encode(report)
	} else {
		err = report.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	if !report.OK {
		return 1
	}
	return 0
}
