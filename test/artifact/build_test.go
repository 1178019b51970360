package artifact_test

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/lambda/buildspec"
)

var built struct {
	once sync.Once
	path string
	err  error
}

// bootstrap builds the consumer once per test binary, exactly as bundled.
func bootstrap(tb testing.TB) string {
	tb.Helper()
	built.once.Do(func() {
		root, err := repo.WorkingRoot()
		if err != nil {
			built.err = err
			return
		}
		dir, err := os.MkdirTemp("", "orderly-artifact-")
		if err != nil {
			built.err = err
			return
		}
		built.path, built.err = build(root, filepath.Join(dir, buildspec.BinaryName))
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.path
}

func build(root, out string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := buildspec.Command(ctx, root, out)
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v (%s): %w\n%s", cmd.Args, buildspec.Env, err, output)
	}
	return out, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.path != "" {
		os.RemoveAll(filepath.Dir(built.path))
	}
	os.Exit(code)
}

func TestBootstrapIsStaticLinuxArm64WithinBudget(t *testing.T) {
	path := bootstrap(t)
	bin, err := elf.Open(path)
	if err != nil {
		t.Fatalf("bootstrap is not an ELF binary: %v", err)
	}
	defer bin.Close()
	if bin.Machine != elf.EM_AARCH64 || bin.Class != elf.ELFCLASS64 || bin.OSABI != elf.ELFOSABI_NONE {
		t.Errorf("bootstrap is %v %v %v, want a 64-bit linux AArch64 binary", bin.Class, bin.OSABI, bin.Machine)
	}
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("bootstrap has a dynamic loader (PT_INTERP): it must be static (CGO_ENABLED=0)")
		}
	}
	if syms, _ := bin.Symbols(); len(syms) > 0 {
		t.Errorf("bootstrap has %d symbols: it must be stripped (-ldflags \"-s -w\")", len(syms))
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > buildspec.MaxBinaryBytes {
		t.Fatalf("bootstrap is %d bytes, budget %d", info.Size(), buildspec.MaxBinaryBytes)
	}
	t.Logf("bootstrap: %d bytes (%.2f MB)", info.Size(), float64(info.Size())/1e6)
}

// BenchmarkBootstrapSize builds the bootstrap as bundled and reports its
// size; run it with -benchtime 1x (each iteration is a full go build).
func BenchmarkBootstrapSize(b *testing.B) {
	root, err := repo.WorkingRoot()
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), buildspec.BinaryName)
	var size int64
	for b.Loop() {
		if _, err := build(root, out); err != nil {
			b.Fatal(err)
		}
		info, err := os.Stat(out)
		if err != nil {
			b.Fatal(err)
		}
		size = info.Size()
	}
	b.ReportMetric(float64(size), "bytes")
	b.ReportMetric(float64(size)/1e6, "MB")
}
