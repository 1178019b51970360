package redrive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/infra/redrive"
	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/poison"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
	"github.com/orderly-dev/orderly/sim/fakeaws/redrivetest"
)

func runRedrive(t *testing.T, fake *fakeaws.Server, cfg config.Config, kind string, dryRun bool) (redrive.Report, string) {
	t.Helper()
	var progress strings.Builder
	r, err := redrive.Run(context.Background(), redrive.Options{Config: cfg, Kind: kind, AWS: checktest.AWS(fake), DryRun: dryRun, Progress: &progress})
	if err != nil {
		t.Fatalf("redrive: %v\n%s", err, progress.String())
	}
	return r, progress.String()
}

// isolate parks events in the isolated queue as the consumer does: poison
// messages of kind isolated, the payload whole.
func isolate(t *testing.T, fake *fakeaws.Server, url string, evs ...event.Event) {
	t.Helper()
	arrived := time.Date(2026, 11, 28, 9, 57, 0, 0, time.UTC)
	for i, ev := range evs {
		payload, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		body, err := poison.Body(poison.Message{Kind: poison.KindIsolated, Reason: "period kept failing while others succeeded", Source: "sqs",
			Partition: "2026-12-01", RecordID: fmt.Sprintf("m-%d", i), PoisonedAt: arrived.Add(3 * time.Minute),
			Period: "2026-12-01", ArrivedAt: &arrived, LastError: "HTTP 503"}, payload)
		if err != nil {
			t.Fatal(err)
		}
		fake.AddQueue(url, body)
	}
}

// The isolated queue is a source of both stacks when isolation is on: its
// records go back on the bus with the others, per period in stamp order,
// and its messages are deleted.
func TestIsolatedRecordsAreRedriven(t *testing.T) {
	cfg := checktest.Config(t, "dev")
	for _, kind := range []string{config.KindKinesis, config.KindFifo} {
		t.Run(kind, func(t *testing.T) {
			d := redrivetest.Deploy(t, cfg, kind)
			url := d.Outputs[outputs.IsolatedQueueURL]
			if url == "" {
				t.Fatalf("outputs %v: want %s with isolation on", d.Outputs, outputs.IsolatedQueueURL)
			}
			events := redrivetest.Events(6)
			isolate(t, d.Fake, url, events[:4]...)
			d.Poison(events[4:]...)
			r, _ := runRedrive(t, d.Fake, cfg, kind, false)
			if !r.OK || r.Events != len(events) {
				t.Fatalf("report %+v: want %d events put", r, len(events))
			}
			put := d.Fake.PutEvents()
			redrivetest.ExpectRedriven(t, events, put)
			redrivetest.ExpectInStampOrderPerPeriod(t, put)
			redrivetest.ExpectExactlyOnceEffect(t, events, put)
			if msgs := d.Fake.QueueMessages(url); len(msgs) != 0 {
				t.Errorf("isolated queue holds %d messages, want none", len(msgs))
			}
		})
	}
}

// The isolated queue's output is optional: a stack without it (deployed
// before isolation, or with it off) is redriven from its other sources,
// and a stack that has it is read even when the config turned isolation
// off since.
func TestIsolatedQueueOutputIsOptional(t *testing.T) {
	on := checktest.Config(t, "dev")
	off := on
	off.Isolation.AfterSeconds = 0

	d := redrivetest.Deploy(t, off, config.KindKinesis)
	if _, ok := d.Outputs[outputs.IsolatedQueueURL]; ok {
		t.Fatal("isolation off: the fake stack declares an isolated queue")
	}
	events := redrivetest.Events(2)
	d.Poison(events...)
	r, progress := runRedrive(t, d.Fake, on, config.KindKinesis, false)
	if !r.OK || r.Events != 2 || !strings.Contains(progress, "has no IsolatedQueueUrl output yet") {
		t.Errorf("isolation on, stack without the queue: report %+v, progress %q", r, progress)
	}

	d = redrivetest.Deploy(t, on, config.KindFifo)
	isolate(t, d.Fake, d.Outputs[outputs.IsolatedQueueURL], events...)
	if r, _ := runRedrive(t, d.Fake, off, config.KindFifo, false); !r.OK || r.Events != 2 {
		t.Errorf("isolation off, stack with the queue: report %+v, want its 2 events put", r)
	}
}

// A message of the isolated queue that is not one is kept and reported
// as such.
func TestMalformedIsolatedMessageIsKept(t *testing.T) {
	cfg := checktest.Config(t, "dev")
	d := redrivetest.Deploy(t, cfg, config.KindKinesis)
	d.Fake.AddQueue(d.Outputs[outputs.IsolatedQueueURL], "not json")
	r, _ := runRedrive(t, d.Fake, cfg, config.KindKinesis, false)
	if r.OK || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "not a message of the isolated queue") {
		t.Errorf("report %+v: want the message kept and named", r)
	}
	if len(d.Fake.QueueMessages(d.Outputs[outputs.IsolatedQueueURL])) != 1 {
		t.Error("the malformed message was deleted")
	}
}

// Every place failed events end up on a Kinesis stack, an event that does
// not parse among them.
func TestRedrivePutsEveryEventBackPerPeriodInStampOrder(t *testing.T) {
	cfg := checktest.Config(t, "dev")
	d := redrivetest.Deploy(t, cfg, config.KindKinesis)
	events := redrivetest.Events(12)
	d.Poison(events[0], events[1])
	d.TargetDeadLetter(events[2], events[3])
	d.OnFailureObject("a", events[4:8]...)
	d.OnFailureObject("b", events[8:]...)
	broken := redrivetest.Broken()
	d.Poison(broken)

	r, progress := runRedrive(t, d.Fake, cfg, config.KindKinesis, false)
	if r.OK || r.Events != len(events) || r.Rejected != 0 || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "detail.entityId") {
		t.Fatalf("report %+v: want %d events put and the broken event kept", r, len(events))
	}
	if !strings.Contains(progress, "redrive: round 1:") || !strings.Contains(progress, "put so far") {
		t.Errorf("progress %q", progress)
	}
	put := d.Fake.PutEvents()
	redrivetest.ExpectRedriven(t, events, put)
	redrivetest.ExpectInStampOrderPerPeriod(t, put)
	redrivetest.ExpectExactlyOnceEffect(t, events, put)
	// Only the broken event stays, visible again for inspection.
	if msgs := d.Fake.QueueMessages(d.Outputs[outputs.PoisonQueueURL]); len(msgs) != 1 || !strings.Contains(msgs[0].Body, broken.ID) {
		t.Errorf("poison queue holds %v, want the broken event only", msgs)
	}
	if n := len(d.Fake.QueueMessages(d.Outputs[outputs.TargetDeadLetterQueueURL])) + len(d.Fake.Objects(d.Outputs[outputs.OnFailureBucketName])); n != 0 {
		t.Errorf("%d messages or objects left, want none", n)
	}
	var out strings.Builder
	if err := r.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "redrive INCOMPLETE: orderly-dev-kinesis: put 12 event(s) of 3 period(s) back on the bus in 1 round(s); 0 rejected; 1 message(s)/object(s) kept") ||
		!strings.Contains(out.String(), "OnFailureBucketName: found 2, deleted 2, kept 0, remaining 0") {
		t.Errorf("report text:\n%s", out.String())
	}

	// A second run finds the broken event only, and puts nothing.
	again, _ := runRedrive(t, d.Fake, cfg, config.KindKinesis, false)
	if again.Events != 0 || len(again.Problems) != 1 || len(d.Fake.PutEvents()) != len(events) {
		t.Errorf("second run %+v, want only the broken event kept", again)
	}
}

func TestDryRunSendsAndDeletesNothing(t *testing.T) {
	cfg := checktest.Config(t, "dev")
	d := redrivetest.Deploy(t, cfg, config.KindKinesis)
	events := redrivetest.Events(5)
	d.Poison(events[0])
	d.OnFailureObject("a", events[1:]...)
	r, progress := runRedrive(t, d.Fake, cfg, config.KindKinesis, true)
	if !r.DryRun || !r.OK || r.Events != 5 || len(d.Fake.PutEvents()) != 0 {
		t.Fatalf("report %+v, %d events put: want 5 listed and none put", r, len(d.Fake.PutEvents()))
	}
	if strings.Count(progress, "redrive: would put period") != 5 {
		t.Errorf("progress %q: want one line per event", progress)
	}
	for _, req := range d.Fake.Requests() {
		if req.Operation == "PutEvents" || req.Operation == "DeleteMessage" || req.Operation == "DeleteObject" {
			t.Errorf("dry run called %s", req.Operation)
		}
	}
	if len(d.Fake.QueueMessages(d.Outputs[outputs.PoisonQueueURL])) != 1 || len(d.Fake.Objects(d.Outputs[outputs.OnFailureBucketName])) != 1 {
		t.Error("dry run removed a message or object")
	}
	// Released: a real run right after sees them.
	if r, _ := runRedrive(t, d.Fake, cfg, config.KindKinesis, false); r.Events != 5 || !r.OK {
		t.Errorf("run after the dry run: %+v", r)
	}
	var out strings.Builder
	_ = r.WriteText(&out)
	if !strings.Contains(out.String(), "redrive DRY RUN: orderly-dev-kinesis: would put 5 event(s) of") || !strings.Contains(out.String(), "would delete 1") {
		t.Errorf("dry-run text:\n%s", out.String())
	}
}

// An entry PutEvents rejects keeps its message or object (an object until
// every one of its events is accepted); the next run finishes the job.
func TestRejectedEntriesStayUntilAccepted(t *testing.T) {
	cfg := checktest.Config(t, "dev")
	d := redrivetest.Deploy(t, cfg, config.KindKinesis)
	events := redrivetest.Events(6)
	d.TargetDeadLetter(events[0], events[1])
	d.OnFailureObject("a", events[2:]...)
	reject := map[string]bool{events[1].ID: true, events[3].ID: true}
	d.Fake.OnPutEvents(func(e fakeaws.PutEvent) fakeaws.PutEventResult {
		if reject[redrivetest.OriginalID(t, e)] {
			return fakeaws.PutEventResult{ErrorCode: "InternalFailure", ErrorMessage: "try again"}
		}
		return fakeaws.PutEventResult{}
	})
	r, _ := runRedrive(t, d.Fake, cfg, config.KindKinesis, false)
	if r.OK || r.Rejected != 2 || r.Events != 4 || len(r.Problems) != 2 {
		t.Fatalf("report %+v: want 2 rejected, their message and object kept", r)
	}
	if len(d.Fake.QueueMessages(d.Outputs[outputs.TargetDeadLetterQueueURL])) != 1 || len(d.Fake.Objects(d.Outputs[outputs.OnFailureBucketName])) != 1 {
		t.Fatal("a message or object whose event was rejected was deleted")
	}
	d.Fake.OnPutEvents(nil)
	again, _ := runRedrive(t, d.Fake, cfg, config.KindKinesis, false)
	if !again.OK {
		t.Fatalf("second run %+v", again)
	}
	put := d.Fake.PutEvents()
	redrivetest.ExpectRedriven(t, events, put)
	redrivetest.ExpectExactlyOnceEffect(t, events, put)
}

// FifoStack in per-key mode: the FIFO dead-letter queue holds the Pipe's
// messages, the ingest one bare events; an event in two places is put once.
func TestFifoPerKeyDeadLettersAndDuplicates(t *testing.T) {
	cfg := checktest.Config(t, "dev", "fifo.messageGroups=per-key")
	d := redrivetest.Deploy(t, cfg, config.KindFifo)
	events := redrivetest.Events(6)
	d.PipeDeadLetter(outputs.DeadLetterQueueURL, events[0], events[1])
	d.Queue(outputs.IngestDeadLetterQueueURL, events[2], events[3])
	d.TargetDeadLetter(events[4])
	d.Poison(events[5], events[4])
	r, _ := runRedrive(t, d.Fake, cfg, config.KindFifo, false)
	if !r.OK || r.Events != 6 {
		t.Fatalf("report %+v: want 6 events", r)
	}
	put := d.Fake.PutEvents()
	redrivetest.ExpectRedriven(t, events, put)
	for _, s := range r.Sources {
		if s.Remaining != 0 || s.Kept != 0 {
			t.Errorf("source %+v: want emptied", s)
		}
	}
}

// A poison message that omits its payload is reported, not guessed at.
func TestPoisonWithoutPayloadStays(t *testing.T) {
	cfg := checktest.Config(t, "dev")
	d := redrivetest.Deploy(t, cfg, config.KindKinesis)
	body, _ := json.Marshal(poison.Message{Reason: "HTTP 400", RecordID: "4960", PayloadOmitted: true, PayloadBytes: 300000})
	d.Fake.AddQueue(d.Outputs[outputs.PoisonQueueURL], string(body))
	r, _ := runRedrive(t, d.Fake, cfg, config.KindKinesis, false)
	if r.OK || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "omits its 300000-byte payload") {
		t.Fatalf("problems %q", r.Problems)
	}
}

func TestStackNotDeployedIsBadInput(t *testing.T) {
	cfg := checktest.Config(t, "dev")
	fake := checktest.Fake(t)
	_, err := redrive.Run(context.Background(), redrive.Options{Config: cfg, Kind: config.KindKinesis, AWS: checktest.AWS(fake)})
	want := "redrive: stack orderly-dev-kinesis is not deployed in eu-west-1: run `npx cdk deploy KinesisStack -c env=dev` first"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
}

// The JSON report names every source.
func TestReportJSON(t *testing.T) {
	cfg := checktest.Config(t, "dev")
	d := redrivetest.Deploy(t, cfg, config.KindKinesis)
	r, _ := runRedrive(t, d.Fake, cfg, config.KindKinesis, false)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	_ = json.Unmarshal(b, &back)
	var names []string
	for _, s := range back["sources"].([]any) {
		names = append(names, s.(map[string]any)["source"].(string))
	}
	want := []string{outputs.PoisonQueueURL, outputs.TargetDeadLetterQueueURL, outputs.IsolatedQueueURL, outputs.OnFailureBucketName}
	if !reflect.DeepEqual(names, want) || back["ok"] != true {
		t.Errorf("JSON %s: want sources %v and ok", b, want)
	}
	_ = fmt.Sprint(time.Now())
}

// With the stores on a customer managed key this identity may not decrypt
// with, the run stops, and its error names the permissions it needs.
func TestKMSRefusalNamesThePermissions(t *testing.T) {
	cfg := checktest.Config(t, "dev", "encryption.kmsKey=create")
	d := redrivetest.Deploy(t, cfg, config.KindKinesis)
	d.Poison(redrivetest.Events(1)...)
	d.Fake.DenyKMSDecrypt("arn:aws:kms:eu-west-1:111122223333:key/created")
	_, err := redrive.Run(context.Background(), redrive.Options{Config: cfg, Kind: config.KindKinesis, AWS: checktest.AWS(d.Fake)})
	if err == nil {
		t.Fatal("redrive read a queue it may not decrypt")
	}
	for _, want := range []string{"KMS.AccessDeniedException", "needs kms:Decrypt", "kms:GenerateDataKey", "EncryptionKeyArn"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := len(d.Fake.PutEvents()); n != 0 {
		t.Errorf("%d events put", n)
	}
}
