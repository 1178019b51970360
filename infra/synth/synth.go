// Package synth runs the pinned CDK CLI to synthesize the app into a
// directory, as `make synth` does, for the tools that read a cloud assembly
// of a chosen environment and context: the planner, the local pipeline and
// the tests.
package synth

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/orderly-dev/orderly/infra/session"
)

// ContextArgs turns a context string as the Makefile passes it
// ("-c kinesis.shardCount=2 -c fifo.messageGroups=2", or bare "key=value"
// words) into cdk arguments.
func ContextArgs(context string) ([]string, error) {
	var out []string
	words := strings.Fields(context)
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-c" || w == "--context":
			if i+1 >= len(words) {
				return nil, fmt.Errorf("context %q: %s without key=value", context, w)
			}
			i++
			w = words[i]
		case strings.HasPrefix(w, "--context="):
			w = strings.TrimPrefix(w, "--context=")
		}
		if !strings.Contains(w, "=") || strings.HasPrefix(w, "=") {
			return nil, fmt.Errorf("context %q: %q is not key=value", context, w)
		}
		out = append(out, "-c", w)
	}
	return out, nil
}

// Run runs the pinned CDK CLI (node_modules/.bin/cdk, with the
// pinned Node first on PATH, as the Makefile does) for env with extra
// context, writing the cloud assembly to out.
func Run(ctx context.Context, root, env string, contextArgs []string, out string) error {
	nodeBin := filepath.Join(root, "node_modules", ".bin")
	cdk := filepath.Join(nodeBin, "cdk")
	if _, err := os.Stat(cdk); err != nil {
		return fmt.Errorf("the pinned CDK CLI is missing (%s): run `make deps` (npm ci)", cdk)
	}
	args := append([]string{"synth", "--quiet", "-c", "env=" + env}, contextArgs...)
	args = append(args, "-o", out)
	cmd := exec.Command(cdk, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PATH="+nodeBin+string(os.PathListSeparator)+filepath.Join(root, ".bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	// In its own session, so that a cancel also ends the app that the CLI
	// runs (go run ./infra) and the bundler's go build.
	proc, err := session.Start(cmd)
	if err != nil {
		return err
	}
	select {
	case <-proc.Done():
	case <-ctx.Done():
		_ = proc.Kill(10 * time.Second)
		return fmt.Errorf("cdk synth: %w", ctx.Err())
	}
	if err := proc.Err(); err != nil {
		return fmt.Errorf("cdk synth -c env=%s %s: %w\n%s", env, strings.Join(contextArgs, " "), err, output.String())
	}
	return nil
}
