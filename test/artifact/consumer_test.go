package artifact_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/poison"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/payloads"
)

const (
	apiKey         = "artifact-test-api-key"
	poisonQueueURL = "https://sqs.eu-west-1.amazonaws.com/111122223333/orderly-poison"
	// isolatedQueueURL stands for the stack's isolated queue: the template
	// turns isolation on, and the consumer will not start without it.
	isolatedQueueURL = "https://sqs.eu-west-1.amazonaws.com/111122223333/orderly-isolated"
	// outagePeriod is answered with 503 in front of the fake API, so that
	// exactly the records of that partition fail transiently.
	outagePeriod = "2026-12-24"
)

type record struct {
	period string
	data   []byte
}

func upsert(eventID, period, entity string, version int) []byte {
	typ, id, _ := strings.Cut(entity, "/")
	return payloads.Event(eventID, schedule.DetailTypeUpserted, time.Now().Add(-time.Minute), map[string]any{
		"scheduleDate": period, "entityType": typ, "entityId": id, "version": version,
		"attributes": map[string]any{"shift": "early"},
	})
}

func remove(eventID, period, entity string, version int) []byte {
	typ, id, _ := strings.Cut(entity, "/")
	return payloads.Event(eventID, schedule.DetailTypeDeleted, time.Now().Add(-time.Minute), map[string]any{
		"scheduleDate": period, "entityType": typ, "entityId": id, "version": version,
	})
}

// mixedBatch holds, in delivery order: successes in two periods, a
// transient failure (outage) followed by a later record of the same
// period, a poison record (unknown detail-type) and a malformed one.
func mixedBatch() []record {
	return []record{
		{"2026-11-28", upsert("e1", "2026-11-28", "driver/d-1", 1)}, // 0 succeeds
		{outagePeriod, upsert("e2", outagePeriod, "driver/d-2", 1)}, // 1 fails (503)
		{"2026-11-28", payloads.Event("e3", "Schedule Entity Renamed", // 2 poisoned
			time.Now(), map[string]any{"scheduleDate": "2026-11-28"})},
		{outagePeriod, upsert("e4", outagePeriod, "vehicle/v-1", 1)}, // 3 skipped
		{"2026-11-29", remove("e5", "2026-11-29", "vehicle/v-9", 3)}, // 4 succeeds
		{"2026-11-28", upsert("e6", "2026-11-28", "driver/d-1", 2)},  // 5 succeeds after the poison
		{"2026-11-29", []byte(`{"id":"e7","detail-type":"Schedule`)}, // 6 poisoned (malformed)
	}
}

type sourceKind struct {
	name    string
	payload func(...payloads.Message) []byte
	id      func(i int) string
	// failures maps the indices the engine must retry to the exact
	// batchItemFailures the source expects.
	failures func(retry []int) []string
}

var sources = []sourceKind{
	{
		name:    "kinesis",
		payload: payloads.KinesisPayload,
		id:      kinesisSequence,
		failures: func(retry []int) []string {
			if len(retry) == 0 {
				return nil
			}
			return []string{kinesisSequence(retry[0])}
		},
	},
	{
		name:    "sqs",
		payload: payloads.SQSPayload,
		id:      sqsMessageID,
		failures: func(retry []int) []string {
			var ids []string
			for _, i := range retry {
				ids = append(ids, sqsMessageID(i))
			}
			return ids
		},
	},
}

func kinesisSequence(i int) string {
	return fmt.Sprintf("49590338271490256608559692538361571095921575989136588%03d", i)
}
func sqsMessageID(i int) string { return fmt.Sprintf("5fd1a9c4-8b1e-4c3a-9d2f-%012x", i) }

func payloadFor(src sourceKind, recs []record) []byte {
	msgs := make([]payloads.Message, len(recs))
	for i, r := range recs {
		msgs[i] = payloads.Message{Partition: r.period, ID: src.id(i), Data: r.data}
	}
	return src.payload(msgs...)
}

// assertFailures compares the whole response with the exact expected one.
func assertFailures(t *testing.T, body []byte, want []string) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("response %s is not JSON: %v", body, err)
	}
	items := []any{}
	for _, id := range want {
		items = append(items, map[string]any{"itemIdentifier": id})
	}
	if expected := map[string]any{"batchItemFailures": items}; !reflect.DeepEqual(got, expected) {
		t.Fatalf("response %s\nwant batchItemFailures %v", body, want)
	}
}

func TestBootstrapUnderEmulator(t *testing.T) {
	api, queue, env := startFakes(t)
	emu := startConsumer(t, env)

	// Every non-empty batch writes one EMF line; counting them lets each
	// check wait for the earlier batches' lines before taking its baseline.
	emfBatches := 0
	for _, src := range sources {
		t.Run(src.name+"/mixed batch", func(t *testing.T) {
			api.Reset()
			sentBefore := len(queue.Sent())
			emfBefore := emu.awaitLines(`"_aws"`, emfBatches)
			emfBatches++

			assertFailures(t, emu.invoke(t, payloadFor(src, mixedBatch())), src.failures([]int{1, 3}))

			doc, ok := api.Document("2026-11-28")
			if !ok {
				t.Fatal("period 2026-11-28 was never written")
			}
			if st := doc.Entities[schedule.EntityKey{Type: schedule.Driver, ID: "d-1"}].Stamp; st.EventID != "e6" || st.Version != 2 {
				t.Errorf("driver/d-1 stamp %+v: want e6 (version 2) applied after e1", st)
			}
			var applied []string
			for _, w := range api.History("2026-11-28") {
				applied = append(applied, w.Applied...)
			}
			// e6 changes e1's driver again in the same chunk: the one push
			// carries e6, and e1 is superseded.
			if !reflect.DeepEqual(applied, []string{"e6"}) {
				t.Errorf("2026-11-28 writes applied %v, want [e6] (e1 superseded in the same push)", applied)
			}
			if doc, ok := api.Document("2026-11-29"); !ok || !doc.Entities[schedule.EntityKey{Type: schedule.Vehicle, ID: "v-9"}].Deleted {
				t.Errorf("2026-11-29: want a tombstone for vehicle/v-9, got %+v (exists %v)", doc, ok)
			}
			if _, ok := api.Document(outagePeriod); ok {
				t.Errorf("%s written despite the outage", outagePeriod)
			}
			if st := api.Stats(); st.LostUpdates != 0 || st.Unauthorized != 0 || st.Puts != 2 {
				t.Errorf("fake API stats %+v: want 2 puts (one per written period), no lost updates, no auth failures", st)
			}

			sent := queue.Sent()[sentBefore:]
			if len(sent) != 2 {
				t.Fatalf("poison queue got %d messages, want 2", len(sent))
			}
			wantPoison := map[string]string{src.id(2): "unknown detail-type", src.id(6): "invalid JSON"}
			for _, m := range sent {
				var body poison.Message
				if err := json.Unmarshal([]byte(m.MessageBody), &body); err != nil {
					t.Fatal(err)
				}
				reason, ok := wantPoison[body.RecordID]
				if !ok || !strings.Contains(body.Reason, reason) || body.Source != src.name || m.QueueURL != poisonQueueURL || m.MessageGroupID != "" {
					t.Errorf("unexpected poison message %+v to %s", body, m.QueueURL)
				}
				delete(wantPoison, body.RecordID)
			}

			if got := emu.awaitLines(`"_aws"`, emfBefore+1) - emfBefore; got != 1 {
				t.Errorf("%d EMF lines for one batch, want 1", got)
			}
		})

		t.Run(src.name+"/fake API fault injection fails every partition", func(t *testing.T) {
			api.Reset()
			if err := api.SetFaults(fakeapi.Faults{ErrorRate: 1, Seed: 7}); err != nil {
				t.Fatal(err)
			}
			defer api.SetFaults(fakeapi.Faults{})
			batch := []record{
				{"2026-11-30", upsert("f1", "2026-11-30", "driver/d-1", 1)},
				{"2026-12-01", upsert("f2", "2026-12-01", "driver/d-2", 1)},
				{"2026-11-30", upsert("f3", "2026-11-30", "driver/d-3", 1)},
			}
			assertFailures(t, emu.invoke(t, payloadFor(src, batch)), src.failures([]int{0, 1, 2}))
			emfBatches++
			st := api.Stats()
			if st.Puts != 0 || st.Faults.ServerErrors < 2 {
				t.Errorf("fake API stats %+v: want only injected 500s (at least one per partition) and no puts", st)
			}
		})

		if src.name == "kinesis" {
			t.Run(src.name+"/10 periods x 10 records, coalesced", func(t *testing.T) {
				coalescedBatch(t, api, emu, src)
				emfBatches++
			})
		}

		t.Run(src.name+"/empty batch", func(t *testing.T) {
			assertFailures(t, emu.invoke(t, []byte(`{"Records":[]}`)), nil)
		})
	}

	// Let the last batches' output arrive, so the check reads all of it.
	emu.awaitLines(`"_aws"`, emfBatches)
	if leaked := emu.lines(apiKey); len(leaked) > 0 {
		t.Errorf("the API key appears in the function output: %q", leaked)
	}
}

// coalescedBatch sends one Kinesis batch of 10 periods x 10 records (one
// change of a distinct driver each, interleaved as a shard delivers them)
// against an API that takes 50 ms per call. The consumer coalesces by
// default: it must need at most 25 API calls (one record at a time needs
// 200), lose no update, and make each period's events take effect in
// delivery order.
func coalescedBatch(t *testing.T, api *fakeapi.Server, emu *consumer, src sourceKind) {
	api.Reset()
	if err := api.SetFaults(fakeapi.Faults{Latency: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	defer api.SetFaults(fakeapi.Faults{})
	var batch []record
	delivered := map[string][]string{} // period -> event ids in delivery order
	for i := range 10 {
		for p := range 10 {
			period := fmt.Sprintf("2027-01-%02d", 1+p)
			id := fmt.Sprintf("c-%d-%d", p, i)
			batch = append(batch, record{period, upsert(id, period, fmt.Sprintf("driver/d-%d", i), 1)})
			delivered[period] = append(delivered[period], id)
		}
	}
	started := time.Now()
	assertFailures(t, emu.invoke(t, payloadFor(src, batch)), nil)
	took := time.Since(started)

	st := api.Stats()
	t.Logf("100 records over 10 periods at 50 ms per API call: %d API calls (%d GETs, %d PUTs), %s", st.Requests, st.Gets, st.Puts, took.Round(time.Millisecond))
	if st.Requests > 25 || st.LostUpdates != 0 {
		t.Errorf("fake API stats %+v: want at most 25 API calls and no lost updates", st)
	}
	for period, want := range delivered {
		// The events of one write take effect at once; across writes they
		// must follow delivery order.
		var got []string
		for _, w := range api.History(period) {
			next := want[min(len(got), len(want)):]
			next = next[:min(len(w.Applied), len(next))]
			if !sameIDs(w.Applied, next) {
				t.Errorf("period %s: write %d applied %v, want the next events in delivery order %v", period, w.Revision, w.Applied, next)
			}
			got = append(got, next...)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("period %s: events took effect in order %v, want %v", period, got, want)
		}
	}
}

// sameIDs reports whether a and b hold the same ids, each once.
func sameIDs(a, b []string) bool {
	as, bs := slices.Clone(a), slices.Clone(b)
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs) && len(slices.Compact(as)) == len(a)
}
