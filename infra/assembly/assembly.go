// Package assembly reads the settings that decide ordering and throughput
// back out of a synthesized cloud assembly (cdk.out), once per stack, into
// typed Settings. The synth summary, the planner and the local pipeline use
// it so that they report, plan and run what CloudFormation would deploy,
// not a second copy of the configuration. A property the template must
// hold and does not is an error naming it; one CloudFormation defaults
// reads as that default, by name (props.go).
package assembly

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/orderly-dev/orderly/infra/config"
)

// Stack is one synthesized stack.
type Stack struct {
	// ID is the construct id (the artifact id), e.g. "KinesisStack".
	ID string
	// Name is the CloudFormation stack name.
	Name string
	// Env is the orderly environment recorded in the template metadata.
	Env      string
	Template Template
	// Dir is the cloud assembly directory the stack was read from; asset
	// paths in the template are relative to it.
	Dir string
}

// Template is the subset of a CloudFormation template that is read here.
type Template struct {
	Metadata  map[string]any      `json:"Metadata"`
	Resources map[string]Resource `json:"Resources"`
}

// Resource is one template resource.
type Resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	// Metadata carries CDK's annotations, among them the asset path of a
	// bundled function ("aws:asset:path").
	Metadata map[string]any `json:"Metadata"`
}

// Read loads every stack of the cloud assembly in dir, in id order. Paths
// derived from it are absolute: the Lambda emulator starts the bootstrap from
// a working directory of its own.
func Read(dir string) ([]Stack, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("reading cloud assembly: %w", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("reading cloud assembly: %w (run `make synth` first)", err)
	}
	var manifest struct {
		Artifacts map[string]struct {
			Type       string `json:"type"`
			Properties struct {
				TemplateFile string `json:"templateFile"`
				StackName    string `json:"stackName"`
			} `json:"properties"`
			DisplayName string `json:"displayName"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return nil, fmt.Errorf("parsing %s/manifest.json: %w", dir, err)
	}
	var stacks []Stack
	for id, a := range manifest.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, a.Properties.TemplateFile))
		if err != nil {
			return nil, fmt.Errorf("reading template of %s: %w", id, err)
		}
		s := Stack{ID: id, Name: a.Properties.StackName, Dir: dir}
		if err := json.Unmarshal(raw, &s.Template); err != nil {
			return nil, fmt.Errorf("parsing template of %s: %w", id, err)
		}
		s.Env, _ = s.Template.Metadata[config.EnvMetadataKey].(string)
		if s.Name == "" {
			s.Name = id
		}
		stacks = append(stacks, s)
	}
	slices.SortFunc(stacks, func(a, b Stack) int { return strings.Compare(a.ID, b.ID) })
	return stacks, nil
}

// Find returns the stack with the given construct id.
func Find(stacks []Stack, id string) (Stack, error) {
	for _, s := range stacks {
		if s.ID == id {
			return s, nil
		}
	}
	return Stack{}, fmt.Errorf("stack %s is not in the cloud assembly", id)
}

// OfType returns the resources of one type, in logical-id order.
func (t Template) OfType(typ string) []Resource {
	ids := t.idsOfType(typ)
	out := make([]Resource, len(ids))
	for i, id := range ids {
		out[i] = t.Resources[id]
	}
	return out
}

// idsOfType returns the logical ids of the resources of one type, sorted.
func (t Template) idsOfType(typ string) []string {
	ids := make([]string, 0, len(t.Resources))
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// one returns the properties of the single resource of a type, or an
// error naming the count.
func (t Template) one(typ string) (props, error) {
	ids := t.idsOfType(typ)
	if len(ids) != 1 {
		return props{}, fmt.Errorf("want exactly one %s, found %d", typ, len(ids))
	}
	return t.props(ids[0]), nil
}
