package test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAppRejectsBadConfigurationWritingNothing runs the real CDK app the way
// the CLI does (context in CDK_CONTEXT_JSON, output in CDK_OUTDIR) and checks
// that bad input exits non-zero with one clear message and no output.
func TestAppRejectsBadConfigurationWritingNothing(t *testing.T) {
	app := filepath.Join(t.TempDir(), "orderly-app")
	build := exec.Command("go", "build", "-o", app, "./infra")
	build.Dir = moduleRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the app: %v\n%s", err, out)
	}
	nodeOnly := filepath.Join(moduleRoot, "node_modules", ".bin")
	cases := []struct {
		name      string
		overrides map[string]any
		path      string
		want      string
	}{
		{"batch size", map[string]any{"env": "prod", "kinesis.batchSize": "0"}, "",
			`kinesis.batchSize = "0" (from context override): must be an integer from 1 to 10000`},
		{"unknown key", map[string]any{"kinesis.shardCont": "4"}, "",
			`unknown context key "kinesis.shardCont" (did you mean "kinesis.shardCount"?)`},
		{"unknown environment", map[string]any{"env": "qa"}, "",
			`unknown environment "qa": choose one of dev, prod, staging`},
		{"no go toolchain", nil, nodeOnly,
			"bundling the Go consumer needs the Go toolchain, but `go` is not on PATH"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Each case is its own app process (its own jsii runtime),
			// so they may run at once; nothing here calls jsii in-process.
			t.Parallel()
			ctx := cdkContext(t)
			for k, v := range tc.overrides {
				ctx[k] = v
			}
			ctxJSON, err := json.Marshal(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			cmd := exec.Command(app)
			cmd.Dir = moduleRoot
			path := tc.path
			if path == "" {
				path = os.Getenv("PATH")
			}
			cmd.Env = append(os.Environ(), "CDK_CONTEXT_JSON="+string(ctxJSON), "CDK_OUTDIR="+out, "PATH="+path)
			stderr, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("app exited 0; output:\n%s", stderr)
			}
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if !strings.Contains(string(stderr), tc.want) {
				t.Errorf("output does not name the problem %q:\n%s", tc.want, stderr)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("app wrote %d entries to the output directory", len(entries))
			}
		})
	}
}
