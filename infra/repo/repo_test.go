package repo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRootWalksUp(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	below := filepath.Join(root, "lambda", "x")
	if err := os.MkdirAll(below, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Root(below)
	if err != nil || got != root {
		t.Fatalf("Root = %q, %v; want %q", got, err, root)
	}
	if _, err := Root(t.TempDir()); err == nil {
		t.Error("want an error outside any module")
	}
}

func TestWorkingRootIsThisRepository(t *testing.T) {
	root, err := WorkingRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cdk.json")); err != nil {
		t.Fatalf("WorkingRoot = %s, which holds no cdk.json: %v", root, err)
	}
}
