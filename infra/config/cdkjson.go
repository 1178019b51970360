package config

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// LoadContext reads the "context" object of a cdk.json file and applies
// overrides ("key=value", as `-c key=value` gives them to the CLI), so that
// tools outside the CDK app resolve exactly the configuration `cdk deploy`
// would. Values given as overrides stay strings; Resolve parses them.
func LoadContext(path string, overrides []string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CDK context: %w", err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %w", path, err)
	}
	if doc.Context == nil {
		return nil, fmt.Errorf("%s: no \"context\" object", path)
	}
	for _, o := range overrides {
		key, value, ok := strings.Cut(o, "=")
		if !ok || strings.TrimSpace(key) == "" {
			return nil, fmt.Errorf("context override %q: want key=value", o)
		}
		doc.Context[strings.TrimSpace(key)] = value
	}
	return doc.Context, nil
}
