package main

import (
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/preflight"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
	"github.com/orderly-dev/orderly/sim/fakeaws/drifttest"
)

// updatable is an account holding dev's stack of kind deployed from tmpl,
// and the cloud assembly holding tmpl.
func updatable(t *testing.T, kind string, tmpl assembly.Template) (*drifttest.Deployed, []string) {
	fake := checktest.Fake(t)
	fake.PutStack(fakeaws.Stack{Name: preflight.ToolkitStackName, Outputs: map[string]string{"BootstrapVersion": "28"}})
	fake.PutSecret(fakeaws.Secret{Name: "orderly/dev/schedule-api-key", Value: "k"})
	fake.SetLambdaAccount(fakeaws.LambdaAccount{ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000})
	fake.SetKinesisLimits(fakeaws.KinesisLimits{ShardLimit: 500, OnDemandStreamCountLimit: 50})
	name := "orderly-dev-" + kind
	d := drifttest.Deploy(fake, name, tmpl, nil)
	dir := drifttest.WriteAssembly(t, config.StackID(kind), name, tmpl)
	env := []string{"AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL=" + fake.URL(), "AWS_ACCESS_KEY_ID=AKIDFAKE", "AWS_SECRET_ACCESS_KEY=x", "AWS_MAX_ATTEMPTS=1"}
	return d, append(env, "-assembly="+dir)
}

// What `make preflight` runs, against the loopback fake: an unchanged
// deployed stack passes; each ordering-critical setting changed on its own
// (the AUTO strategy of an on-demand stream included) fails it with a
// drift line naming the resource, the setting and both values.
func TestPreflightReportsEachDrift(t *testing.T) {
	for _, tc := range []struct {
		kind string
		tmpl assembly.Template
	}{
		{config.KindKinesis, drifttest.OnDemand(drifttest.Golden(t, "dev/KinesisStack.json"))},
		{config.KindFifo, drifttest.Golden(t, "fifo-per-key/FifoStack.json")},
	} {
		run := func(t *testing.T, change *drifttest.Change) (string, int) {
			d, env := updatable(t, tc.kind, tc.tmpl)
			if change != nil {
				change.Apply(d)
			}
			assemblyFlag := env[len(env)-1]
			stdout, stderr, code := checktest.RunCommand(t, env[:len(env)-1], cdkJSON(), "-env", "dev", "-stack", tc.kind, assemblyFlag,
				"-c", "function.apiBaseUrl=https://api.acme.io", "-c", "fifo.messageGroups=per-key")
			if stderr != "" {
				t.Errorf("stderr %q", stderr)
			}
			return stdout, code
		}
		t.Run(tc.kind, func(t *testing.T) {
			stdout, code := run(t, nil)
			if code != 0 || !strings.Contains(stdout, "ok    drift ") {
				t.Fatalf("unchanged: exit %d\n%s", code, stdout)
			}
			d, _ := updatable(t, tc.kind, tc.tmpl)
			for _, change := range d.Changes() {
				t.Run(change.Name, func(t *testing.T) {
					stdout, code := run(t, &change)
					want := "fail  drift                 AWS::"
					if code != 1 || strings.Count(stdout, "fail  ") != 1 || !strings.Contains(stdout, want) {
						t.Fatalf("exit %d: want 1 and one failed drift line\n%s", code, stdout)
					}
					for _, part := range []string{change.LogicalID, change.Setting + " is " + change.Deployed, "the template says"} {
						if !strings.Contains(stdout, part) {
							t.Errorf("output lacks %q:\n%s", part, stdout)
						}
					}
				})
			}
		})
	}
}
