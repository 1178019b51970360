package smoke_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/smoke"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
	"github.com/orderly-dev/orderly/sim/fakeaws/drifttest"
)

func driftProblems(r smoke.Report) []string {
	var out []string
	for _, p := range r.Problems {
		if strings.HasPrefix(p, "drift: ") {
			out = append(out, p)
		}
	}
	return out
}

// A healthy stack compares its ordering settings and passes; each one
// changed on its own fails the run with one problem naming it, while the
// canary itself still settles.
func TestDriftFailsTheSmokeCheck(t *testing.T) {
	for _, kind := range config.StackKinds {
		t.Run(kind, func(t *testing.T) {
			fake := deployed(t, kind)
			fake.OnPutEvents((&consumer{fake: fake}).put)
			r, err := runSmoke(t, fake, kind, &strings.Builder{})
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK || r.OrderingSettings < 10 {
				t.Fatalf("report %+v: want a pass with the ordering settings compared", r)
			}
			cfg := checktest.Config(t, "dev")
			d := drifttest.Deploy(checktest.Fake(t), cfg.StackName(kind), drifttest.Golden(t, "dev/"+config.StackID(kind)+".json"), nil)
			for _, change := range d.Changes() {
				t.Run(change.Name, func(t *testing.T) {
					fake := deployed(t, kind)
					fake.OnPutEvents((&consumer{fake: fake}).put)
					d := drifttest.Deploy(fake, cfg.StackName(kind), d.Template, stackOutputs(t, fake, cfg.StackName(kind)))
					change.Apply(d)
					r, err := runSmoke(t, fake, kind, &strings.Builder{})
					if err != nil {
						t.Fatal(err)
					}
					drift := driftProblems(r)
					if r.OK || len(drift) != 1 || len(r.Problems) != 1 || r.Settled != r.Events {
						t.Fatalf("report %+v: want one drift problem, the canary settled", r)
					}
					for _, want := range []string{change.LogicalID, change.Setting + " is " + change.Deployed, "the template says"} {
						if !strings.Contains(drift[0], want) {
							t.Errorf("%q does not say %q", drift[0], want)
						}
					}
				})
			}
		})
	}
}

func stackOutputs(t *testing.T, fake *fakeaws.Server, name string) map[string]string {
	st, ok := fake.StackByName(name)
	if !ok {
		t.Fatalf("no stack %s", name)
	}
	return st.Outputs
}

// Without the synthesized template there is nothing to compare with: bad
// input, and nothing is sent.
func TestDriftNeedsTheTemplate(t *testing.T) {
	fake := deployed(t, config.KindKinesis)
	_, err := smoke.Run(context.Background(), smoke.Options{
		Config: checktest.Config(t, "dev"), Kind: config.KindKinesis, AWS: checktest.AWS(fake),
		Timeout: 100 * time.Millisecond, Poll: 10 * time.Millisecond, RunID: "run1", Assembly: t.TempDir(),
	})
	if !errors.Is(err, smoke.ErrBadInput) || !strings.Contains(err.Error(), "make synth ENV=dev") {
		t.Fatalf("error %v: want bad input saying how to synthesize", err)
	}
	for _, r := range fake.Requests() {
		if r.Operation == "PutEvents" {
			t.Fatal("canary events were sent without a template to compare with")
		}
	}
}
