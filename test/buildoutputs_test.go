package test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoBuildOutputIsTracked keeps executables out of git: a binary that
// `go build` leaves in the tree and someone commits bloats every clone and
// goes stale at once. It reads what git tracks and fails on any ELF file.
func TestNoBuildOutputIsTracked(t *testing.T) {
	out, err := exec.Command("git", "-C", "..", "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout (git ls-files: %v); nothing to check", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		f, err := os.Open(filepath.Join("..", name))
		if err != nil {
			continue // deleted in the working tree
		}
		magic := make([]byte, 4)
		n, _ := f.Read(magic)
		f.Close()
		if bytes.Equal(magic[:n], []byte("\x7fELF")) {
			t.Errorf("%s is an ELF executable tracked by git: remove it (git rm --cached) and ignore it in .gitignore", name)
		}
	}
}
