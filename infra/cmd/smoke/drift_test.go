package main

import (
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/smoke"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
	"github.com/orderly-dev/orderly/sim/fakeaws/drifttest"
)

// deployedFrom is an account holding dev's stack of kind deployed from
// tmpl, with the outputs smoke reads, and the flags that point the command
// at it and at the cloud assembly holding tmpl.
func deployedFrom(t *testing.T, kind string, tmpl assembly.Template, overrides ...string) (*drifttest.Deployed, []string, []string) {
	fake := checktest.Fake(t)
	cfg := checktest.Config(t, "dev", overrides...)
	out := map[string]string{}
	for _, key := range smoke.RequiredOutputs(cfg, kind) {
		switch key {
		case outputs.EventBusName:
			out[key] = cfg.Bus.Name
		case outputs.LogGroupName:
			out[key] = "/orderly/dev/consumer"
			fake.AddLogGroup(out[key])
		case outputs.OnFailureBucketName:
			out[key] = "on-failure"
			fake.AddBucket(out[key])
		default:
			out[key] = "https://sqs.eu-west-1.amazonaws.com/111122223333/" + key
			fake.AddQueue(out[key])
		}
	}
	name := cfg.StackName(kind)
	d := drifttest.Deploy(fake, name, tmpl, out)
	env := []string{"AWS_REGION=eu-west-1", "AWS_ENDPOINT_URL=" + fake.URL(), "AWS_ACCESS_KEY_ID=AKIDFAKE", "AWS_SECRET_ACCESS_KEY=x", "AWS_MAX_ATTEMPTS=1"}
	args := []string{"-cdk-json=" + checktest.CDKJSON(), "-env", "dev", "-stack", kind, "-timeout", "100ms", "-poll", "50ms",
		"-assembly=" + drifttest.WriteAssembly(t, config.StackID(kind), name, tmpl)}
	for _, o := range overrides {
		args = append(args, "-c", o)
	}
	return d, env, args
}

// What `make smoke` runs, against the loopback fake: each ordering-critical
// setting changed on its own (the AUTO strategy of an on-demand stream
// included) is a problem line naming the resource, the setting and both
// values; unchanged, there is none. (Nothing plays the consumer here, so
// the canary never settles: the smoke package's tests show a drift-free,
// settled run passing.)
func TestSmokeReportsEachDrift(t *testing.T) {
	for _, tc := range []struct {
		kind      string
		tmpl      assembly.Template
		overrides []string
	}{
		{config.KindKinesis, drifttest.OnDemand(drifttest.Golden(t, "dev/KinesisStack.json")), nil},
		{config.KindFifo, drifttest.Golden(t, "fifo-per-key/FifoStack.json"), []string{"fifo.messageGroups=per-key"}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			_, env, args := deployedFrom(t, tc.kind, tc.tmpl, tc.overrides...)
			stdout, stderr, code := checktest.RunCommand(t, env, args...)
			if code != 1 || strings.Contains(stdout, "problem: drift") || !strings.Contains(stdout, "ordering settings compared with the template") {
				t.Fatalf("unchanged: exit %d, want 1 (no consumer) without drift\n%s\n%s", code, stdout, stderr)
			}
			d, _, _ := deployedFrom(t, tc.kind, tc.tmpl, tc.overrides...)
			for _, change := range d.Changes() {
				t.Run(change.Name, func(t *testing.T) {
					d, env, args := deployedFrom(t, tc.kind, tc.tmpl, tc.overrides...)
					change.Apply(d)
					stdout, stderr, code := checktest.RunCommand(t, env, args...)
					if code != 1 || strings.Count(stdout, "problem: drift: ") != 1 {
						t.Fatalf("exit %d: want 1 and one drift problem\n%s\n%s", code, stdout, stderr)
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
