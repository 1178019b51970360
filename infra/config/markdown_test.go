package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the key table in docs/configuration.md")

const (
	tableStart = "<!-- config-keys:start -->\n"
	tableEnd   = "<!-- config-keys:end -->"
)

// keyTableDoc is the page whose key table is generated from the registry.
var keyTableDoc = filepath.Join("..", "..", "docs", "configuration.md")

// TestDocsListEveryKey keeps the key table in docs/configuration.md
// generated from the registry, so a key cannot be added, renamed or
// re-defaulted silently.
func TestDocsListEveryKey(t *testing.T) {
	data, err := os.ReadFile(keyTableDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start, end := strings.Index(doc, tableStart), strings.Index(doc, tableEnd)
	if start < 0 || end < start {
		t.Fatalf("%s lacks the %q ... %q markers", keyTableDoc, strings.TrimSpace(tableStart), tableEnd)
	}
	got := doc[start+len(tableStart) : end]
	want := MarkdownTable()
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(keyTableDoc, []byte(doc[:start+len(tableStart)]+want+doc[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the key table in %s is stale: run `go test ./infra/config -update`", keyTableDoc)
}
