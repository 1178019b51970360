package buildspec_test

import (
	"context"
	"slices"
	"testing"

	"github.com/orderly-dev/orderly/lambda/buildspec"
)

func TestCommandBuildsTheLambdaArtifact(t *testing.T) {
	cmd := buildspec.Command(context.Background(), "/src/orderly", "/tmp/out/bootstrap")
	want := []string{"go", "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o", "/tmp/out/bootstrap", "./lambda"}
	if got := append([]string{"go"}, cmd.Args[1:]...); !slices.Equal(got, want) {
		t.Fatalf("args %q, want %q", got, want)
	}
	if cmd.Dir != "/src/orderly" {
		t.Fatalf("dir %q", cmd.Dir)
	}
	// The target must win over anything inherited: later entries override.
	tail := cmd.Env[len(cmd.Env)-3:]
	for _, kv := range []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"} {
		if !slices.Contains(tail, kv) {
			t.Errorf("environment ends with %q, want %s among the last entries", tail, kv)
		}
	}
}
