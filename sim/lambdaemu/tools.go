package lambdaemu

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Tools are the executables that run the bootstrap locally.
type Tools struct {
	// RIE is the aws-lambda-rie executable.
	RIE string
	// QEMU is qemu-aarch64, or "" when the host runs arm64 natively.
	QEMU string
}

// RequireAllEnv, set to 1, turns a missing tool from a skipped test into a
// failed one (CI sets it, so nothing is silently not tested).
const RequireAllEnv = "ORDERLY_REQUIRE_ALL"

// FindTools looks for aws-lambda-rie in <moduleRoot>/.bin (where `make
// tools` installs the pinned version), then on PATH; and, on hosts that are
// not arm64, for qemu-aarch64 on PATH. The error names what is missing and
// how to install it.
func FindTools(moduleRoot string) (Tools, error) {
	var t Tools
	var missing []error
	local := filepath.Join(moduleRoot, ".bin", "aws-lambda-rie")
	if isExecutable(local) {
		t.RIE = local
	} else if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		t.RIE = p
	} else {
		missing = append(missing, fmt.Errorf("aws-lambda-rie is not in %s or on PATH: run `make tools`", filepath.Dir(local)))
	}
	if runtime.GOARCH != "arm64" {
		if p, err := exec.LookPath("qemu-aarch64"); err == nil {
			t.QEMU = p
		} else {
			missing = append(missing, errors.New("qemu-aarch64 is not on PATH: the bootstrap is linux/arm64 and this host is not; install Debian's qemu-user (`make tools`)"))
		}
	}
	if len(missing) > 0 {
		return Tools{}, fmt.Errorf("tools to run the bootstrap locally: %w", errors.Join(missing...))
	}
	return t, nil
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}

// NeedsEmulator skips t under -short, which `make test-fast` (the edit
// loop) uses: t runs the real bootstrap under the emulator, and `make test`
// always does.
func NeedsEmulator(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the bootstrap under the Lambda emulator: `make test` runs it, `make test-fast` does not")
	}
}

// Precondition skips t when err (a missing tool) is not nil, naming the
// precondition; with ORDERLY_REQUIRE_ALL=1 it fails t instead.
func Precondition(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv(RequireAllEnv) == "1" {
		t.Fatalf("precondition not met (%s=1): %v", RequireAllEnv, err)
	}
	t.Skipf("precondition not met: %v", err)
}
