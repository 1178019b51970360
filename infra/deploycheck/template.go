package deploycheck

import (
	"fmt"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/config"
)

// DefaultAssembly is where `make synth` (and so `make preflight` and
// `make smoke`, which run it first) writes the cloud assembly.
const DefaultAssembly = "cdk.out"

// Synthesized reads the template of the stack of kind from the cloud
// assembly in dir: what the deploy tools compare the deployed stack with.
// It refuses an assembly synthesized for another environment or stack
// name, whose settings would be someone else's.
func Synthesized(dir string, c config.Config, kind string) (assembly.Stack, error) {
	synth := fmt.Sprintf("synthesize it first with `make synth ENV=%s` and the same CONTEXT (make preflight and make smoke do), or pass -assembly", c.Env)
	stacks, err := assembly.Read(dir)
	if err != nil {
		return assembly.Stack{}, fmt.Errorf("no synthesized template to compare with: %v; %s", err, synth)
	}
	s, err := assembly.Find(stacks, config.StackID(kind))
	if err != nil {
		return assembly.Stack{}, fmt.Errorf("%v; %s", err, synth)
	}
	if s.Env != c.Env || s.Name != c.StackName(kind) {
		return assembly.Stack{}, fmt.Errorf("%s in %s was synthesized as stack %s of env %q, not %s of env %q; %s",
			s.ID, dir, s.Name, s.Env, c.StackName(kind), c.Env, synth)
	}
	return s, nil
}
