package pipeline

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/lambda/buildspec"
)

// Stack names accepted by Options.Stack.
const (
	StackKinesis = "kinesis"
	StackFifo    = "fifo"
)

var stackIDs = map[string]string{StackKinesis: "KinesisStack", StackFifo: "FifoStack"}

// Settings are what a local run takes from the cloud assembly.
type Settings struct {
	Stack   string
	StackID string
	Env     string
	// Bootstrap is the bundled executable inside the assembly's asset
	// directory: the exact file that would be deployed.
	Bootstrap string
	// Settings are the template's: Kinesis is set for KinesisStack, Fifo
	// for FifoStack.
	assembly.Settings
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
	if s.Settings, err = st.Template.Settings(); err != nil {
		return s, fmt.Errorf("%s: %w", id, err)
	}
	if (stack == StackKinesis) != (s.Kinesis != nil) {
		return s, fmt.Errorf("%s: the template is not a %s stack", id, stack)
	}
	assetDir, err := assembly.AssetDir(st)
	if err != nil {
		return s, err
	}
	s.Bootstrap = filepath.Join(assetDir, buildspec.BinaryName)
	if info, err := os.Stat(s.Bootstrap); err != nil || info.Mode()&0o111 == 0 {
		return s, fmt.Errorf("%s: no executable %s in the function asset %s: synthesize again", id, buildspec.BinaryName, assetDir)
	}
	return s, nil
}
