// Package gobundle builds the Go consumer for Lambda on the synthesizing
// machine. The GoFunction alpha module cannot be installed here and there is
// no Docker, so local bundling is the only bundling: it must always succeed
// or fail with a message that says what to install.
package gobundle

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/lambda/buildspec"
)

// Props configures a Bundle.
type Props struct {
	// ModuleRoot is the directory holding go.mod. Required.
	ModuleRoot string
	// Package is the main package to build, relative to ModuleRoot.
	// Default buildspec.Package ("./lambda").
	Package string
}

// Bundle builds one Go main package into a Lambda asset. It implements
// awscdk.ILocalBundling; the binary is built once per process however many
// stacks use it.
type Bundle struct {
	root, pkg string
	hash      string

	once     sync.Once
	buildDir string
	buildErr error
}

// New validates props and hashes the sources (see sourceHash): go.mod,
// go.sum, the build's target and flags, and exactly the files of this
// module that the binary compiles, as `go list -deps` reports them for the
// build's target, read as bytes with slash-separated relative paths, so
// identical sources give the identical asset hash on any machine. It needs
// the Go toolchain, as the build does.
func New(props Props) (*Bundle, error) {
	if props.ModuleRoot == "" {
		return nil, errors.New("gobundle: ModuleRoot is required")
	}
	if props.Package == "" {
		props.Package = buildspec.Package
	}
	b := &Bundle{root: props.ModuleRoot, pkg: props.Package}
	hash, err := sourceHash(props.ModuleRoot, props.Package)
	if err != nil {
		return nil, err
	}
	b.hash = hash
	return b, nil
}

// Hash is the deterministic asset hash.
func (b *Bundle) Hash() string { return b.hash }

// Code is the Lambda code asset for the bundled binary.
func (b *Bundle) Code() awslambda.Code {
	return awslambda.Code_FromAsset(jsii.String(filepath.Join(b.root, b.pkg)), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_CUSTOM,
		AssetHash:     jsii.String(b.hash),
		Bundling: &awscdk.BundlingOptions{
			// Never used: TryBundle always answers. CDK requires an image.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("local-bundling-only")),
			Local: b,
		},
	})
}

// Build compiles the binary once and returns its directory. Call it before
// creating constructs so that a missing toolchain or a compile error stops
// the app before anything is written.
func (b *Bundle) Build() (string, error) {
	b.once.Do(func() { b.buildDir, b.buildErr = b.build() })
	return b.buildDir, b.buildErr
}

// Cleanup removes the build directory once the app has synthesized.
func (b *Bundle) Cleanup() {
	if b.buildDir != "" {
		os.RemoveAll(b.buildDir)
	}
}

// TryBundle implements awscdk.ILocalBundling.
func (b *Bundle) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	dir, err := b.Build()
	if err == nil {
		err = copyFile(filepath.Join(dir, buildspec.BinaryName), filepath.Join(*outputDir, buildspec.BinaryName))
	}
	if err != nil {
		// Returning false would make CDK fall back to Docker, which hides
		// the real cause behind "docker: not found".
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	return jsii.Bool(true)
}

func (b *Bundle) build() (string, error) {
	goBin, err := goBinary()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "orderly-bundle-")
	if err != nil {
		return "", fmt.Errorf("bundling the Go consumer: %w", err)
	}
	args := append([]string{"build"}, buildspec.Flags...)
	args = append(args, "-o", filepath.Join(dir, buildspec.BinaryName), b.pkg)
	cmd := exec.Command(goBin, args...)
	cmd.Dir = b.root
	cmd.Env = append(os.Environ(), buildspec.Env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bundling the Go consumer: %s %s: %w\n%s", strings.Join(buildspec.Env, " "), cmd.String(), err, out)
	}
	return dir, nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("copying bundled consumer: %w", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return fmt.Errorf("copying bundled consumer: %w", err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("copying bundled consumer: %w", err)
	}
	return dst.Close()
}
