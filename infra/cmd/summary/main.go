// Command summary prints one line per synthesized stack with the settings
// that decide ordering and throughput, read from the templates in cdk.out.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/orderly-dev/orderly/infra/assembly"
)

func main() {
	dir := flag.String("dir", "cdk.out", "cloud assembly directory")
	flag.Parse()
	if err := run(os.Stdout, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, dir string) error {
	stacks, err := assembly.Read(dir)
	if err != nil {
		return err
	}
	for _, s := range stacks {
		line, err := Line(s)
		if err != nil {
			return fmt.Errorf("%s: %w", s.ID, err)
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

// Line describes one stack.
func Line(s assembly.Stack) (string, error) {
	head := fmt.Sprintf("%-12s %-22s env=%-8s", s.ID, s.Name, s.Env)
	settings, err := s.Template.Settings()
	if err != nil {
		return "", err
	}
	if k := settings.Kinesis; k != nil {
		shards := fmt.Sprint(k.ShardCount)
		if k.OnDemand {
			shards = "on-demand"
		}
		return fmt.Sprintf("%s shards=%s batchSize=%d parallelizationFactor=%d periodPath=%s reservedConcurrency=%s",
			head, shards, k.BatchSize, k.ParallelizationFactor, k.PartitionKeyPath, orNone(k.ReservedConcurrency)), nil
	}
	f := settings.Fifo
	return fmt.Sprintf("%s groups=%s batchSize=%d maxConcurrency=%s reservedConcurrency=%s",
		head, f.Groups(), f.BatchSize, orNone(f.MaxConcurrency), orNone(f.ReservedConcurrency)), nil
}

func orNone(n int) string {
	if n == 0 {
		return "none"
	}
	return fmt.Sprint(n)
}
