package assembly

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestFunctionSettings(t *testing.T) {
	settings, err := golden(t, "prod/KinesisStack.json").Settings()
	if err != nil {
		t.Fatal(err)
	}
	got := settings.Function
	if got.TimeoutSeconds != 60 || got.MemoryMiB != 512 || got.Runtime != "provided.al2023" || got.Handler != "bootstrap" {
		t.Errorf("timeout %d memory %d runtime %q handler %q, want 60, 512, provided.al2023, bootstrap",
			got.TimeoutSeconds, got.MemoryMiB, got.Runtime, got.Handler)
	}
	if !reflect.DeepEqual(got.Architectures, []string{"arm64"}) {
		t.Errorf("architectures %v, want [arm64]", got.Architectures)
	}
	if got.Environment["SCHEDULE_API_BASE_URL"] != "https://schedule.example.com" {
		t.Errorf("SCHEDULE_API_BASE_URL = %q", got.Environment["SCHEDULE_API_BASE_URL"])
	}
	// The poison and isolated queue URLs are Refs: only a deployment knows
	// them.
	if want := []string{"ISOLATED_QUEUE_URL", "POISON_QUEUE_URL"}; !reflect.DeepEqual(got.Unresolved, want) {
		t.Errorf("unresolved %v, want %v", got.Unresolved, want)
	}
	if _, ok := got.Environment["POISON_QUEUE_URL"]; ok {
		t.Error("an unresolved reference must not appear as a literal value")
	}
}

// fakeAssembly writes a minimal cloud assembly with one stack whose
// function has the given metadata and S3 key, and an asset directory.
func fakeAssembly(t *testing.T, metadata map[string]any, s3Key string) (dir, assetDir string) {
	t.Helper()
	dir = t.TempDir()
	hash := "0123abcd"
	assetDir = filepath.Join(dir, "asset."+hash)
	if err := os.Mkdir(assetDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, v any) {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("manifest.json", map[string]any{"artifacts": map[string]any{
		"S": map[string]any{"type": "aws:cloudformation:stack", "properties": map[string]any{"templateFile": "S.template.json", "stackName": "s"}},
	}})
	write("S.template.json", map[string]any{"Resources": map[string]any{
		"Fn": map[string]any{"Type": "AWS::Lambda::Function", "Metadata": metadata,
			"Properties": map[string]any{"Code": map[string]any{"S3Key": s3Key}}},
	}})
	write("S.assets.json", map[string]any{"files": map[string]any{
		hash: map[string]any{"source": map[string]any{"path": "asset." + hash, "packaging": "zip"}},
	}})
	return dir, assetDir
}

func TestAssetDir(t *testing.T) {
	cases := []struct {
		name     string
		metadata map[string]any
		s3Key    string
		wantErr  string
	}{
		{name: "from metadata", metadata: map[string]any{AssetPathMetadataKey: "asset.0123abcd"}, s3Key: "ffff.zip"},
		{name: "from asset manifest", s3Key: "0123abcd.zip"},
		{name: "metadata names a missing directory", metadata: map[string]any{AssetPathMetadataKey: "asset.gone"}, wantErr: "asset.gone"},
		{name: "unknown hash", s3Key: "99.zip", wantErr: "asset 99"},
		{name: "code is not an asset", s3Key: "", wantErr: "not a zipped asset"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, assetDir := fakeAssembly(t, tc.metadata, tc.s3Key)
			stacks, err := Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, err := AssetDir(stacks[0])
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != assetDir {
				t.Errorf("AssetDir = %s, want %s", got, assetDir)
			}
		})
	}
}

func TestAssetDirIsAbsoluteForARelativeAssembly(t *testing.T) {
	dir, assetDir := fakeAssembly(t, nil, "0123abcd.zip")
	t.Chdir(filepath.Dir(dir))
	stacks, err := Read(filepath.Base(dir))
	if err != nil {
		t.Fatal(err)
	}
	got, err := AssetDir(stacks[0])
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(got) || got != assetDir {
		t.Errorf("AssetDir = %s, want the absolute %s", got, assetDir)
	}
}
