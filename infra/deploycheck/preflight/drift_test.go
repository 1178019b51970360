package preflight_test

import (
	"context"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/preflight"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
	"github.com/orderly-dev/orderly/sim/fakeaws/drifttest"
)

// deploy puts the golden template into fake as prod's stack of kind, and
// writes it as the synthesized cloud assembly.
func deploy(t *testing.T, fake *fakeaws.Server, golden, kind string) (*drifttest.Deployed, string) {
	return deployTemplate(t, fake, drifttest.Golden(t, golden), kind)
}

func deployTemplate(t *testing.T, fake *fakeaws.Server, tmpl assembly.Template, kind string) (*drifttest.Deployed, string) {
	t.Helper()
	name := checktest.Config(t, "prod", realURL).StackName(kind)
	d := drifttest.Deploy(fake, name, tmpl, nil)
	return d, drifttest.WriteAssembly(t, config.StackID(kind), name, tmpl)
}

func logicalID(t *testing.T, d *drifttest.Deployed, typ string) string {
	t.Helper()
	for id, r := range d.Template.Resources {
		if r.Type == typ {
			return id
		}
	}
	t.Fatalf("no %s", typ)
	return ""
}

// stackOf returns the fake's stack to change and put back.
func stackOf(t *testing.T, fake *fakeaws.Server, name string) fakeaws.Stack {
	t.Helper()
	st, ok := fake.StackByName(name)
	if !ok {
		t.Fatalf("no stack %s", name)
	}
	return st
}

func runWith(t *testing.T, fake *fakeaws.Server, kind, assemblyDir string, overrides ...string) preflight.Report {
	t.Helper()
	cfg := checktest.Config(t, "prod", append([]string{realURL}, overrides...)...)
	return preflight.Run(context.Background(), preflight.Options{Config: cfg, Kind: kind, AWS: checktest.AWS(fake), Assembly: assemblyDir})
}

func driftLines(r preflight.Report) []preflight.Check {
	var out []preflight.Check
	for _, c := range r.Checks {
		if c.Name == preflight.CheckDrift {
			out = append(out, c)
		}
	}
	return out
}

// On an update, an unchanged stack passes the drift check; each
// ordering-critical setting changed on its own fails it with one line
// naming the resource, the setting, the deployed and the expected value.
func TestDriftOnUpdate(t *testing.T) {
	for _, tc := range []struct {
		name, kind string
		template   func(t *testing.T) assembly.Template
	}{
		{"kinesis", config.KindKinesis, func(t *testing.T) assembly.Template { return drifttest.Golden(t, "prod/KinesisStack.json") }},
		{"kinesis on-demand", config.KindKinesis, func(t *testing.T) assembly.Template {
			return drifttest.OnDemand(drifttest.Golden(t, "prod/KinesisStack.json"))
		}},
		{"fifo per-key", config.KindFifo, func(t *testing.T) assembly.Template { return drifttest.Golden(t, "prod/FifoStack.json") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := healthy(t)
			d, dir := deployTemplate(t, fake, tc.template(t), tc.kind)
			r := runWith(t, fake, tc.kind, dir)
			if lines := driftLines(r); len(lines) != 1 || lines[0].Status != preflight.OK || !strings.Contains(lines[0].Detail, "ordering settings of") {
				t.Fatalf("drift %+v: want one ok line", lines)
			}
			for _, change := range d.Changes() {
				t.Run(change.Name, func(t *testing.T) {
					fake := healthy(t)
					d, dir := deployTemplate(t, fake, tc.template(t), tc.kind)
					change.Apply(d)
					r := runWith(t, fake, tc.kind, dir)
					lines := driftLines(r)
					if r.OK || len(lines) != 1 || lines[0].Status != preflight.Fail {
						t.Fatalf("report ok %v, drift %+v: want one failed drift line", r.OK, lines)
					}
					for _, want := range []string{change.LogicalID, d.Physical[change.LogicalID], change.Setting + " is " + change.Deployed, "the template says"} {
						if !strings.Contains(lines[0].Detail, want) {
							t.Errorf("%q does not say %q", lines[0].Detail, want)
						}
					}
				})
			}
		})
	}
}

// An update without a matching synthesized template fails the drift check
// with what to run; a first deploy needs none.
func TestDriftNeedsTheSynthesizedTemplate(t *testing.T) {
	fake := healthy(t)
	deploy(t, fake, "prod/KinesisStack.json", config.KindKinesis)
	for name, dir := range map[string]string{
		"no assembly":  t.TempDir(),
		"another env":  drifttest.WriteAssembly(t, "KinesisStack", "orderly-dev-kinesis", drifttest.Golden(t, "dev/KinesisStack.json")),
		"another kind": drifttest.WriteAssembly(t, "FifoStack", "orderly-prod-fifo", drifttest.Golden(t, "prod/FifoStack.json")),
	} {
		lines := driftLines(runWith(t, fake, config.KindKinesis, dir))
		if len(lines) != 1 || lines[0].Status != preflight.Fail || !strings.Contains(lines[0].Detail, "make synth ENV=prod") {
			t.Errorf("%s: drift %+v: want one failed line saying how to synthesize", name, lines)
		}
	}
	lines := driftLines(runWith(t, healthy(t), config.KindKinesis, t.TempDir()))
	if len(lines) != 1 || lines[0].Status != preflight.OK || !strings.Contains(lines[0].Detail, "first deploy") {
		t.Errorf("first deploy: drift %+v", lines)
	}
}
