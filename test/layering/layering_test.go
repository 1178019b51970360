// Package layering checks the import rules the layout rests on: the layers
// read downward, sim → infra → lambda, so that a change to a fake never
// changes what is deployed or what the deploy tools do.
package layering

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/orderly-dev/orderly/"

func TestLayersImportDownwardOnly(t *testing.T) {
	cases := []struct {
		packages  string
		forbidden []string
	}{
		// The CDK app and the deploy-time tools: nothing from the simulator.
		{"./infra/...", []string{module + "sim/"}},
		// What ships in bootstrap: neither the app nor the simulator.
		{"./lambda/...", []string{module + "sim/", module + "infra/"}},
	}
	for _, tc := range cases {
		t.Run(tc.packages, func(t *testing.T) {
			// -deps without -test: the packages as built, not their tests,
			// which may use the fakes.
			cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", tc.packages)
			cmd.Dir = "../.."
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 5 {
				t.Fatalf("go list listed %d packages for %s: %v", len(deps), tc.packages, deps)
			}
			for _, dep := range deps {
				for _, f := range tc.forbidden {
					if strings.HasPrefix(dep, f) {
						t.Errorf("%s depends on %s", tc.packages, dep)
					}
				}
			}
		})
	}
}
