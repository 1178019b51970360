package config

import (
	"fmt"
	"strings"
)

// MarkdownTable renders the key registry as the reference table in
// docs/configuration.md (pinned by TestDocsListEveryKey).
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Key | Default | Allowed | Meaning |\n|---|---|---|---|\n")
	for _, k := range Keys {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", k.Name, k.Default, k.Allowed, k.Doc)
	}
	return b.String()
}
