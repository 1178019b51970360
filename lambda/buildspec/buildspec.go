// Package buildspec is the single definition of how the consumer binary is
// built for Lambda. The CDK bundler and the artifact test both use it, so
// the test exercises exactly what is deployed. It has no dependencies
// beyond the standard library so that importing it stays cheap.
package buildspec

import (
	"context"
	"os"
	"os/exec"
)

// BinaryName is the executable name the provided.al2023 runtime starts.
const BinaryName = "bootstrap"

// Package is the consumer's main package, relative to the module root.
const Package = "./lambda"

// MaxBinaryBytes is the size budget of the stripped binary (12 MB). Small
// binaries mean faster cold starts (less to download and map).
const MaxBinaryBytes = 12_000_000

// Env and Flags are exactly how the consumer is built for Lambda:
// linux/arm64 (Graviton), static, without the legacy RPC runtime API
// (lambda.norpc, required by provided.al2023), reproducible (trimpath, no
// VCS stamp) and stripped.
var (
	Env   = []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"}
	Flags = []string{"-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w"}
)

// Args returns the go command arguments that build the consumer into out.
func Args(out string) []string {
	args := append([]string{"build"}, Flags...)
	return append(args, "-o", out, Package)
}

// Command returns `go build` for the consumer, run in moduleRoot, writing
// the binary to out. The environment is the caller's plus Env, so the Go
// cache and proxy settings keep working.
func Command(ctx context.Context, moduleRoot, out string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", Args(out)...)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), Env...)
	return cmd
}
