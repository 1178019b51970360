package gobundle

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/orderly-dev/orderly/infra/repo"
)

// copyRepo copies go.mod, go.sum, the consumer tree and a simulator fake
// of this repository into a new directory, so that the test can edit them.
func copyRepo(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	src, err := repo.Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	for _, top := range []string{"go.mod", "go.sum", "lambda", "sim/fakeapi"} {
		err := filepath.WalkDir(filepath.Join(src, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(src, path)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			write(t, filepath.Join(dst, rel), data)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestRepoHashFollowsTheBootstrapClosure edits a copy of this repository:
// only a change to a file that bootstrap compiles may change the hash.
func TestRepoHashFollowsTheBootstrapClosure(t *testing.T) {
	root := copyRepo(t)
	base := hash(t, root)
	edit := func(rel, appended string) (undo func()) {
		t.Helper()
		path := filepath.Join(root, filepath.FromSlash(rel))
		old, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		write(t, path, append(append([]byte(nil), old...), appended...))
		return func() {
			if err == nil {
				write(t, path, old)
			} else if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name, file, text string
		changes          bool
	}{
		{"a simulator fake", "sim/fakeapi/api.go", "\n// edited\n", false},
		{"a test of a compiled package", "lambda/ordering/engine_test.go", "\n// edited\n", false},
		{"a new test file", "lambda/ordering/extra_test.go", "package ordering\n", false},
		{"the engine", "lambda/ordering/engine.go", "\n// edited\n", true},
		{"a new file in an imported package", "lambda/ordering/extra.go", "package ordering\n", true},
		{"the entry point", "lambda/main.go", "\n// edited\n", true},
	} {
		undo := edit(tc.file, tc.text)
		if got := hash(t, root); (got != base) != tc.changes {
			t.Errorf("editing %s (%s): hash changed = %v, want %v", tc.name, tc.file, got != base, tc.changes)
		}
		undo()
	}
	if got := hash(t, root); got != base {
		t.Errorf("undoing every edit did not restore the hash")
	}
}
