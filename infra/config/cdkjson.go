package config

import (
	"encoding/json"
	"fmt"
	"os"
)

// ReadCDKContext returns the "context" object of a cdk.json file, as the
// CDK CLI passes it to the app; tools that plan or check an environment
// resolve it with Resolve, exactly as the app does.
func ReadCDKContext(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if doc.Context == nil {
		return nil, fmt.Errorf("%s: no \"context\" object", path)
	}
	return doc.Context, nil
}
