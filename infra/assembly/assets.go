package assembly

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// assetPathFromManifest finds the function's code in <StackId>.assets.json:
// the function's Code.S3Key is "<hash>.zip", and the manifest lists the
// source directory of the file asset with that hash.
func assetPathFromManifest(s Stack, fn Resource) (string, error) {
	code, _ := fn.Properties["Code"].(map[string]any)
	key, _ := code["S3Key"].(string)
	hash := strings.TrimSuffix(key, ".zip")
	if hash == "" || hash == key {
		return "", fmt.Errorf("stack %s: the function has no %q metadata and its Code.S3Key %q is not a zipped asset", s.ID, AssetPathMetadataKey, key)
	}
	path := filepath.Join(s.Dir, s.ID+".assets.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("stack %s: reading asset manifest: %w", s.ID, err)
	}
	var manifest struct {
		Files map[string]struct {
			Source struct {
				Path      string `json:"path"`
				Packaging string `json:"packaging"`
			} `json:"source"`
		} `json:"files"`
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		return "", fmt.Errorf("stack %s: parsing %s: %w", s.ID, path, err)
	}
	f, ok := manifest.Files[hash]
	if !ok {
		return "", fmt.Errorf("stack %s: asset %s of the function is not in %s", s.ID, hash, path)
	}
	return f.Source.Path, nil
}
