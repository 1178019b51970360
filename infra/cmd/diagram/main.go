// Command diagram writes one stack of a synthesized cloud assembly as a
// Graphviz DOT file (`make diagram` renders it to SVG with dot -Tsvg), or
// with -dashboard the layout of the stack's CloudWatch dashboard as SVG.
// Exit status 2 for bad flags, 1 when the stack cannot be drawn (among
// others: a resource type with no place in the diagram).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/diagram"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("diagram", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("assembly", "cdk.out", "cloud assembly directory")
	stack := fs.String("stack", "", "stack id (KinesisStack, FifoStack)")
	title := fs.String("title", "", "diagram title (default: the stack name)")
	out := fs.String("out", "", "DOT file to write (an SVG file with -dashboard)")
	dashboard := fs.Bool("dashboard", false, "draw the stack's dashboard layout as SVG instead")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *stack == "" || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "diagram: -stack and -out are required, and nothing else")
		return 2
	}
	if err := write(*dir, *stack, *title, *out, *dashboard); err != nil {
		fmt.Fprintln(stderr, "diagram:", err)
		return 1
	}
	return 0
}

func write(dir, id, title, out string, dashboard bool) error {
	stacks, err := assembly.Read(dir)
	if err != nil {
		return err
	}
	for _, s := range stacks {
		if s.ID != id {
			continue
		}
		if dashboard {
			ds, err := s.Template.Dashboards()
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			if len(ds) != 1 {
				return fmt.Errorf("%s: %d dashboards, want 1", id, len(ds))
			}
			return os.WriteFile(out, []byte(diagram.DashboardSVG(id, ds[0])), 0o644)
		}
		if title == "" {
			title = s.Name
		}
		dot, err := diagram.DOT(title, s.Template)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		return os.WriteFile(out, []byte(dot), 0o644)
	}
	return fmt.Errorf("no stack %q in %s", id, dir)
}
