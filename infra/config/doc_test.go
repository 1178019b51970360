package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's key table")

const (
	tableStart = "<!-- config-keys:start -->\n"
	tableEnd   = "<!-- config-keys:end -->"
)

// TestREADMEDocumentsEveryKey keeps the README's table generated from the
// registry, so a key cannot be added, renamed or re-defaulted silently.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start, end := strings.Index(readme, tableStart), strings.Index(readme, tableEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md lacks the %q ... %q markers", strings.TrimSpace(tableStart), tableEnd)
	}
	got := readme[start+len(tableStart) : end]
	want := MarkdownTable()
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme[:start+len(tableStart)]+want+readme[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's key table is stale: run `go test ./infra/config -update`")
}
