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

// function reads FunctionSettings of the stack's single consumer function.
func (t Template) function() (FunctionSettings, error) {
	s := FunctionSettings{Environment: map[string]string{}}
	fn, err := t.one("AWS::Lambda::Function")
	if err != nil {
		return s, err
	}
	if s.TimeoutSeconds, err = fn.intOr("Timeout", DefaultFunctionTimeoutSeconds); err != nil {
		return s, err
	}
	if s.MemoryMiB, err = fn.intOr("MemorySize", DefaultFunctionMemoryMiB); err != nil {
		return s, err
	}
	if s.Runtime, err = fn.string("Runtime"); err != nil {
		return s, err
	}
	if s.Handler, err = fn.string("Handler"); err != nil {
		return s, err
	}
	if s.Architectures, err = fn.strings("Architectures", DefaultFunctionArchitecture); err != nil {
		return s, err
	}
	env, ok, err := fn.object("Environment")
	if err != nil || !ok {
		return s, err
	}
	vars, _, err := env.object("Variables")
	if err != nil {
		return s, err
	}
	for name, v := range vars.m {
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
	ids := s.Template.idsOfType("AWS::Lambda::Function")
	if len(ids) != 1 {
		return "", fmt.Errorf("stack %s: want exactly one AWS::Lambda::Function, found %d", s.ID, len(ids))
	}
	fn := s.Template.Resources[ids[0]]
	rel, _ := fn.Metadata[AssetPathMetadataKey].(string)
	if rel == "" {
		var err error
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
