package test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/keypolicy"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/infra/relay"
	"github.com/orderly-dev/orderly/infra/relay/defaults"
	"github.com/orderly-dev/orderly/infra/stacks"
	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
	"github.com/orderly-dev/orderly/lambda/visibility"
)

const (
	relayStackID = "Relay"
	relayAPIURL  = "https://schedule.example.com"
	relaySecret  = "platform/schedule-api-key"
)

// requiredOnly are the only props a relay needs.
func requiredOnly() relay.RelayProps {
	return relay.RelayProps{Code: bundle.Code(), APIBaseURL: relayAPIURL, APIKeySecret: relaySecret}
}

// contextFreeApp is an App as another team's CDK app starts it: no cdk.json,
// so no orderly keys and none of orderly's feature flags.
func contextFreeApp(t *testing.T) awscdk.App {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(outRoot, "relay-"+filepath.Base(t.Name())))})
	for _, key := range []string{config.EnvironmentsKey, "@aws-cdk/core:validateAgainstDefaultRules"} {
		if v := app.Node().TryGetContext(jsii.String(key)); v != nil {
			t.Fatalf("the app has context %q = %v: it must start without cdk.json", key, v)
		}
	}
	return app
}

// relayInFreshApp builds one relay, through build, in its own context-free
// App and stack, and synthesizes it with cdk-nag attached.
func relayInFreshApp(t *testing.T, build func(awscdk.Stack) error) *synthesis {
	t.Helper()
	app := contextFreeApp(t)
	stack := awscdk.NewStack(app, jsii.String(relayStackID), nil)
	if err := build(stack); err != nil {
		t.Fatal(err)
	}
	return synthesizeChecked(t, t.Name(), app, map[string]awscdk.Stack{relayStackID: stack})
}

// TestKinesisRelayWithRequiredPropsOnly is the relay used from another Go
// CDK app: only the required props, the documented defaults for the rest.
func TestKinesisRelayWithRequiredPropsOnly(t *testing.T) {
	var k *relay.KinesisRelay
	s := relayInFreshApp(t, func(stack awscdk.Stack) (err error) {
		k, err = relay.NewKinesisRelay(stack, "Orders", relay.KinesisRelayProps{RelayProps: requiredOnly()})
		return err
	})
	expectNoNagFindings(t, s.stacks[relayStackID])
	if k.Stream == nil || k.Rule == nil || k.OnFailureBucket == nil || k.TargetDeadLetterQueue == nil ||
		k.Consumer == nil || k.Ingress.Bus == nil || k.EventSource == nil || k.Alarms == nil {
		t.Fatalf("a created resource is not exported: %+v", k)
	}

	_, stream := s.only(t, relayStackID, "AWS::Kinesis::Stream")
	expect(t, "ShardCount", stream["ShardCount"], float64(defaults.ShardCount))
	expect(t, "StreamEncryption", stream["StreamEncryption"], map[string]any{"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"})
	s.only(t, relayStackID, "AWS::Events::EventBus")

	_, rule := s.only(t, relayStackID, "AWS::Events::Rule")
	expect(t, "event pattern", rule["EventPattern"], map[string]any{
		"source": toAny(defaults.Sources()), "detail-type": toAny(defaults.DetailTypes()),
	})
	target := rule["Targets"].([]any)[0].(map[string]any)
	expect(t, "PartitionKeyPath", target["KinesisParameters"], map[string]any{"PartitionKeyPath": defaults.PeriodPath})
	expect(t, "RetryPolicy", target["RetryPolicy"], map[string]any{
		"MaximumRetryAttempts":     float64(defaults.TargetRetryAttempts),
		"MaximumEventAgeInSeconds": float64(defaults.TargetMaxEventAgeSeconds),
	})
	dlq := s.queueByGetAtt(t, relayStackID, target["DeadLetterConfig"].(map[string]any)["Arn"])
	expect(t, "target DLQ is a standard queue", dlq["FifoQueue"], nil)

	_, esm := s.only(t, relayStackID, "AWS::Lambda::EventSourceMapping")
	expect(t, "FunctionResponseTypes", esm["FunctionResponseTypes"], []any{"ReportBatchItemFailures"})
	expect(t, "BatchSize", esm["BatchSize"], float64(defaults.KinesisBatchSize))
	expect(t, "MaximumRetryAttempts", retryAttempts(esm), float64(defaults.KinesisRetryAttempts))
	expect(t, "BisectBatchOnFunctionError", esm["BisectBatchOnFunctionError"], defaults.BisectBatchOnError)
	expect(t, "StartingPosition", esm["StartingPosition"], "TRIM_HORIZON")
	s.expectOnFailureBucket(t, relayStackID, esm, defaults.OnFailureExpirationDays)

	expectConsumerDefaults(t, s)
	alarm := s.alarmOn(t, relayStackID, "GetRecords.IteratorAgeMilliseconds")
	expect(t, "iterator age threshold", alarm["Threshold"], float64(defaults.IteratorAgeSeconds*1000))
	s.expectArchive(t, relayStackID, defaults.ArchiveRetentionDays)
	expectOutputs(t, s, outputs.EventBusName, outputs.EventBusArn, outputs.ArchiveArn, outputs.StreamName, outputs.FunctionName, outputs.LogGroupName,
		outputs.PoisonQueueURL, outputs.OnFailureBucketName, outputs.TargetDeadLetterQueueURL, outputs.IsolatedQueueURL, outputs.DashboardName)
	_, fn := s.only(t, relayStackID, "AWS::Lambda::Function")
	if _, held := fn["Environment"].(map[string]any)["Variables"].(map[string]any)[envvar.OutageHoldSeconds]; held {
		t.Errorf("KinesisStack's consumer has %s: only a queue can hold a message", envvar.OutageHoldSeconds)
	}
}

// TestFifoRelayWithRequiredPropsOnly builds the FIFO relay in each grouping
// mode it supports, each in a context-free App.
func TestFifoRelayWithRequiredPropsOnly(t *testing.T) {
	modes := []struct {
		name          string
		messageGroups int
		perKey        bool
		// groups are the rules' message groups, sorted.
		groups []string
	}{
		{name: "one group", groups: []string{"g0"}},
		{name: "three static groups", messageGroups: 3, groups: []string{relay.CatchAllGroup, "g0", "g1", "g2"}},
		{name: "per key", perKey: true, groups: []string{relay.IngestGroup}},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			var f *relay.FifoRelay
			s := relayInFreshApp(t, func(stack awscdk.Stack) (err error) {
				f, err = relay.NewFifoRelay(stack, "Orders", relay.FifoRelayProps{
					RelayProps: requiredOnly(), MessageGroups: mode.messageGroups, PerKey: mode.perKey,
				})
				return err
			})
			expectNoNagFindings(t, s.stacks[relayStackID])
			if len(f.Rules) != len(mode.groups) {
				t.Errorf("FifoRelay.Rules has %d rules, want %d", len(f.Rules), len(mode.groups))
			}
			perKey := mode.perKey
			if perKey != (f.Pipe != nil && f.IngestQueue != nil && f.IngestDeadLetterQueue != nil) {
				t.Errorf("per-key %v, but pipe %v, ingest queue %v, ingest DLQ %v", perKey, f.Pipe, f.IngestQueue, f.IngestDeadLetterQueue)
			}

			_, esm := s.only(t, relayStackID, "AWS::Lambda::EventSourceMapping")
			expect(t, "FunctionResponseTypes", esm["FunctionResponseTypes"], []any{"ReportBatchItemFailures"})
			expect(t, "BatchSize", esm["BatchSize"], float64(defaults.FifoBatchSize))
			queue := s.queueByGetAtt(t, relayStackID, esm["EventSourceArn"])
			expect(t, "FifoQueue", queue["FifoQueue"], true)
			expect(t, "ContentBasedDeduplication", queue["ContentBasedDeduplication"], true)
			expect(t, "VisibilityTimeout", queue["VisibilityTimeout"], float64(defaults.VisibilityTimeoutFactor*defaults.FunctionTimeoutSeconds))
			expect(t, "MessageRetentionPeriod", queue["MessageRetentionPeriod"], float64(defaults.FifoRetentionHours*3600))
			redrive := queue["RedrivePolicy"].(map[string]any)
			expect(t, "maxReceiveCount", redrive["maxReceiveCount"], float64(defaults.MaxReceiveCount))
			dlq := s.queueByGetAtt(t, relayStackID, redrive["deadLetterTargetArn"])
			expect(t, "queue DLQ is FIFO", dlq["FifoQueue"], true)

			// ruleGroups also checks that every target's DLQ is a standard queue.
			expect(t, "rule groups", s.ruleGroups(t, relayStackID), mode.groups)
			if perKey {
				_, pipe := s.only(t, relayStackID, "AWS::Pipes::Pipe")
				expect(t, "pipe group id", pipe["TargetParameters"].(map[string]any)["SqsQueueParameters"].(map[string]any)["MessageGroupId"],
					relay.PipeGroupPath(schedule.MustPeriodPath(defaults.PeriodPath)))
			}
			expectConsumerDefaults(t, s)
			s.expectArchive(t, relayStackID, defaults.ArchiveRetentionDays)
			want := []string{outputs.EventBusName, outputs.EventBusArn, outputs.ArchiveArn, outputs.QueueURL, outputs.FunctionName, outputs.LogGroupName,
				outputs.PoisonQueueURL, outputs.TargetDeadLetterQueueURL, outputs.IsolatedQueueURL, outputs.DeadLetterQueueURL, outputs.DashboardName}
			if perKey {
				want = append(want, outputs.IngestDeadLetterQueueURL)
			}
			expectOutputs(t, s, want...)
			// The default tolerance over the default receives.
			_, fn := s.only(t, relayStackID, "AWS::Lambda::Function")
			hold := time.Duration(visibility.HoldFor(defaults.OutageToleranceSeconds*time.Second, defaults.MaxReceiveCount))
			expect(t, "outage hold", fn["Environment"].(map[string]any)["Variables"].(map[string]any)[envvar.OutageHoldSeconds], fmt.Sprint(int(hold/time.Second)))
		})
	}
}

// TestRelayReportsMissingAndConflictingProps: one error naming every
// problem, and nothing created.
func TestRelayReportsMissingAndConflictingProps(t *testing.T) {
	app := contextFreeApp(t)
	stack := awscdk.NewStack(app, jsii.String(relayStackID), nil)
	_, err := relay.NewFifoRelay(stack, "Orders", relay.FifoRelayProps{
		// 20 s calls: a margin of two 40 s budgets plus 1 s, beyond the default 60 s timeout.
		RelayProps:    relay.RelayProps{BusName: "orders", ExistingBus: "default", APILimits: scheduleapi.Limits{CallTimeout: 20 * time.Second}},
		PerKey:        true,
		MessageGroups: 3,
		// At the default Timeout's visibility timeout, not below it.
		RetryBackoff: &visibility.Backoff{Base: time.Second, Max: 6 * time.Minute},
	})
	want := `relay "Orders": Code is required: the bundled consumer, a directory asset holding ` + "`bootstrap`" +
		`; APIBaseURL is required: the https base URL of the schedule API` +
		`; APIKeySecret is required: the name or ARN of an existing Secrets Manager secret` +
		`; APILimits and Timeout: a deadline margin of 1m21s (two retry budgets of 40s plus 1s to respond) does not fit the function timeout 1m0s: no record could start` +
		`; BusName "orders" and ExistingBus "default": set one of them, not both` +
		`; MessageGroups 3 and PerKey: per-key grouping takes no static group count; set one of them` +
		`; RetryBackoff: max 6m0s is not below the queue's visibility timeout 6m0s: a reported failure would wait as long as without the backoff; the visibility timeout is 6 × Timeout`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
	if _, err := relay.NewKinesisRelay(stack, "Events", relay.KinesisRelayProps{}); err == nil {
		t.Error("NewKinesisRelay accepted empty props")
	}
	if n := len(*stack.Node().Children()); n != 0 {
		t.Errorf("the stack has %d children after rejected props, want none", n)
	}
}

// TestConfigDefaultsAreTheRelayDefaults pins the two ways in to the same
// result: a stack synthesized from a cdk.json that sets only the required key
// equals the relay given only its required props (plus the bus name and
// secret the config derives from the environment's name). So a default
// cannot be changed on one side only, enumerations and booleans included.
func TestConfigDefaultsAreTheRelayDefaults(t *testing.T) {
	ctx := cdkContext(t)
	ctx[config.EnvKey] = "minimal"
	ctx[config.EnvironmentsKey] = map[string]any{"minimal": map[string]any{"function": map[string]any{"apiBaseUrl": relayAPIURL}}}
	cfg, err := config.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fromConfig := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(filepath.Join(outRoot, "minimal-config"))})
	kinesis, fifo, err := stacks.Build(fromConfig, cfg, bundle.Code)
	if err != nil {
		t.Fatal(err)
	}
	configured := synthesizeChecked(t, "minimal config", fromConfig,
		map[string]awscdk.Stack{stacks.KinesisStackID: kinesis, stacks.FifoStackID: fifo})

	// The same feature flags, none of orderly's keys: only the flags decide
	// how CDK renders, so they must match for the templates to compare.
	flags := cdkContext(t)
	delete(flags, config.EnvKey)
	delete(flags, config.EnvironmentsKey)
	direct := awscdk.NewApp(&awscdk.AppProps{Context: &flags, Outdir: jsii.String(filepath.Join(outRoot, "minimal-relay"))})
	// A Code asset belongs to one stack: each relay gets its own.
	props := func() relay.RelayProps {
		return relay.RelayProps{Code: bundle.Code(), APIBaseURL: relayAPIURL, APIKeySecret: cfg.Function.APIKeySecret, BusName: cfg.Bus.Name}
	}
	ks := awscdk.NewStack(direct, jsii.String(stacks.KinesisStackID), nil)
	fs := awscdk.NewStack(direct, jsii.String(stacks.FifoStackID), nil)
	for _, err := range []error{
		second(relay.NewKinesisRelay(ks, "Default", relay.KinesisRelayProps{RelayProps: props()})),
		second(relay.NewFifoRelay(fs, "Default", relay.FifoRelayProps{RelayProps: props()})),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	relays := synthesizeChecked(t, "relays with required props", direct,
		map[string]awscdk.Stack{stacks.KinesisStackID: ks, stacks.FifoStackID: fs})

	for _, id := range []string{stacks.KinesisStackID, stacks.FifoStackID} {
		for _, section := range []string{"Resources", "Outputs"} {
			// The stacks tag every resource with the environment; the relay
			// leaves tagging to its app.
			got, want := withoutTags(relays.templates[id][section]), withoutTags(configured.templates[id][section])
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s: the relay's defaults differ from the config's:\n%s", id, section, diffJSON(t, got, want))
			}
		}
	}
}

func second[T any](_ T, err error) error { return err }

// withoutTags returns a copy of a template section without resource Tags.
func withoutTags(section any) map[string]any {
	out := map[string]any{}
	for id, r := range section.(map[string]any) {
		res := map[string]any{}
		for k, v := range r.(map[string]any) {
			res[k] = v
		}
		if props, ok := res["Properties"].(map[string]any); ok {
			trimmed := map[string]any{}
			for k, v := range props {
				if k != "Tags" {
					trimmed[k] = v
				}
			}
			res["Properties"] = trimmed
		}
		out[id] = res
	}
	return out
}

// diffJSON names what differs between two template sections, by logical id.
func diffJSON(t testing.TB, got, want map[string]any) string {
	var out string
	for id, g := range got {
		if w, ok := want[id]; !ok {
			out += fmt.Sprintf("  only from the relay: %s\n", id)
		} else if !reflect.DeepEqual(g, w) {
			out += fmt.Sprintf("  %s:\n    relay:  %s\n    config: %s\n", id, normalize(t, g.(map[string]any)), normalize(t, w.(map[string]any)))
		}
	}
	for id := range want {
		if _, ok := got[id]; !ok {
			out += fmt.Sprintf("  only from the config: %s\n", id)
		}
	}
	return out
}

// expectConsumerDefaults checks the function settings a relay defaults.
func expectConsumerDefaults(t *testing.T, s *synthesis) {
	t.Helper()
	_, fn := s.only(t, relayStackID, "AWS::Lambda::Function")
	expect(t, "MemorySize", fn["MemorySize"], float64(defaults.FunctionMemoryMiB))
	expect(t, "Timeout", fn["Timeout"], float64(defaults.FunctionTimeoutSeconds))
	expect(t, "Architectures", fn["Architectures"], []any{"arm64"})
	vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	expect(t, "API base URL", vars[envvar.APIBaseURL], relayAPIURL)
	expect(t, "API key secret", vars[envvar.APIKeySecretARN], relaySecret)
	expect(t, "max concurrent partitions", vars[envvar.MaxConcurrentPartitions], fmt.Sprint(defaults.MaxConcurrentPartitions))
	expect(t, "coalescing", vars[envvar.Coalesce], fmt.Sprint(defaults.Coalesce))
	expect(t, "isolation age", vars[envvar.IsolateAfterSeconds], fmt.Sprint(defaults.IsolateAfterSeconds))
	isolated := s.queueByRef(t, relayStackID, vars[envvar.IsolatedQueueURL])
	expect(t, "isolated queue is a standard queue", isolated["FifoQueue"], nil)
	expect(t, "isolated queue retention", isolated["MessageRetentionPeriod"], float64(defaults.DeadLetterRetentionDays*86400))
	s.alarmOnQueue(t, relayStackID, vars[envvar.IsolatedQueueURL])
	logGroups := s.resources(relayStackID, "AWS::Logs::LogGroup")
	if len(logGroups) == 0 {
		t.Error("no log group")
	}
	for id, logs := range logGroups {
		expect(t, id+" retention", logs["RetentionInDays"], float64(defaults.LogRetentionDays))
	}
	s.alarmOn(t, relayStackID, "Errors")
}

func toResourceMap(all map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range all {
		out[id] = r.(map[string]any)
	}
	return out
}

// expectOutputs checks the relay stack's outputs by the relay's output ids.
func expectOutputs(t *testing.T, s *synthesis, ids ...string) {
	t.Helper()
	outputs, _ := s.templates[relayStackID]["Outputs"].(map[string]any)
	if len(outputs) != len(ids) {
		t.Errorf("%d outputs, want %d (%v)", len(outputs), len(ids), ids)
	}
	for _, id := range ids {
		if len(idsWithPrefix(toResourceMap(outputs), "Orders"+id)) != 1 {
			t.Errorf("no output Orders%s…", id)
		}
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// TestRelaysWithAKeyInAnotherApp: a relay given a key it did not create
// through orderly's config (here a key of the app's own stack, in an App
// without cdk.json's feature flags) encrypts with it, puts the service
// statements it reports in Relay.KeyPolicy on it, and passes cdk-nag.
func TestRelaysWithAKeyInAnotherApp(t *testing.T) {
	for _, perKey := range []bool{false, true} {
		t.Run(fmt.Sprintf("fifo per key %v", perKey), func(t *testing.T) {
			var f *relay.FifoRelay
			s := relayInFreshApp(t, func(stack awscdk.Stack) (err error) {
				props := relay.FifoRelayProps{RelayProps: requiredOnly(), PerKey: perKey}
				props.EncryptionKey = awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
				f, err = relay.NewFifoRelay(stack, "Orders", props)
				return err
			})
			expectNoNagFindings(t, s.stacks[relayStackID])
			expectKeyPolicy(t, s, f.KeyPolicy)
		})
	}
	t.Run("kinesis", func(t *testing.T) {
		var k *relay.KinesisRelay
		s := relayInFreshApp(t, func(stack awscdk.Stack) (err error) {
			props := relay.KinesisRelayProps{RelayProps: requiredOnly()}
			props.EncryptionKey = awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
			k, err = relay.NewKinesisRelay(stack, "Events", props)
			return err
		})
		expectNoNagFindings(t, s.stacks[relayStackID])
		expectKeyPolicy(t, s, k.KeyPolicy)
		_, stream := s.only(t, relayStackID, "AWS::Kinesis::Stream")
		expect(t, "stream key", stream["StreamEncryption"].(map[string]any)["KeyId"], map[string]any{"Fn::GetAtt": []any{s.logicalID(t, relayStackID, "AWS::KMS::Key"), "Arn"}})
	})
}

// expectKeyPolicy checks the created key's policy holds the statements the
// relay reports, by Sid, and nothing else beyond the account's delegation.
func expectKeyPolicy(t *testing.T, s *synthesis, reported []keypolicy.Statement) {
	t.Helper()
	_, key := s.only(t, relayStackID, "AWS::KMS::Key")
	var sids []string
	_, bus := s.only(t, relayStackID, "AWS::Events::EventBus")
	for _, st := range key["KeyPolicy"].(map[string]any)["Statement"].([]any) {
		sid, ok := st.(map[string]any)["Sid"].(string)
		if !ok {
			continue
		}
		sids = append(sids, sid)
		// The name CDK gave the unnamed bus is the one the key policy binds.
		if sid == keypolicy.SidEventBridgeBus {
			context := fmt.Sprint(s.resolve(relayStackID, st.(map[string]any)["Condition"]))
			if !strings.Contains(context, "event-bus/"+fmt.Sprint(bus["Name"])+"]") {
				t.Errorf("the bus statement's condition %s does not name the bus %v", context, bus["Name"])
			}
		}
	}
	var want []string
	for _, st := range reported {
		want = append(want, st.Sid)
	}
	if len(want) == 0 {
		t.Fatal("the relay reports no key policy statements")
	}
	expect(t, "key policy statements", sids, want)
}

// Isolation and the outage hold turned off (new(0)): no isolated queue, its
// alarm, output and variables, and no hold; negative values are refused.
func TestRelayWithIsolationAndHoldOff(t *testing.T) {
	var f *relay.FifoRelay
	s := relayInFreshApp(t, func(stack awscdk.Stack) (err error) {
		p := relay.FifoRelayProps{RelayProps: requiredOnly(), OutageToleranceSeconds: new(0)}
		p.IsolateAfterSeconds = new(0)
		f, err = relay.NewFifoRelay(stack, "Orders", p)
		return err
	})
	expectNoNagFindings(t, s.stacks[relayStackID])
	if f.Consumer.IsolatedQueue != nil {
		t.Error("isolation off, yet the consumer has an isolated queue")
	}
	expectOutputs(t, s, outputs.EventBusName, outputs.EventBusArn, outputs.ArchiveArn, outputs.QueueURL, outputs.FunctionName, outputs.LogGroupName,
		outputs.PoisonQueueURL, outputs.TargetDeadLetterQueueURL, outputs.DeadLetterQueueURL, outputs.DashboardName)
	_, fn := s.only(t, relayStackID, "AWS::Lambda::Function")
	vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	for _, name := range []string{envvar.IsolateAfterSeconds, envvar.IsolatedQueueURL, envvar.OutageHoldSeconds} {
		if v, ok := vars[name]; ok {
			t.Errorf("%s = %v with isolation and the hold off", name, v)
		}
	}
	if n := len(s.resources(relayStackID, "AWS::SQS::Queue")); n != 4 {
		t.Errorf("%d queues, want 4: the queue, its DLQ, the target DLQ and the poison queue", n)
	}

	_, err := relay.NewFifoRelay(awscdk.NewStack(contextFreeApp(t), jsii.String("Bad"), nil), "Orders", relay.FifoRelayProps{
		RelayProps:             relay.RelayProps{Code: bundle.Code(), APIBaseURL: relayAPIURL, APIKeySecret: relaySecret, IsolateAfterSeconds: new(-1)},
		OutageToleranceSeconds: new(-5),
	})
	for _, want := range []string{"IsolateAfterSeconds -1: must be 0 (isolation off) or more", "OutageToleranceSeconds -5: must be 0 (hold off) or more"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v: want %q", err, want)
		}
	}
}

// queueByRef is the stack's queue a {"Ref": id} names (a queue URL), with
// queueByGetAtt's checks: encrypted, and TLS only.
func (s *synthesis) queueByRef(t testing.TB, stackID string, ref any) map[string]any {
	t.Helper()
	m, ok := ref.(map[string]any)
	if !ok || m["Ref"] == nil {
		t.Fatalf("%s: %v is not a Ref", stackID, ref)
	}
	return s.queueByGetAtt(t, stackID, map[string]any{"Fn::GetAtt": []any{m["Ref"], "Arn"}})
}

// alarmOnQueue checks that an alarm watches the visible messages of the
// queue ref names, raised by any one.
func (s *synthesis) alarmOnQueue(t testing.TB, stackID string, ref any) {
	t.Helper()
	id := ref.(map[string]any)["Ref"]
	dims := []any{map[string]any{"Name": "QueueName", "Value": map[string]any{"Fn::GetAtt": []any{id, "QueueName"}}}}
	for _, a := range s.resources(stackID, "AWS::CloudWatch::Alarm") {
		if a["MetricName"] == "ApproximateNumberOfMessagesVisible" && reflect.DeepEqual(a["Dimensions"], dims) {
			expect(t, fmt.Sprint(id)+" alarm threshold", a["Threshold"], float64(0))
			return
		}
	}
	t.Errorf("%s: no alarm on the messages of %v", stackID, id)
}
