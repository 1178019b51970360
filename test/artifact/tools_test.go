package artifact_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// requireAll turns missing tools into failures (set by `make test`).
var requireAll = os.Getenv("ORDERLY_REQUIRE_ALL") == "1"

func missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if requireAll {
		tb.Fatalf("ORDERLY_REQUIRE_ALL=1 and "+format, args...)
	}
	tb.Skipf(format, args...)
}

// moduleRoot walks up from the test's directory to go.mod.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// findTool looks in PATH, then in .bin/ at the module root (where
// `make tools` installs it).
func findTool(tb testing.TB, name string) (string, error) {
	tb.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := filepath.Join(moduleRoot(tb), ".bin", name)
	if info, err := os.Stat(p); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
		return p, nil
	}
	return "", errors.New(name + " not found in PATH or .bin/")
}

// runner returns the command prefix that runs a linux/arm64 binary here:
// nothing on linux/arm64, qemu-aarch64 elsewhere.
func runner(tb testing.TB) []string {
	tb.Helper()
	if runtime.GOOS == "linux" && runtime.GOARCH == "arm64" {
		return nil
	}
	if runtime.GOOS != "linux" {
		missing(tb, "the artifact test needs Linux to run a linux/arm64 binary (this is %s/%s)", runtime.GOOS, runtime.GOARCH)
	}
	qemu, err := findTool(tb, "qemu-aarch64")
	if err != nil {
		missing(tb, "qemu-aarch64 (apt package qemu-user; `make tools`) is needed to run the arm64 bootstrap on %s: %v", runtime.GOARCH, err)
	}
	return []string{qemu}
}
