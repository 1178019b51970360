package gobundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/orderly-dev/orderly/lambda/buildspec"
)

// errNoGo is what bundling says when the toolchain is missing: hashing
// asks `go list` which files the binary compiles, and building needs it.
var errNoGo = errors.New("bundling the Go consumer needs the Go toolchain, but `go` is not on PATH: install the Go version named in go.mod")

func goBinary() (string, error) {
	path, err := exec.LookPath("go")
	if err != nil {
		return "", errNoGo
	}
	return path, nil
}

// listedPackage is the part of `go list -json` the hash reads.
type listedPackage struct {
	ImportPath string
	Dir        string
	Module     *struct {
		Main    bool
		Replace *struct{ Version string }
	}
	// Every kind of file the go command may compile, assemble, link or
	// embed into the binary for the listed target.
	GoFiles, CgoFiles, CFiles, CXXFiles, MFiles, HFiles, FFiles, SFiles []string
	SwigFiles, SwigCXXFiles, SysoFiles, EmbedFiles                      []string
}

// listFields is the -json field selection matching listedPackage.
const listFields = "ImportPath,Dir,Module,GoFiles,CgoFiles,CFiles,CXXFiles,MFiles,HFiles,FFiles,SFiles,SwigFiles,SwigCXXFiles,SysoFiles,EmbedFiles"

// local reports whether the package's files are this module's (or a
// module replaced by a local directory), which go.sum does not pin.
func (p listedPackage) local() bool {
	if p.Module == nil {
		return false // the standard library: pinned by the toolchain
	}
	return p.Module.Main || (p.Module.Replace != nil && p.Module.Replace.Version == "")
}

func (p listedPackage) files() []string {
	var out []string
	for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.MFiles, p.HFiles, p.FFiles, p.SFiles,
		p.SwigFiles, p.SwigCXXFiles, p.SysoFiles, p.EmbedFiles} {
		for _, f := range list {
			out = append(out, filepath.Join(p.Dir, f))
		}
	}
	return out
}

// compiledFiles asks the go command, with the build's target environment
// and flags, which local files the main package pkg compiles: the files of
// its dependency closure within this module. It returns them relative to
// root, slash-separated and sorted.
func compiledFiles(root, pkg string) ([]string, error) {
	goBin, err := goBinary()
	if err != nil {
		return nil, err
	}
	args := append([]string{"list", "-deps", "-json=" + listFields}, buildspec.Flags...)
	cmd := exec.Command(goBin, append(args, pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), buildspec.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the consumer's sources: %s %s: %w\n%s", strings.Join(buildspec.Env, " "), cmd.String(), err, stderr.Bytes())
	}
	var files []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("listing the consumer's sources: reading go list output: %w", err)
		}
		if !p.local() {
			continue
		}
		for _, f := range p.files() {
			rel, err := filepath.Rel(root, f)
			if err != nil {
				return nil, fmt.Errorf("listing the consumer's sources: package %s: %w", p.ImportPath, err)
			}
			files = append(files, filepath.ToSlash(rel))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("listing the consumer's sources: go list found no files of this module in %s", pkg)
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

// sourceHash is the asset hash: the build's target environment and flags,
// then go.mod, go.sum and every file the binary compiles from this module,
// each as its slash-separated path relative to root, its length and its
// bytes. Files elsewhere in the module (tests, the simulator, infra) do
// not count; dependencies count through go.sum.
func sourceHash(root, pkg string) (string, error) {
	compiled, err := compiledFiles(root, pkg)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "env=%q flags=%q\n", buildspec.Env, buildspec.Flags)
	for _, rel := range append([]string{"go.mod", "go.sum"}, compiled...) {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return "", fmt.Errorf("hashing consumer sources: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", rel, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
