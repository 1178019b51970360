package gobundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// module writes a minimal module with a consumer package into a new dir.
func module(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	base := map[string]string{
		"go.mod":            "module example.com/m\n\ngo 1.26\n",
		"go.sum":            "",
		"lambda/main.go":    "package main\n\nimport _ \"example.com/m/lambda/x\"\n\nfunc main() {}\n",
		"lambda/x/x.go":     "package x\n\nimport _ \"embed\"\n\n//go:embed data.txt\nvar Data string\n",
		"lambda/x/data.txt": "v1\n",
		"README.md":         "not hashed\n",
		"lambda/x/doc.md":   "not hashed\n",
	}
	for name, content := range files {
		base[name] = content
	}
	for name, content := range base {
		write(t, filepath.Join(root, name), []byte(content))
	}
	return root
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func hash(t *testing.T, root string) string {
	t.Helper()
	b, err := New(Props{ModuleRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	return b.Hash()
}

func TestHashCoversExactlyWhatTheConsumerCompiles(t *testing.T) {
	base := hash(t, module(t, nil))
	if again := hash(t, module(t, nil)); again != base {
		t.Errorf("identical sources in another directory hash differently: %s vs %s", again, base)
	}
	same := map[string]map[string]string{
		"test file":                   {"lambda/x/x_test.go": "package x\n"},
		"testdata":                    {"lambda/x/testdata/case.go": "package ignored\n"},
		"non-Go file":                 {"lambda/x/doc.md": "changed\n"},
		"outside tree":                {"infra/main.go": "package main\n"},
		"readme change":               {"README.md": "changed\n"},
		"simulator fake":              {"sim/fake/fake.go": "package fake\n"},
		"package not imported":        {"lambda/unused/unused.go": "package unused\n"},
		"file for another OS":         {"lambda/x/x_windows.go": "package x\n"},
		"file for another arch":       {"lambda/x/x_amd64.go": "package x\n"},
		"file the build tags exclude": {"lambda/x/rpc.go": "//go:build !lambda.norpc\n\npackage x\n"},
	}
	for name, files := range same {
		if got := hash(t, module(t, files)); got != base {
			t.Errorf("%s changed the hash", name)
		}
	}
	different := map[string]map[string]string{
		"source":               {"lambda/x/x.go": "package x\n\nimport _ \"embed\"\n\n//go:embed data.txt\nvar Data string\n\nconst C = 1\n"},
		"new file":             {"lambda/x/y.go": "package x\n"},
		"file for the target":  {"lambda/x/x_arm64.go": "package x\n"},
		"file the tags select": {"lambda/x/norpc.go": "//go:build lambda.norpc\n\npackage x\n"},
		"embedded file":        {"lambda/x/data.txt": "v2\n"},
		"go.sum":               {"go.sum": "example.com/dep v1.0.0 h1:x\n"},
		"go.mod":               {"go.mod": "module example.com/m\n\ngo 1.26.0\n"},
	}
	for name, files := range different {
		if got := hash(t, module(t, files)); got == base {
			t.Errorf("a %s change kept the hash", name)
		}
	}
}

func TestHashFailsOnSourcesThatDoNotLoad(t *testing.T) {
	root := module(t, map[string]string{"lambda/main.go": "package main\n\nimport _ \"example.com/m/lambda/missing\"\n"})
	_, err := New(Props{ModuleRoot: root})
	if err == nil || !strings.Contains(err.Error(), "listing the consumer's sources") || !strings.Contains(err.Error(), "lambda/missing") {
		t.Fatalf("err = %v, want the go list failure naming the missing package", err)
	}
}

func TestWithoutGoSaysWhatToInstall(t *testing.T) {
	root := module(t, nil)
	t.Setenv("PATH", t.TempDir())
	_, err := New(Props{ModuleRoot: root})
	want := "bundling the Go consumer needs the Go toolchain, but `go` is not on PATH: install the Go version named in go.mod"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if _, err := (&Bundle{root: root, pkg: "./lambda"}).Build(); err == nil || err.Error() != want {
		t.Fatalf("Build: err = %v, want %q", err, want)
	}
}
