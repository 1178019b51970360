// Package redrivetest builds what the redrive tests share: a fake account
// holding a deployed stack whose failure destinations are filled with
// real-shaped messages and objects, and the checks that every original
// event came back, in order, with exactly one effect.
package redrivetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck"
	"github.com/orderly-dev/orderly/infra/onfailure"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/poison"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
	"github.com/orderly-dev/orderly/sim/payloads"
)

// Deployed is a fake account with one deployed stack.
type Deployed struct {
	Fake    *fakeaws.Server
	Outputs map[string]string
}

// Deploy creates the stack of kind, its bus, failure queues and bucket.
func Deploy(t testing.TB, cfg config.Config, kind string) *Deployed {
	fake := checktest.Fake(t)
	out := map[string]string{outputs.EventBusName: cfg.Bus.Name}
	fake.AddBus(cfg.Bus.Name)
	for _, q := range deploycheck.FailureQueues(cfg, kind) {
		out[q] = "https://sqs.eu-west-1.amazonaws.com/111122223333/" + q
		fake.AddQueue(out[q])
	}
	if b := deploycheck.FailureBucket(kind); b != "" {
		out[b] = "orderly-on-failure"
		fake.AddBucket(out[b])
	}
	fake.PutStack(fakeaws.Stack{Name: cfg.StackName(kind), Outputs: out})
	return &Deployed{Fake: fake, Outputs: out}
}

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// Events are n schedule events over three periods and four drivers, their
// versions out of order, so that some are stale against others.
func Events(n int) []event.Event {
	out := make([]event.Event, n)
	for i := range out {
		detailType := schedule.DetailTypeUpserted
		detail := map[string]any{
			"scheduleDate": fmt.Sprintf("2026-12-0%d", 1+i%3),
			"entityType":   string(schedule.Driver),
			"entityId":     fmt.Sprintf("d-%d", i%4),
			"version":      (i*7)%5 + 1,
		}
		if i%5 == 4 {
			detailType = schedule.DetailTypeDeleted
		} else {
			detail["attributes"] = map[string]any{"shift": i}
		}
		raw, _ := json.Marshal(detail)
		out[i] = event.Event{Version: "0", ID: fmt.Sprintf("0b5e%04d-0000-4000-8000-000000000000", i), Source: "com.example.scheduling",
			DetailType: detailType, Account: "111122223333", Region: "eu-west-1", Time: t0.Add(time.Duration(i%6) * time.Second),
			Resources: []string{fmt.Sprintf("arn:aws:example:eu-west-1:111122223333:schedule/%d", i)}, Detail: raw}
	}
	return out
}

// Broken is an event that never parses: no entity id.
func Broken() event.Event {
	return event.Event{ID: "broken-1", Source: "com.example.scheduling", DetailType: schedule.DetailTypeDeleted, Time: t0,
		Detail: json.RawMessage(`{"scheduleDate":"2026-12-01","entityType":"driver"}`)}
}

func eventJSON(ev event.Event) []byte {
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return b
}

// Poison parks events in the poison queue as the consumer's sink does.
func (d *Deployed) Poison(evs ...event.Event) {
	for i, ev := range evs {
		body, err := poison.Body(poison.Message{Reason: "HTTP 400", Source: "kinesis", Partition: "2026-12-01",
			RecordID: fmt.Sprintf("4960%04d", i), PoisonedAt: t0}, eventJSON(ev))
		if err != nil {
			panic(err)
		}
		d.Fake.AddQueue(d.Outputs[outputs.PoisonQueueURL], body)
	}
}

// TargetDeadLetter puts events in the rule target's dead-letter queue.
func (d *Deployed) TargetDeadLetter(evs ...event.Event) {
	d.Queue(outputs.TargetDeadLetterQueueURL, evs...)
}

// Queue puts bare events in the queue named by output.
func (d *Deployed) Queue(output string, evs ...event.Event) {
	for _, ev := range evs {
		d.Fake.AddQueue(d.Outputs[output], string(eventJSON(ev)))
	}
}

// PipeDeadLetter puts events, wrapped as the Pipe forwards them, in the
// queue named by output.
func (d *Deployed) PipeDeadLetter(output string, evs ...event.Event) {
	for i, ev := range evs {
		body, _ := json.Marshal(map[string]any{"messageId": fmt.Sprintf("m-%d", i), "body": string(eventJSON(ev))})
		d.Fake.AddQueue(d.Outputs[output], string(body))
	}
}

// OnFailureObject writes the invocation record of a discarded batch of
// events, its payload a JSON string as AWS documents it.
func (d *Deployed) OnFailureObject(key string, evs ...event.Event) {
	msgs := make([]payloads.Message, len(evs))
	for i, ev := range evs {
		msgs[i] = payloads.Message{Partition: "2026-12-01", ID: fmt.Sprintf("4960%020d", i), Data: eventJSON(ev)}
	}
	body, _ := json.Marshal(map[string]any{
		"requestContext":   map[string]any{"requestId": "r-" + key, "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 10001},
		"responseContext":  map[string]any{"statusCode": 200, "executedVersion": "$LATEST"},
		"version":          "1.0",
		"timestamp":        t0.Format(time.RFC3339Nano),
		"KinesisBatchInfo": map[string]any{"shardId": "shardId-000000000000", "startSequenceNumber": msgs[0].ID, "endSequenceNumber": msgs[len(msgs)-1].ID, "batchSize": len(msgs)},
		"payload":          string(payloads.KinesisPayload(msgs...)),
	})
	d.Fake.PutObject(d.Outputs[outputs.OnFailureBucketName], fakeaws.Object{Key: "aws/lambda/esm/shardId-000000000000/2026/11/28/" + key, Body: body})
}

// OriginalID is the original event id a put event carries.
func OriginalID(t testing.TB, e fakeaws.PutEvent) string {
	var detail map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
		t.Fatal(err)
	}
	id, _ := detail[schedule.OriginalEventIDField].(string)
	return id
}

// received is a put event as the consumer receives it: the id EventBridge
// gave it, the rest as put.
func received(e fakeaws.PutEvent) event.Event {
	return event.Event{ID: e.EventID, Source: e.Source, DetailType: e.DetailType, Time: e.Time, Resources: e.Resources, Detail: json.RawMessage(e.Detail)}
}

// ExpectRedriven checks that every original was put at least once, as it
// was, with its id in the detail, and that nothing else was put.
func ExpectRedriven(t testing.TB, originals []event.Event, put []fakeaws.PutEvent) {
	t.Helper()
	byID := map[string]event.Event{}
	for _, ev := range originals {
		byID[ev.ID] = ev
	}
	seen := map[string]bool{}
	for _, e := range put {
		id := OriginalID(t, e)
		want, ok := byID[id]
		if !ok {
			t.Errorf("put event %s carries original id %q, not one of the originals", e.EventID, id)
			continue
		}
		seen[id] = true
		var got, orig map[string]any
		_ = json.Unmarshal([]byte(e.Detail), &got)
		_ = json.Unmarshal(want.Detail, &orig)
		delete(got, schedule.OriginalEventIDField)
		if e.Source != want.Source || e.DetailType != want.DetailType || !e.Time.Equal(want.Time) ||
			!reflect.DeepEqual(e.Resources, want.Resources) || !reflect.DeepEqual(got, orig) {
			t.Errorf("put %+v, want the original %+v", e, want)
		}
	}
	for id := range byID {
		if !seen[id] {
			t.Errorf("original %s was never put back: lost", id)
		}
	}
}

// ExpectInStampOrderPerPeriod checks that each period's events were put in
// stamp order.
func ExpectInStampOrderPerPeriod(t testing.TB, put []fakeaws.PutEvent) {
	t.Helper()
	last := map[string]schedule.Stamp{}
	for _, e := range put {
		c, err := schedule.ParseChange(received(e), schedule.PeriodPath{})
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := last[c.Period]; ok && prev.After(c.Stamp) {
			t.Errorf("period %s: %+v put after the newer %+v", c.Period, c.Stamp, prev)
		}
		last[c.Period] = c.Stamp
	}
}

// ExpectExactlyOnceEffect feeds the put events, in the order they were put
// and duplicates included, through the domain's Apply as the consumer
// would, and checks that the schedules end as the originals make them and
// that no original took effect twice.
func ExpectExactlyOnceEffect(t testing.TB, originals []event.Event, put []fakeaws.PutEvent) {
	t.Helper()
	apply := func(evs []event.Event) (map[string]*schedule.Schedule, map[string]int) {
		schedules, effects := map[string]*schedule.Schedule{}, map[string]int{}
		for _, ev := range evs {
			c, err := schedule.ParseChange(ev, schedule.PeriodPath{})
			if err != nil {
				t.Fatal(err)
			}
			s := schedules[c.Period]
			if s == nil {
				s = &schedule.Schedule{Period: c.Period}
				schedules[c.Period] = s
			}
			if schedule.Apply(s, c) {
				effects[c.Stamp.EventID]++
			}
		}
		return schedules, effects
	}
	want, _ := apply(originals)
	var redriven []event.Event
	for _, e := range put {
		redriven = append(redriven, received(e))
	}
	got, effects := apply(redriven)
	for id, n := range effects {
		if n > 1 {
			t.Errorf("original %s took effect %d times", id, n)
		}
	}
	if !maps.EqualFunc(got, want, func(a, b *schedule.Schedule) bool { return reflect.DeepEqual(a, b) }) {
		t.Errorf("schedules after the redrive differ from the originals' effect:\n got %+v\nwant %+v", got, want)
	}
}

// Held returns the ids of the originals still held by a failure queue or
// the bucket.
func (d *Deployed) Held(t testing.TB, originals []event.Event) map[string]bool {
	t.Helper()
	var bodies []string
	for output, ref := range d.Outputs {
		if output == outputs.OnFailureBucketName {
			for _, o := range d.Fake.Objects(ref) {
				object, err := onfailure.Decode(o.Body)
				if err != nil {
					t.Fatal(err)
				}
				records, err := object.Records()
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range records {
					bodies = append(bodies, string(r.Kinesis.Data))
				}
			}
			continue
		}
		for _, m := range d.Fake.QueueMessages(ref) {
			bodies = append(bodies, m.Body)
		}
	}
	held := map[string]bool{}
	for _, ev := range originals {
		for _, b := range bodies {
			if strings.Contains(b, ev.ID) {
				held[ev.ID] = true
			}
		}
	}
	return held
}
