package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-dev/orderly/lambda/buildspec"
	"github.com/orderly-dev/orderly/sim/pipeline"
)

// The catch-up workload (-compare-catchup, make catchup) unless -events,
// -partitions, -entities or -timeout say otherwise: about an hour of
// changes piled up while the third-party API was down, 20,000 events over
// 30 periods of 20 entities each (some 33 changes per entity), and room
// for the slowest mode to drain them on a shared 2-core machine.
const (
	catchupEvents     = 20000
	catchupPartitions = 30
	catchupEntities   = 20
	catchupTimeout    = 30 * time.Minute
)

// catchupContext is the stream every mode drains: four shards, so that
// four consumers work through the backlog at once.
const catchupContext = "-c kinesis.shardCount=4"

// chunkEndsAtRepeatRev is the last commit whose consumer ended a coalesced
// chunk at an entity's second change, so that one push never carried two
// changes of one entity; the next commit (f6fe1f8) merged superseded
// changes into one push instead. When this comparison was added, that
// consumer differed from the current one by the rule, the metrics and log
// value that came with it, and the request-rate cap
// (api.maxRequestsPerSecond), which is off unless configured and which
// the row refuses (builtConsumer.unread). The rule is gone from the
// consumer and is not put back for a benchmark: the catch-up comparison
// builds this commit's consumer from the repository's history, exactly as
// the bundler builds today's (lambda/buildspec), and runs it on the same
// synthesized stack. As the consumer moves on, that row keeps measuring
// this commit's code.
const chunkEndsAtRepeatRev = "a266dfc6d199bc34bd152429d48f1308e8a006f9"

// catchupComparison drains the same backlog through KinesisStack in three
// modes: one record at a time, coalescing whose chunks end at an entity's
// second change (the consumer of chunkEndsAtRepeatRev), and today's
// coalescing, which merges superseded changes into one push per period.
var catchupComparison = comparison{
	kind: "catchup",
	configs: []compareConfig{
		{name: "coalescing off", stack: pipeline.StackKinesis, context: catchupContext + " -c function.coalesce=false"},
		{name: "coalescing, chunk ends at a repeated entity (consumer " + chunkEndsAtRepeatRev[:7] + ")", stack: pipeline.StackKinesis,
			context: catchupContext + " -c function.coalesce=true", consumerRev: chunkEndsAtRepeatRev},
		{name: "coalescing, superseded changes merged (default)", stack: pipeline.StackKinesis, context: catchupContext + " -c function.coalesce=true"},
	},
	table:   writeCatchupTable,
	backlog: true,
}

// writeCatchupTable prints the catch-up comparison as a Markdown table,
// and how much faster each mode drained than the first.
func writeCatchupTable(w io.Writer, configs []compareConfig, reports []*pipeline.Report) {
	fmt.Fprintln(w, "| mode | drain s | API calls/event | peak API req/s | lost updates | superseded |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|")
	for i, r := range reports {
		fmt.Fprintf(w, "| %s | %.1f | %.2f | %d | %d | %d |\n",
			configs[i].name, r.DrainSeconds, r.APICallsPerEvent, r.PeakAPICallsPerSecond, r.LostUpdates, r.Superseded)
	}
	if len(reports) < 2 || reports[0].DrainSeconds <= 0 {
		return
	}
	var parts []string
	for i, r := range reports[1:] {
		parts = append(parts, fmt.Sprintf("%s %s", configs[i+1].name, speedup(reports[0].DrainSeconds, r.DrainSeconds)))
	}
	fmt.Fprintf(w, "\ndrain time against %s: %s\n", configs[0].name, strings.Join(parts, "; "))
}

// speedup says how many times faster than base a drain of seconds was.
func speedup(base, seconds float64) string {
	if seconds <= 0 {
		return "not measured"
	}
	return fmt.Sprintf("%.1f× faster", base/seconds)
}

// builtConsumer is another commit's consumer, built to run in place of
// the bundled one.
type builtConsumer struct {
	rev, bin string
	// reads holds the environment variables that commit's consumer
	// declares (lambda/envvar): a setting it does not know, it ignores.
	reads map[string]bool
}

// unread lists, sorted, the variables of env the consumer does not read:
// settings the synthesized stack has and that consumer would silently
// run without.
func (c *builtConsumer) unread(env map[string]string) []string {
	var out []string
	for name := range env {
		if !c.reads[name] {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// buildConsumerAt builds the consumer of commit rev of the repository at
// root into dir, as the bundler builds the current one. It reads the
// committed tree (git archive), so the working copy's changes do not leak
// in.
func buildConsumerAt(ctx context.Context, root, rev, dir string) (*builtConsumer, error) {
	var tree, stderr bytes.Buffer
	archive := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", rev, "go.mod", "go.sum", "lambda")
	archive.Stdout, archive.Stderr = &tree, &stderr
	if err := archive.Run(); err != nil {
		return nil, fmt.Errorf("reading the consumer of commit %s from git history (a shallow clone lacks it: git fetch --unshallow): %w: %s",
			rev, err, strings.TrimSpace(stderr.String()))
	}
	src := filepath.Join(dir, "src")
	if err := untar(&tree, src); err != nil {
		return nil, fmt.Errorf("the consumer of commit %s: %w", rev, err)
	}
	reads, err := declaredEnv(filepath.Join(src, "lambda", "envvar", "envvar.go"))
	if err != nil {
		return nil, fmt.Errorf("the consumer of commit %s: %w", rev, err)
	}
	c := &builtConsumer{rev: rev, bin: filepath.Join(dir, buildspec.BinaryName), reads: reads}
	if out, err := buildspec.Command(ctx, src, c.bin).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the consumer of commit %s: %w\n%s", rev, err, out)
	}
	return c, nil
}

// declaredEnv returns the string literals of the Go file at path: for
// package envvar, the environment variable names it declares.
func declaredEnv(path string) (map[string]bool, error) {
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if name, err := strconv.Unquote(lit.Value); err == nil {
				names[name] = true
			}
		}
		return true
	})
	if len(names) == 0 {
		return nil, fmt.Errorf("%s declares no environment variable", path)
	}
	return names, nil
}

// untar writes the directories and regular files of a tar stream under
// dir; git archive writes nothing else that a build needs.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(path, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("archive entry %q leaves %s", h.Name, dir)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			err = writeFile(path, tr, h.FileInfo().Mode().Perm())
		}
		if err != nil {
			return err
		}
	}
}

func writeFile(path string, r io.Reader, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
