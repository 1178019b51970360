// Command preflight checks, with read-only AWS calls, what would make
// `cdk deploy` of an orderly stack fail, and on an update whether the
// deployed stack's ordering settings still match the synthesized template
// (-assembly): one line per check (ok, warn, fail), or -json. Exit status 1 on any failed check, 2 on bad input or
// missing credentials.
//
//	go run ./infra/cmd/preflight -env prod -stack kinesis [-assembly cdk.out] [-json] [-c key=value]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/orderly-dev/orderly/infra/deploycheck"
	"github.com/orderly-dev/orderly/infra/deploycheck/preflight"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("preflight", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f deploycheck.Flags
	f.Register(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	assemblyDir := fs.String("assembly", deploycheck.DefaultAssembly, "cloud assembly synthesized for this environment and context (make preflight synthesizes it): on an update, the drift check compares the deployed stack with its template")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	target, err := f.Resolve(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	report := preflight.Run(ctx, preflight.Options{Config: target.Config, Kind: target.Kind, AWS: target.AWS, Assembly: *assemblyDir})
	write := report.WriteText
	if *asJSON {
		write = report.WriteJSON
	}
	if err := write(stdout); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	if !report.OK {
		return 1
	}
	return 0
}
