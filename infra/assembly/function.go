package assembly

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// FunctionSettings are the deployed settings of the consumer function that
// a local run needs to reproduce its runtime environment.
type FunctionSettings struct {
	TimeoutSeconds int
	MemoryMiB      int
	Runtime        string
	Handler        string
	Architectures  []string
	// Environment holds the variables whose values are literals in the
	// template. Values that CloudFormation resolves at deploy time (a queue
	// URL from Ref, for example) are listed in Unresolved instead, because
	// a local run has to supply its own.
	Environment map[string]string
	Unresolved  []string
}

// AssetPathMetadataKey is the resource metadata key under which the CDK
// records the directory (relative to the cloud assembly) of a bundled asset.
const AssetPathMetadataKey = "aws:asset:path"

// Function extracts FunctionSettings from the stack's single consumer
// function.
func (t Template) Function() (FunctionSettings, error) {
	fn, err := t.one("AWS::Lambda::Function")
	if err != nil {
		return FunctionSettings{}, err
	}
	p := fn.Properties
	s := FunctionSettings{Environment: map[string]string{}}
	s.TimeoutSeconds, _ = num(p, "Timeout")
	if s.TimeoutSeconds == 0 {
		// CloudFormation's default when the property is absent.
		s.TimeoutSeconds = 3
	}
	s.MemoryMiB, _ = num(p, "MemorySize")
	if s.MemoryMiB == 0 {
		s.MemoryMiB = 128
	}
	s.Runtime, _ = p["Runtime"].(string)
	s.Handler, _ = p["Handler"].(string)
	for _, a := range anyList(p["Architectures"]) {
		if str, ok := a.(string); ok {
			s.Architectures = append(s.Architectures, str)
		}
	}
	env, _ := p["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	for name, v := range vars {
		if str, ok := v.(string); ok {
			s.Environment[name] = str
		} else {
			s.Unresolved = append(s.Unresolved, name)
		}
	}
	slices.Sort(s.Unresolved)
	return s, nil
}

// AssetDir returns the directory, inside the cloud assembly, that holds the
// bundled code of the stack's consumer function: the files that would be
// zipped and deployed (for orderly, the linux/arm64 bootstrap). It is read
// from the function's "aws:asset:path" metadata, which the CDK writes when
// asset metadata is enabled (the CLI's default); otherwise it falls back to
// the stack's asset manifest, matching the S3 key of the function's code.
func AssetDir(s Stack) (string, error) {
	fn, err := s.Template.one("AWS::Lambda::Function")
	if err != nil {
		return "", fmt.Errorf("stack %s: %w", s.ID, err)
	}
	rel, _ := fn.Metadata[AssetPathMetadataKey].(string)
	if rel == "" {
		rel, err = assetPathFromManifest(s, fn)
		if err != nil {
			return "", err
		}
	}
	if filepath.IsAbs(rel) {
		// Older CLIs wrote absolute staging paths; keep them as they are.
		return checkDir(s.ID, rel)
	}
	return checkDir(s.ID, filepath.Join(s.Dir, rel))
}

func checkDir(stackID, dir string) (string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("stack %s: function asset directory: %w (synthesize again: the cloud assembly is incomplete)", stackID, err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("stack %s: function asset %s is a file, want a bundled directory", stackID, dir)
	}
	return dir, nil
}
