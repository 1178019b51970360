package preflight

import (
	"context"
	"strings"

	"github.com/orderly-dev/orderly/infra/deploycheck"
	"github.com/orderly-dev/orderly/infra/deploycheck/drift"
)

// checkDrift compares, on an update, every ordering-critical setting of the
// deployed stack with the synthesized template (infra/deploycheck/drift):
// one failed line per difference, naming the resource, the setting, the
// deployed and the expected value. A console edit the deploy would not see
// (CloudFormation only updates what its template changes) stays otherwise.
func checkDrift(ctx context.Context, r *Report, o Options, update bool) {
	if !update {
		r.add(CheckDrift, OK, "first deploy: nothing deployed to compare with the template")
		return
	}
	dir := o.Assembly
	if dir == "" {
		dir = deploycheck.DefaultAssembly
	}
	s, err := deploycheck.Synthesized(dir, o.Config, o.Kind)
	if err != nil {
		r.add(CheckDrift, Fail, "%v", err)
		return
	}
	res, err := drift.Check(ctx, o.AWS, s.Name, s.Template)
	if err != nil {
		r.add(CheckDrift, Fail, "cannot compare the deployed ordering settings: %v (the identity needs %s)", err, strings.Join(drift.Permissions, ", "))
		return
	}
	for _, d := range res.Differences {
		r.add(CheckDrift, Fail, "%s (a deploy leaves it so: CloudFormation updates only what the template changes; set it back, and find out who changed it)", d)
	}
	if len(res.Differences) > 0 {
		return
	}
	note := ""
	if n := len(res.NotDeployed); n > 0 {
		note = "; " + strings.Join(res.NotDeployed, ", ") + " not deployed yet (this deploy creates them)"
	}
	r.add(CheckDrift, OK, "%d ordering settings of %d deployed resources match %s's template%s", res.Compared, res.Resources, s.ID, note)
}
