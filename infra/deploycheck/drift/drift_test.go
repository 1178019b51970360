package drift_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/deploycheck/drift"
	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
	"github.com/orderly-dev/orderly/sim/fakeaws/drifttest"
)

// templates are the synthesized templates the drift check is tried on:
// both stacks, every FIFO grouping mode, a provisioned and an on-demand
// stream.
func templates(t *testing.T) map[string]assembly.Template {
	kinesis := drifttest.Golden(t, "dev/KinesisStack.json")
	return map[string]assembly.Template{
		"kinesis provisioned": kinesis,
		"kinesis on-demand":   drifttest.OnDemand(kinesis),
		"fifo 1 group":        drifttest.Golden(t, "fifo-groups-1/FifoStack.json"),
		"fifo 3 groups":       drifttest.Golden(t, "fifo-groups-3/FifoStack.json"),
		"fifo per-key":        drifttest.Golden(t, "fifo-per-key/FifoStack.json"),
	}
}

const stack = "orderly-dev-x"

func check(t *testing.T, d *drifttest.Deployed) drift.Result {
	t.Helper()
	r, err := drift.Check(context.Background(), checktest.AWS(d.Fake), stack, d.Template)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Deployed as synthesized, nothing differs, and every ordering resource
// was read.
func TestNothingChanged(t *testing.T) {
	for name, tmpl := range templates(t) {
		t.Run(name, func(t *testing.T) {
			d := drifttest.Deploy(checktest.Fake(t), stack, tmpl, nil)
			r := check(t, d)
			if len(r.Differences) != 0 || len(r.NotDeployed) != 0 || r.Compared < 10 || r.Resources < 3 {
				t.Errorf("result %+v: want no differences, every resource read", r)
			}
		})
	}
}

// Each ordering-critical setting changed on its own is reported, once,
// naming the resource, the setting, the deployed and the expected value.
func TestEachChangedSettingIsReported(t *testing.T) {
	seen := map[string]bool{}
	for name, tmpl := range templates(t) {
		for _, change := range drifttest.Deploy(checktest.Fake(t), stack, tmpl, nil).Changes() {
			t.Run(name+"/"+change.Name, func(t *testing.T) {
				d := drifttest.Deploy(checktest.Fake(t), stack, tmpl, nil)
				change.Apply(d)
				r := check(t, d)
				if len(r.Differences) != 1 {
					t.Fatalf("%d differences, want 1: %v", len(r.Differences), r.Differences)
				}
				diff := r.Differences[0]
				if diff.LogicalID != change.LogicalID || diff.Setting != change.Setting || diff.Deployed != change.Deployed {
					t.Errorf("difference %+v: want %s %s deployed as %s", diff, change.LogicalID, change.Setting, change.Deployed)
				}
				text := diff.String()
				for _, want := range []string{change.LogicalID, d.Physical[change.LogicalID], change.Setting, change.Deployed, diff.Expected} {
					if !strings.Contains(text, want) {
						t.Errorf("%q does not name %q", text, want)
					}
				}
				if diff.Expected == diff.Deployed || diff.Expected == "" {
					t.Errorf("expected %q", diff.Expected)
				}
				seen[change.Setting] = true
			})
		}
	}
	// The settings the issue lists, each exercised at least once.
	for _, setting := range []string{"StreamMode", "RecordDistributionStrategy", "the target's PartitionKeyPath", "the target's MessageGroupId",
		"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit", "VisibilityTimeout",
		"RedrivePolicy.maxReceiveCount", "RedrivePolicy.deadLetterTargetArn", "State", "BatchSize", "ParallelizationFactor",
		"FunctionResponseTypes has ReportBatchItemFailures", "environment variable ORDERLY_PERIOD_PATH"} {
		if !seen[setting] {
			t.Errorf("no case changes %s", setting)
		}
	}
}

// A resource the deployed stack does not hold yet is created by the
// deploy: nothing to compare, not a difference.
func TestResourceNotDeployedYet(t *testing.T) {
	tmpl := drifttest.Golden(t, "fifo-per-key/FifoStack.json")
	d := drifttest.Deploy(checktest.Fake(t), stack, tmpl, nil)
	st := fakeaws.Stack{Name: stack}
	for _, id := range []string{"KeyedPipeF44C9CA7"} {
		if _, ok := d.Physical[id]; !ok {
			t.Fatalf("no %s in the template", id)
		}
	}
	for id, phys := range d.Physical {
		if id != "KeyedPipeF44C9CA7" {
			st.Resources = append(st.Resources, fakeaws.StackResource{LogicalID: id, PhysicalID: phys, Type: tmpl.Resources[id].Type})
		}
	}
	d.Fake.PutStack(st)
	r := check(t, d)
	if len(r.Differences) != 0 || len(r.NotDeployed) != 1 || r.NotDeployed[0] != "KeyedPipeF44C9CA7" {
		t.Errorf("result %+v: want the pipe not deployed yet, no differences", r)
	}
}

// A resource that cannot be read is an error naming it, not a pass.
func TestUnreadableResourceIsAnError(t *testing.T) {
	tmpl := drifttest.Golden(t, "dev/KinesisStack.json")
	d := drifttest.Deploy(checktest.Fake(t), stack, tmpl, nil)
	for id, r := range tmpl.Resources {
		if r.Type == "AWS::Lambda::Function" {
			d.Fake.PutFunction(fakeaws.Function{Name: "someone-else"})
			d.Physical[id] = "gone"
		}
	}
	st := fakeaws.Stack{Name: stack}
	for id, phys := range d.Physical {
		st.Resources = append(st.Resources, fakeaws.StackResource{LogicalID: id, PhysicalID: phys, Type: tmpl.Resources[id].Type})
	}
	d.Fake.PutStack(st)
	_, err := drift.Check(context.Background(), checktest.AWS(d.Fake), stack, tmpl)
	if err == nil || !strings.Contains(err.Error(), "AWS::Lambda::Function") || !strings.Contains(err.Error(), "gone") {
		t.Errorf("error %v: want one naming the function", err)
	}
	if _, err := drift.Check(context.Background(), checktest.AWS(d.Fake), "no-such-stack", tmpl); err == nil || !strings.Contains(err.Error(), "no-such-stack") {
		t.Errorf("a missing stack: %v", err)
	}
}

// The permissions the check needs are read-only, and docs/operations.md
// lists each one.
func TestPermissionsAreReadOnlyAndDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range drift.Permissions {
		service, action, _ := strings.Cut(p, ":")
		if !strings.HasPrefix(action, "Get") && !strings.HasPrefix(action, "Describe") && !strings.HasPrefix(action, "List") {
			t.Errorf("%s is not a read", p)
		}
		if !strings.Contains(string(doc), "`"+p+"`") && !strings.Contains(string(doc), "`"+action+"`") || !strings.Contains(string(doc), "`"+service+":") {
			t.Errorf("docs/operations.md does not list %s", p)
		}
	}
}

// The blast-radius variables are ORDERLY_* ones: isolation turned off in
// the console, or the outage hold changed, is a difference like any other.
func TestIsolationAndOutageHoldVariablesAreCompared(t *testing.T) {
	tmpl := drifttest.Golden(t, "fifo-groups-1/FifoStack.json")
	edits := []struct {
		name, setting, deployed string
		edit                    func(env map[string]string)
	}{
		{"isolation off", "environment variable " + envvar.IsolateAfterSeconds, "unset", func(env map[string]string) { delete(env, envvar.IsolateAfterSeconds) }},
		{"isolation later", "environment variable " + envvar.IsolateAfterSeconds, `"3600"`, func(env map[string]string) { env[envvar.IsolateAfterSeconds] = "3600" }},
		{"hold off", "environment variable " + envvar.OutageHoldSeconds, `"0"`, func(env map[string]string) { env[envvar.OutageHoldSeconds] = "0" }},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			d := drifttest.Deploy(checktest.Fake(t), stack, tmpl, nil)
			var id string
			for rid, r := range tmpl.Resources {
				if r.Type == "AWS::Lambda::Function" {
					id = rid
				}
			}
			fn := d.Fake.FunctionByName(d.Physical[id])
			if _, ok := fn.Environment[envvar.OutageHoldSeconds]; !ok {
				t.Fatalf("the golden FifoStack's consumer has no %s", envvar.OutageHoldSeconds)
			}
			e.edit(fn.Environment)
			d.Fake.PutFunction(fn)
			r := check(t, d)
			if len(r.Differences) != 1 || r.Differences[0].Setting != e.setting || r.Differences[0].Deployed != e.deployed {
				t.Errorf("differences %v: want %s deployed as %s", r.Differences, e.setting, e.deployed)
			}
		})
	}
}
