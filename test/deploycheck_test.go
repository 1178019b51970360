package test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/preflight"
	"github.com/orderly-dev/orderly/infra/deploycheck/smoke"
	"github.com/orderly-dev/orderly/infra/stacks"
)

// The deploy tools do not synthesize: preflight counts rules with
// config.RulesAdded, smoke reads outputs by name, and both assume the
// templates' bootstrap requirement. Pin each to the synthesized templates.
func TestDeployToolsAgreeWithTemplates(t *testing.T) {
	kinds := map[string]string{stacks.KinesisStackID: config.KindKinesis, stacks.FifoStackID: config.KindFifo}
	for _, sc := range allSyntheses(t) {
		s := synth(t, sc.env, sc.overrides)
		for id, kind := range kinds {
			if sc.fifoOnly && kind != config.KindFifo {
				continue
			}
			t.Run(sc.name+"/"+id, func(t *testing.T) {
				if got, want := len(s.resources(id, "AWS::Events::Rule")), s.cfg.RulesAdded(kind); got != want {
					t.Errorf("template has %d rules, config.RulesAdded says %d", got, want)
				}
				declared, _ := s.templates[id]["Outputs"].(map[string]any)
				for _, key := range smoke.RequiredOutputs(s.cfg, kind) {
					if _, ok := declared[key]; !ok {
						t.Errorf("smoke reads output %s, which the template does not declare", key)
					}
				}
				rules, _ := s.templates[id]["Rules"].(map[string]any)
				check := fmt.Sprint(rules["CheckBootstrapVersion"])
				if want := fmt.Sprintf("CDK bootstrap stack version %d required", preflight.MinBootstrapVersion); !strings.Contains(check, want) {
					t.Errorf("CheckBootstrapVersion %s does not say %q", check, want)
				}
			})
		}
	}
}
