package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/lambda/buildspec"
	"github.com/orderly-dev/orderly/sim/lambdaemu/session"
)

// Stack names accepted by Options.Stack.
const (
	StackKinesis = "kinesis"
	StackFifo    = "fifo"
)

var stackIDs = map[string]string{StackKinesis: "KinesisStack", StackFifo: "FifoStack"}

// Settings are what a local run takes from the cloud assembly.
type Settings struct {
	Stack    string
	StackID  string
	Env      string
	Function assembly.FunctionSettings
	// Bootstrap is the bundled executable inside the assembly's asset
	// directory: the exact file that would be deployed.
	Bootstrap string
	Rules     []assembly.Rule

	Kinesis assembly.KinesisSettings // KinesisStack only
	Fifo    assembly.FifoSettings    // FifoStack only
	// Delivery is how events reach the FIFO queue (FifoStack only).
	Delivery assembly.FifoDelivery
}

// LoadSettings reads stack ("kinesis" or "fifo") from the cloud assembly in
// dir.
func LoadSettings(dir, stack string) (Settings, error) {
	id, ok := stackIDs[stack]
	if !ok {
		return Settings{}, fmt.Errorf("stack %q: want %q or %q", stack, StackKinesis, StackFifo)
	}
	stacks, err := assembly.Read(dir)
	if err != nil {
		return Settings{}, err
	}
	st, err := assembly.Find(stacks, id)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{Stack: stack, StackID: id, Env: st.Env}
	if s.Function, err = st.Template.Function(); err != nil {
		return s, fmt.Errorf("%s: %w", id, err)
	}
	assetDir, err := assembly.AssetDir(st)
	if err != nil {
		return s, err
	}
	s.Bootstrap = filepath.Join(assetDir, buildspec.BinaryName)
	if info, err := os.Stat(s.Bootstrap); err != nil || info.Mode()&0o111 == 0 {
		return s, fmt.Errorf("%s: no executable %s in the function asset %s: synthesize again", id, buildspec.BinaryName, assetDir)
	}
	if s.Rules, err = st.Template.Rules(); err != nil {
		return s, fmt.Errorf("%s: %w", id, err)
	}
	switch stack {
	case StackKinesis:
		if s.Kinesis, err = st.Template.Kinesis(); err != nil {
			return s, fmt.Errorf("%s: %w", id, err)
		}
	case StackFifo:
		if s.Fifo, err = st.Template.Fifo(); err != nil {
			return s, fmt.Errorf("%s: %w", id, err)
		}
		if s.Delivery, err = st.Template.FifoDelivery(); err != nil {
			return s, fmt.Errorf("%s: %w", id, err)
		}
	}
	return s, nil
}

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

// Synthesize runs the pinned CDK CLI (node_modules/.bin/cdk, with the
// pinned Node first on PATH, as the Makefile does) for env with extra
// context, writing the cloud assembly to out.
func Synthesize(ctx context.Context, root, env string, contextArgs []string, out string) error {
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
