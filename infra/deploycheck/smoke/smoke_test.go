package smoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/smoke"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/telemetry"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
	"github.com/orderly-dev/orderly/sim/fakeaws/drifttest"
	"github.com/orderly-dev/orderly/sim/payloads"
)

const (
	bus       = "orderly-dev"
	logGroup  = "/orderly/dev/consumer"
	poison    = "https://sqs.eu-west-1.amazonaws.com/111122223333/poison"
	onFailure = "orderly-dev-kinesis-onfailurebucket"
)

// deployed is a fake account holding a deployed stack of kind.
func deployed(t *testing.T, kind string) *fakeaws.Server {
	fake := checktest.Fake(t)
	cfg := checktest.Config(t, "dev")
	out := map[string]string{outputs.EventBusName: bus, outputs.LogGroupName: logGroup, outputs.FunctionName: "fn"}
	for _, q := range smoke.WatchedQueues(cfg, kind) {
		url := "https://sqs.eu-west-1.amazonaws.com/111122223333/" + q
		if q == outputs.PoisonQueueURL {
			url = poison
		}
		out[q] = url
		fake.AddQueue(url)
	}
	if kind == config.KindKinesis {
		out[outputs.OnFailureBucketName] = onFailure
		fake.AddBucket(onFailure)
	}
	drifttest.Deploy(fake, cfg.StackName(kind), drifttest.Golden(t, "dev/"+config.StackID(kind)+".json"), out)
	fake.AddBus(bus)
	fake.AddLogGroup(logGroup)
	return fake
}

// consumer plays the deployed pipeline: it processes each event the moment
// it is put, logging the line the real consumer logs. broken drops the
// stale-event guard (every event is applied), as a racing consumer would.
type consumer struct {
	mu        sync.Mutex
	fake      *fakeaws.Server
	doc       schedule.Schedule
	seq       int
	broken    bool
	poisonAt  int64 // version whose event goes to the poison queue
	isolateAt int64 // version whose event goes to the isolated queue
	silent    bool  // nothing is ever processed
}

func (c *consumer) put(e fakeaws.PutEvent) fakeaws.PutEventResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.silent {
		return fakeaws.PutEventResult{}
	}
	c.seq++
	ev := event.Event{ID: e.EventID, Source: e.Source, DetailType: e.DetailType, Time: e.Time, Detail: json.RawMessage(e.Detail)}
	change, err := schedule.ParseChange(ev, schedule.PeriodPath{})
	if err != nil {
		panic(err)
	}
	line := map[string]any{
		slog.TimeKey: time.Now().Add(time.Duration(c.seq) * time.Millisecond).Format(time.RFC3339Nano), slog.MessageKey: ordering.LogRecordProcessed,
		ordering.LogPartition: change.Period, ordering.LogRecordID: fmt.Sprintf("4960%020d", c.seq), telemetry.FieldEventID: e.EventID,
	}
	if change.Stamp.Version == c.isolateAt {
		line[ordering.LogOutcome] = ordering.Isolated.String()
		line[ordering.LogError] = "isolated: HTTP 503"
	} else if change.Stamp.Version == c.poisonAt {
		line[ordering.LogOutcome] = ordering.Poisoned.String()
		line[ordering.LogError] = "HTTP 400"
		c.fake.AddQueue(poison, `{"reason":"HTTP 400","payload":`+e.Detail+`}`)
	} else {
		// A transient failure first, as a 5xx would cause: not an outcome.
		retry, _ := json.Marshal(map[string]any{slog.TimeKey: time.Now().Format(time.RFC3339Nano), slog.MessageKey: ordering.LogRecordProcessed,
			ordering.LogOutcome: ordering.Failed.String(), telemetry.FieldEventID: e.EventID})
		c.fake.AppendLog(logGroup, fakeaws.LogEvent{Stream: "s", Timestamp: time.Now(), Message: string(retry)})
		changed := schedule.Apply(&c.doc, change)
		line[ordering.LogOutcome] = ordering.Succeeded.String()
		effect := schedule.EffectStale
		if changed || c.broken {
			effect = schedule.EffectApplied
		}
		line[telemetry.FieldEffect] = string(effect)
	}
	msg, _ := json.Marshal(line)
	c.fake.AppendLog(logGroup, fakeaws.LogEvent{Stream: "s", Timestamp: time.Now(), Message: string(msg)})
	return fakeaws.PutEventResult{}
}

// assemblyOf is dev's synthesized cloud assembly of kind: the golden
// template deployed by deployed.
func assemblyOf(t *testing.T, kind string) string {
	cfg := checktest.Config(t, "dev")
	return drifttest.WriteAssembly(t, config.StackID(kind), cfg.StackName(kind), drifttest.Golden(t, "dev/"+config.StackID(kind)+".json"))
}

func runSmoke(t *testing.T, fake *fakeaws.Server, kind string, progress *strings.Builder) (smoke.Report, error) {
	t.Helper()
	return smoke.Run(context.Background(), smoke.Options{
		Config: checktest.Config(t, "dev"), Kind: kind, AWS: checktest.AWS(fake),
		Timeout: 300 * time.Millisecond, Poll: 20 * time.Millisecond, Progress: progress, RunID: "run1",
		Assembly: assemblyOf(t, kind),
	})
}

func TestHealthyStackPasses(t *testing.T) {
	for _, kind := range config.StackKinds {
		t.Run(kind, func(t *testing.T) {
			fake := deployed(t, kind)
			c := &consumer{fake: fake}
			fake.OnPutEvents(c.put)
			var progress strings.Builder
			r, err := runSmoke(t, fake, kind, &progress)
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK || len(r.Problems) > 0 {
				t.Fatalf("report %+v", r)
			}
			// a: v2 applied, v1 stale, v4 delete applied, v3 stale;
			// b: v3 applied, v1 and v2 stale.
			if r.Events != 7 || r.Settled != 7 || r.Applied != 3 || r.Stale != 4 || r.Retries != 7 {
				t.Errorf("report %+v: want 7 events settled, 3 applied, 4 stale, 7 retried attempts", r)
			}
			var out strings.Builder
			if err := r.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), "smoke PASS: orderly-dev-"+kind) {
				t.Errorf("verdict %q", out.String())
			}
			if !strings.Contains(progress.String(), "7/7 canary events settled") {
				t.Errorf("progress %q", progress.String())
			}
			for _, e := range fake.PutEvents() {
				if !strings.Contains(e.Detail, `"scheduleDate":"`+smoke.CanaryPeriod+`"`) || e.EventBusName != bus {
					t.Errorf("canary event %+v not in the canary period on %s", e, bus)
				}
			}
		})
	}
}

func TestFailingRuns(t *testing.T) {
	tests := []struct {
		name    string
		c       *consumer
		problem string
	}{
		{"lost update", &consumer{broken: true}, `was logged "applied" but should be "stale"`},
		{"poisoned", &consumer{poisonAt: 3}, "was poisoned: HTTP 400"},
		{"isolated", &consumer{isolateAt: 2}, "was isolated (its period kept failing while others succeeded; redrive it once the period works): isolated: HTTP 503"},
		{"nothing processed", &consumer{silent: true}, "has no outcome in the consumer's log group"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := deployed(t, config.KindKinesis)
			c := tc.c
			c.fake = fake
			fake.OnPutEvents(c.put)
			var progress strings.Builder
			r, err := runSmoke(t, fake, config.KindKinesis, &progress)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || !strings.Contains(strings.Join(r.Problems, "\n"), tc.problem) {
				t.Fatalf("report %+v, want a problem containing %q", r, tc.problem)
			}
			var out strings.Builder
			_ = r.WriteText(&out)
			if !strings.Contains(out.String(), "smoke FAIL") {
				t.Errorf("verdict %q", out.String())
			}
		})
	}
}

func TestCanaryInADeadLetterQueueFails(t *testing.T) {
	fake := deployed(t, config.KindKinesis)
	c := &consumer{fake: fake}
	fake.OnPutEvents(func(e fakeaws.PutEvent) fakeaws.PutEventResult {
		// EventBridge delivered it, and also dead-lettered a copy.
		fake.AddQueue("https://sqs.eu-west-1.amazonaws.com/111122223333/"+outputs.TargetDeadLetterQueueURL, e.Detail)
		return c.put(e)
	})
	// Older on-failure objects, and new ones of other traffic, are only a note.
	fake.PutObject(onFailure, fakeaws.Object{Key: "old", Body: onFailureObject("1", "2", `{"entityId":"someone-else"}`), LastModified: time.Now().Add(-time.Hour)})
	fake.PutObject(onFailure, fakeaws.Object{Key: "new", Body: onFailureObject("1", "2", `{"entityId":"someone-else"}`)})
	var progress strings.Builder
	r, err := runSmoke(t, fake, config.KindKinesis, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], outputs.TargetDeadLetterQueueURL+" holds 7 canary message(s)") {
		t.Fatalf("problems %q", r.Problems)
	}
	if !strings.Contains(progress.String(), outputs.OnFailureBucketName+" holds 1 older object(s) and 1 new one(s) without canary records") {
		t.Errorf("progress %q: want a note on the on-failure objects", progress.String())
	}
	// Looking must not take: every message the check saw is visible again.
	dlq := "https://sqs.eu-west-1.amazonaws.com/111122223333/" + outputs.TargetDeadLetterQueueURL
	if visible, held := fake.VisibleMessages(dlq), len(fake.QueueMessages(dlq)); visible != held {
		t.Errorf("%d of the dead-letter queue's %d messages are hidden after the smoke check looked at them", held-visible, held)
	}
}

// onFailureObject is an invocation record as Lambda writes it to the S3
// on-failure destination, its payload a JSON string (infra/onfailure).
func onFailureObject(start, end string, data string) []byte {
	payload := payloads.KinesisPayload(payloads.Message{Partition: smoke.CanaryPeriod, ID: start, Data: []byte(data)})
	b, _ := json.Marshal(map[string]any{
		"version":          "1.0",
		"requestContext":   map[string]any{"condition": "RecordAgeExceeded"},
		"KinesisBatchInfo": map[string]any{"shardId": "shardId-000000000000", "startSequenceNumber": start, "endSequenceNumber": end, "batchSize": 1},
		"payload":          string(payload),
	})
	return b
}

func TestOnFailureObjectWithACanaryRecordFails(t *testing.T) {
	tests := []struct {
		name   string
		object []byte
	}{
		// The consumer logs record ids 4960…01 to 4960…07 (consumer.put).
		{"range covers a canary record", onFailureObject("496000000000000000000000", "496000000000000000000003", `{}`)},
		{"payload holds a canary record", onFailureObject("1", "2", `{"entityId":"`+smoke.CanaryEntityPrefix+`run1-a"}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := deployed(t, config.KindKinesis)
			c := &consumer{fake: fake}
			fake.OnPutEvents(c.put)
			fake.PutObject(onFailure, fakeaws.Object{Key: "aws/lambda/esm/shardId-000000000000/obj", Body: tc.object})
			r, err := runSmoke(t, fake, config.KindKinesis, &strings.Builder{})
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || !strings.Contains(strings.Join(r.Problems, "\n"), outputs.OnFailureBucketName+" holds 1 on-failure object(s) with canary records") {
				t.Fatalf("problems %q", r.Problems)
			}
		})
	}
}

// Bad input: one clear error, and nothing is put on any bus.
func TestBadInputSendsNothing(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(*fakeaws.Server)
		want    string
	}{
		{"stack not deployed", func(f *fakeaws.Server) { f.DeleteStack("orderly-dev-kinesis") },
			"stack orderly-dev-kinesis is not deployed in eu-west-1: run `npx cdk deploy KinesisStack -c env=dev` first"},
		{"stack rolled back", func(f *fakeaws.Server) {
			f.PutStack(fakeaws.Stack{Name: "orderly-dev-kinesis", Status: "ROLLBACK_COMPLETE"})
		}, "is ROLLBACK_COMPLETE"},
		{"bus missing", func(f *fakeaws.Server) {
			f.PutStack(fakeaws.Stack{Name: "orderly-dev-kinesis", Outputs: map[string]string{
				outputs.EventBusName: "gone", outputs.LogGroupName: logGroup, outputs.PoisonQueueURL: poison,
				outputs.TargetDeadLetterQueueURL: "q1", outputs.IsolatedQueueURL: "q2", outputs.OnFailureBucketName: "b"}})
		}, "event bus gone (the stack's EventBusName output) does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := deployed(t, config.KindKinesis)
			tc.breakIt(fake)
			_, err := runSmoke(t, fake, config.KindKinesis, &strings.Builder{})
			if !errors.Is(err, smoke.ErrBadInput) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want bad input containing %q", err, tc.want)
			}
			for _, r := range fake.Requests() {
				if r.Operation == "PutEvents" {
					t.Fatal("canary events were sent despite bad input")
				}
			}
		})
	}
}

// A queue and a bucket on a customer managed key this identity may not
// decrypt with: each problem names the permissions the check needs.
func TestKMSRefusalNamesThePermissions(t *testing.T) {
	fake := deployed(t, config.KindKinesis)
	c := &consumer{fake: fake}
	fake.OnPutEvents(c.put)
	fake.AddQueue(poison, `{"reason":"older"}`)
	fake.PutObject(onFailure, fakeaws.Object{Key: "new", Body: onFailureObject("1", "2", `{"entityId":"someone-else"}`)})
	fake.DenyKMSDecrypt("arn:aws:kms:eu-west-1:111122223333:key/created")
	r, err := runSmoke(t, fake, config.KindKinesis, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || len(r.Problems) != 2 {
		t.Fatalf("problems %q: want the poison queue and the bucket", r.Problems)
	}
	for _, p := range r.Problems {
		if !strings.Contains(p, "kms:Decrypt") || !strings.Contains(p, "kms:GenerateDataKey") {
			t.Errorf("problem %q does not name kms:Decrypt and kms:GenerateDataKey", p)
		}
	}
}

// A canary record the consumer isolated waits in the isolated queue, which
// the smoke check inspects like the poison queue, on both stacks.
func TestCanaryInTheIsolatedQueueFails(t *testing.T) {
	if !slices.Contains(smoke.WatchedQueues(checktest.Config(t, "dev"), config.KindFifo), outputs.IsolatedQueueURL) {
		t.Fatal("isolation on: the isolated queue is not watched")
	}
	for _, kind := range config.StackKinds {
		t.Run(kind, func(t *testing.T) {
			fake := deployed(t, kind)
			c := &consumer{fake: fake, isolateAt: 2}
			isolated := "https://sqs.eu-west-1.amazonaws.com/111122223333/" + outputs.IsolatedQueueURL
			fake.OnPutEvents(func(e fakeaws.PutEvent) fakeaws.PutEventResult {
				if strings.Contains(e.Detail, `"version":2,`) || strings.HasSuffix(e.Detail, `"version":2}`) {
					fake.AddQueue(isolated, `{"kind":"isolated","reason":"period kept failing","payload":`+e.Detail+`}`)
				}
				return c.put(e)
			})
			r, err := runSmoke(t, fake, kind, &strings.Builder{})
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || !strings.Contains(strings.Join(r.Problems, "\n"), outputs.IsolatedQueueURL+" holds 2 canary message(s)") {
				t.Fatalf("problems %q: want the isolated queue's canary message named", r.Problems)
			}
		})
	}
	off := checktest.Config(t, "dev")
	off.Isolation.AfterSeconds = 0
	if slices.Contains(smoke.WatchedQueues(off, config.KindKinesis), outputs.IsolatedQueueURL) {
		t.Error("isolation off: the smoke check requires an isolated queue the stack does not have")
	}
}
