// Package drifttest builds what the drift tests share: a fake account
// holding a stack deployed exactly as a synthesized template states it
// (every resource the drift check reads, with its ordering settings), and
// one change per ordering-critical setting, made the way a console edit
// would make it. It reads the template's properties itself rather than
// through infra/assembly, so that a mistake in the reader the drift check
// uses is not mirrored here.
package drifttest

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/sim/fakeaws"
)

// Golden loads a template the test/ package pins, e.g. "dev/KinesisStack.json".
func Golden(t testing.TB, name string) assembly.Template {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "..", "test", "testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl assembly.Template
	if err := json.Unmarshal(data, &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// OnDemand returns tmpl with its stream made on-demand, as the app
// synthesizes one for kinesis.streamMode=on-demand (test/drop_alarms_test.go
// pins that): StreamModeDetails ON_DEMAND, RecordDistributionStrategy
// USER_PARTITION_KEY, no ShardCount. No golden template is on-demand.
func OnDemand(tmpl assembly.Template) assembly.Template {
	out := assembly.Template{Metadata: tmpl.Metadata, Resources: maps.Clone(tmpl.Resources)}
	for id, r := range out.Resources {
		if r.Type != "AWS::Kinesis::Stream" {
			continue
		}
		props := maps.Clone(r.Properties)
		delete(props, "ShardCount")
		props["StreamModeDetails"] = map[string]any{"StreamMode": "ON_DEMAND"}
		props["RecordDistributionStrategy"] = "USER_PARTITION_KEY"
		r.Properties = props
		out.Resources[id] = r
	}
	return out
}

// Region and Account of every fake resource.
const (
	Region  = "eu-west-1"
	Account = "111122223333"
)

// Deployed is a stack in the fake.
type Deployed struct {
	Fake      *fakeaws.Server
	StackName string
	Template  assembly.Template
	// Physical maps each logical id to the resource's physical id.
	Physical map[string]string
}

// Deploy creates stackName in fake from tmpl with outputs: every resource
// as a stack resource, and the ones the drift check reads (stream, bus and
// rules, queues, event source mapping, pipe, function) with the settings
// the template states, CloudFormation's defaults where it states none.
func Deploy(fake *fakeaws.Server, stackName string, tmpl assembly.Template, outputs map[string]string) *Deployed {
	d := &Deployed{Fake: fake, StackName: stackName, Template: tmpl, Physical: map[string]string{}}
	ids := slices.Sorted(maps.Keys(tmpl.Resources))
	// Physical ids first: references between resources resolve to them.
	for _, id := range ids {
		r := tmpl.Resources[id]
		switch r.Type {
		case "AWS::Events::EventBus":
			d.Physical[id] = str(r.Properties["Name"])
		case "AWS::SQS::Queue":
			name := stackName + "-" + id
			if r.Properties["FifoQueue"] == true {
				name += ".fifo"
			}
			d.Physical[id] = "https://sqs." + Region + ".amazonaws.com/" + Account + "/" + name
		case "AWS::Lambda::EventSourceMapping":
			d.Physical[id] = "uuid-" + strings.ToLower(id)
		default:
			d.Physical[id] = stackName + "-" + id
		}
	}
	for _, id := range ids {
		if r := tmpl.Resources[id]; r.Type == "AWS::Events::Rule" {
			bus := d.ref(r.Properties["EventBusName"])
			if bus != "" && bus != "default" {
				d.Physical[id] = bus + "|" + d.Physical[id]
			}
		}
	}
	var resources []fakeaws.StackResource
	for _, id := range ids {
		r := tmpl.Resources[id]
		resources = append(resources, fakeaws.StackResource{LogicalID: id, PhysicalID: d.Physical[id], Type: r.Type})
		d.create(id, r)
	}
	fake.PutStack(fakeaws.Stack{Name: stackName, Outputs: outputs, Resources: resources})
	return d
}

// ref resolves a literal, a Ref or an Fn::GetAtt to a physical value.
func (d *Deployed) ref(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if id, ok := x["Ref"].(string); ok {
			return d.Physical[id]
		}
		if args, ok := x["Fn::GetAtt"].([]any); ok && len(args) == 2 {
			id := str(args[0])
			if args[1] == "Arn" && d.Template.Resources[id].Type == "AWS::SQS::Queue" {
				return QueueArn(d.Physical[id])
			}
			return d.Physical[id]
		}
	}
	return ""
}

// QueueArn is the ARN of the fake queue at url.
func QueueArn(url string) string {
	return "arn:aws:sqs:" + Region + ":" + Account + ":" + url[strings.LastIndex(url, "/")+1:]
}

func str(v any) string { s, _ := v.(string); return s }

func object(v any) map[string]any { m, _ := v.(map[string]any); return m }

func number(v any, def int) int {
	if f, ok := v.(float64); ok {
		return int(f)
	}
	return def
}

func (d *Deployed) create(id string, r assembly.Resource) {
	p, fake := r.Properties, d.Fake
	switch r.Type {
	case "AWS::Kinesis::Stream":
		mode := str(object(p["StreamModeDetails"])["StreamMode"])
		if mode == "" {
			mode = "PROVISIONED"
		}
		strategy := str(p["RecordDistributionStrategy"])
		if mode == "ON_DEMAND" && strategy == "" {
			strategy = "USER_PARTITION_KEY"
		}
		fake.PutStream(d.Physical[id], number(p["ShardCount"], 4))
		fake.SetStreamMode(d.Physical[id], fakeaws.StreamMode{Mode: mode, RecordDistributionStrategy: strategy})
	case "AWS::Events::EventBus":
		fake.AddBus(d.Physical[id])
	case "AWS::Events::Rule":
		bus, rule, custom := strings.Cut(d.Physical[id], "|")
		if !custom {
			bus, rule = "default", d.Physical[id]
		}
		fake.AddBus(bus, rule)
		var targets []fakeaws.RuleTarget
		for _, tv := range p["Targets"].([]any) {
			tg := object(tv)
			targets = append(targets, fakeaws.RuleTarget{ID: str(tg["Id"]), Arn: d.ref(tg["Arn"]),
				PartitionKeyPath: str(object(tg["KinesisParameters"])["PartitionKeyPath"]),
				MessageGroupID:   str(object(tg["SqsParameters"])["MessageGroupId"])})
		}
		fake.PutRuleTargets(bus, rule, targets...)
	case "AWS::SQS::Queue":
		url := d.Physical[id]
		fake.AddQueue(url)
		attrs := map[string]string{"QueueArn": QueueArn(url), "VisibilityTimeout": strconv.Itoa(number(p["VisibilityTimeout"], 30))}
		if p["FifoQueue"] == true {
			attrs["FifoQueue"] = "true"
			attrs["ContentBasedDeduplication"] = strconv.FormatBool(p["ContentBasedDeduplication"] == true)
			attrs["DeduplicationScope"], attrs["FifoThroughputLimit"] = "queue", "perQueue"
			if s := str(p["DeduplicationScope"]); s != "" {
				attrs["DeduplicationScope"] = s
			}
			if s := str(p["FifoThroughputLimit"]); s != "" {
				attrs["FifoThroughputLimit"] = s
			}
		}
		if redrive := object(p["RedrivePolicy"]); redrive != nil {
			// SQS returns maxReceiveCount as a number.
			attrs["RedrivePolicy"] = fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, d.ref(redrive["deadLetterTargetArn"]), number(redrive["maxReceiveCount"], 0))
		}
		fake.SetQueueAttributes(url, attrs)
	case "AWS::Lambda::EventSourceMapping":
		m := fakeaws.EventSourceMapping{UUID: d.Physical[id], State: "Enabled"}
		if p["Enabled"] == false {
			m.State = "Disabled"
		}
		kinesis := d.Template.Resources[str(object(p["EventSourceArn"])["Fn::GetAtt"].([]any)[0])].Type == "AWS::Kinesis::Stream"
		m.BatchSize = number(p["BatchSize"], 10)
		if kinesis {
			m.BatchSize = number(p["BatchSize"], 100)
			m.ParallelizationFactor = number(p["ParallelizationFactor"], 1)
		}
		for _, t := range p["FunctionResponseTypes"].([]any) {
			m.FunctionResponseTypes = append(m.FunctionResponseTypes, str(t))
		}
		fake.PutEventSourceMapping(m)
	case "AWS::Lambda::Function":
		env := map[string]string{}
		for name, v := range object(object(p["Environment"])["Variables"]) {
			env[name] = d.ref(v)
		}
		fake.PutFunction(fakeaws.Function{Name: d.Physical[id], Environment: env})
	case "AWS::Pipes::Pipe":
		sqs := object(object(p["TargetParameters"])["SqsQueueParameters"])
		fake.PutPipe(fakeaws.Pipe{Name: d.Physical[id], MessageGroupID: str(sqs["MessageGroupId"]), MessageDeduplicationID: str(sqs["MessageDeduplicationId"])})
	}
}

// Change is one console edit of one ordering-critical setting.
type Change struct {
	// Name says what was changed.
	Name string
	// LogicalID and Setting are the resource and the setting the drift
	// check must name (its Difference).
	LogicalID, Setting string
	// Deployed is the value the check must report as deployed.
	Deployed string
	Apply    func(d *Deployed)
}

// Changes are one change per ordering-critical setting of the deployed
// template: of its stream, its first rule, each FIFO queue events travel
// through, its event source mapping, its pipe and its consumer.
func (d *Deployed) Changes() []Change {
	var out []Change
	ids := slices.Sorted(maps.Keys(d.Template.Resources))
	firstRule := true
	for _, id := range ids {
		r := d.Template.Resources[id]
		phys := d.Physical[id]
		switch r.Type {
		case "AWS::Kinesis::Stream":
			if str(object(r.Properties["StreamModeDetails"])["StreamMode"]) == "ON_DEMAND" {
				out = append(out,
					Change{"on-demand stream switched to the AUTO distribution strategy", id, "RecordDistributionStrategy", "AUTO", func(d *Deployed) {
						d.Fake.SetStreamMode(phys, fakeaws.StreamMode{Mode: "ON_DEMAND", RecordDistributionStrategy: "AUTO"})
					}},
					Change{"on-demand stream switched to provisioned", id, "StreamMode", "PROVISIONED", func(d *Deployed) {
						d.Fake.SetStreamMode(phys, fakeaws.StreamMode{Mode: "PROVISIONED"})
					}})
			} else {
				out = append(out, Change{"provisioned stream switched to on-demand", id, "StreamMode", "ON_DEMAND", func(d *Deployed) {
					d.Fake.SetStreamMode(phys, fakeaws.StreamMode{Mode: "ON_DEMAND", RecordDistributionStrategy: "USER_PARTITION_KEY"})
				}})
			}
		case "AWS::Events::Rule":
			if !firstRule {
				continue
			}
			firstRule = false
			bus, rule, custom := strings.Cut(phys, "|")
			if !custom {
				bus, rule = "default", phys
			}
			target := object(r.Properties["Targets"].([]any)[0])
			base := fakeaws.RuleTarget{ID: str(target["Id"]), Arn: d.ref(target["Arn"])}
			if kp := object(target["KinesisParameters"]); kp != nil {
				out = append(out, Change{"rule target keyed on another path", id, "the target's PartitionKeyPath", `"$.detail.entityId"`, func(d *Deployed) {
					t := base
					t.PartitionKeyPath = "$.detail.entityId"
					d.Fake.PutRuleTargets(bus, rule, t)
				}})
			}
			if sp := object(target["SqsParameters"]); sp != nil {
				out = append(out, Change{"rule target sent to another message group", id, "the target's MessageGroupId", `"g-other"`, func(d *Deployed) {
					t := base
					t.MessageGroupID = "g-other"
					d.Fake.PutRuleTargets(bus, rule, t)
				}})
			}
			out = append(out, Change{"a second target added to the rule", id, "the number of targets", "2", func(d *Deployed) {
				t := base
				t.PartitionKeyPath, t.MessageGroupID = str(object(target["KinesisParameters"])["PartitionKeyPath"]), str(object(target["SqsParameters"])["MessageGroupId"])
				d.Fake.PutRuleTargets(bus, rule, t, fakeaws.RuleTarget{ID: "Console", Arn: "arn:aws:sqs:eu-west-1:111122223333:somewhere"})
			}})
		case "AWS::SQS::Queue":
			if r.Properties["FifoQueue"] != true || strings.Contains(id, "DeadLetter") {
				continue
			}
			set := func(k, v string) func(d *Deployed) {
				return func(d *Deployed) { d.Fake.SetQueueAttributes(phys, map[string]string{k: v}) }
			}
			scope, limit := "queue", "perQueue"
			if r.Properties["DeduplicationScope"] == "queue" || r.Properties["DeduplicationScope"] == nil {
				scope = "messageGroup"
			}
			if r.Properties["FifoThroughputLimit"] == "perQueue" || r.Properties["FifoThroughputLimit"] == nil {
				limit = "perMessageGroupId"
			}
			dlq := d.ref(object(r.Properties["RedrivePolicy"])["deadLetterTargetArn"])
			receives := number(object(r.Properties["RedrivePolicy"])["maxReceiveCount"], 0)
			out = append(out,
				Change{"queue " + id + " no longer FIFO", id, "FifoQueue", "false", set("FifoQueue", "false")},
				Change{"queue " + id + " without content-based deduplication", id, "ContentBasedDeduplication", "false", set("ContentBasedDeduplication", "false")},
				Change{"queue " + id + " deduplicating over another scope", id, "DeduplicationScope", strconv.Quote(scope), set("DeduplicationScope", scope)},
				Change{"queue " + id + " with another throughput limit", id, "FifoThroughputLimit", strconv.Quote(limit), set("FifoThroughputLimit", limit)},
				Change{"queue " + id + " with another visibility timeout", id, "VisibilityTimeout", "31", set("VisibilityTimeout", "31")},
				Change{"queue " + id + " dead-letters after 100 receives", id, "RedrivePolicy.maxReceiveCount", "100",
					set("RedrivePolicy", fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"100"}`, dlq))},
				Change{"queue " + id + " without a redrive policy", id, "RedrivePolicy", "unset", set("RedrivePolicy", "")},
				Change{"queue " + id + " dead-letters elsewhere", id, "RedrivePolicy.deadLetterTargetArn", `"arn:aws:sqs:eu-west-1:111122223333:elsewhere.fifo"`,
					set("RedrivePolicy", fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:111122223333:elsewhere.fifo","maxReceiveCount":%d}`, receives))},
			)
		case "AWS::Lambda::EventSourceMapping":
			edit := func(f func(*fakeaws.EventSourceMapping)) func(d *Deployed) {
				return func(d *Deployed) {
					m := d.Fake.EventSourceMappingByUUID(phys)
					f(&m)
					d.Fake.PutEventSourceMapping(m)
				}
			}
			out = append(out,
				Change{"event source mapping disabled", id, "State", "Disabled", edit(func(m *fakeaws.EventSourceMapping) { m.State = "Disabled" })},
				Change{"event source mapping batch size 1", id, "BatchSize", "1", edit(func(m *fakeaws.EventSourceMapping) { m.BatchSize = 1 })},
				Change{"event source mapping without ReportBatchItemFailures", id, "FunctionResponseTypes has ReportBatchItemFailures", "false",
					edit(func(m *fakeaws.EventSourceMapping) { m.FunctionResponseTypes = nil })},
			)
			if number(r.Properties["ParallelizationFactor"], 0) > 0 {
				out = append(out, Change{"event source mapping at parallelization factor 7", id, "ParallelizationFactor", "7",
					edit(func(m *fakeaws.EventSourceMapping) { m.ParallelizationFactor = 7 })})
			}
		case "AWS::Pipes::Pipe":
			sqs := object(object(r.Properties["TargetParameters"])["SqsQueueParameters"])
			out = append(out,
				Change{"pipe grouping on another path", id, "the target's MessageGroupId", `"$.body.detail.entityId"`, func(d *Deployed) {
					d.Fake.PutPipe(fakeaws.Pipe{Name: phys, MessageGroupID: "$.body.detail.entityId", MessageDeduplicationID: str(sqs["MessageDeduplicationId"])})
				}},
				Change{"pipe without a deduplication id", id, "the target's MessageDeduplicationId", "unset", func(d *Deployed) {
					d.Fake.PutPipe(fakeaws.Pipe{Name: phys, MessageGroupID: str(sqs["MessageGroupId"])})
				}})
		case "AWS::Lambda::Function":
			edit := func(f func(env map[string]string)) func(d *Deployed) {
				return func(d *Deployed) {
					fn := d.Fake.FunctionByName(phys)
					f(fn.Environment)
					d.Fake.PutFunction(fn)
				}
			}
			out = append(out,
				Change{"consumer reading the period elsewhere", id, "environment variable ORDERLY_PERIOD_PATH", `"$.detail.entityId"`,
					edit(func(env map[string]string) { env["ORDERLY_PERIOD_PATH"] = "$.detail.entityId" })},
				Change{"consumer without ORDERLY_COALESCE", id, "environment variable ORDERLY_COALESCE", "unset",
					edit(func(env map[string]string) { delete(env, "ORDERLY_COALESCE") })},
				Change{"consumer with an ORDERLY_ variable the template lacks", id, "environment variable ORDERLY_MAX_CHUNK_RECORDS", `"1"`,
					edit(func(env map[string]string) { env["ORDERLY_MAX_CHUNK_RECORDS"] = "1" })},
			)
		}
	}
	return out
}

// WriteAssembly writes tmpl as the only stack of a cloud assembly in a new
// temporary directory, as `cdk synth` would (manifest.json and the
// template), and returns the directory.
func WriteAssembly(t testing.TB, stackID, stackName string, tmpl assembly.Template) string {
	t.Helper()
	dir := t.TempDir()
	manifest := map[string]any{"version": "48.0.0", "artifacts": map[string]any{stackID: map[string]any{
		"type":       "aws:cloudformation:stack",
		"properties": map[string]any{"templateFile": stackID + ".template.json", "stackName": stackName},
	}}}
	for file, v := range map[string]any{"manifest.json": manifest, stackID + ".template.json": tmpl} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
