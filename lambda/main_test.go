package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/poison"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/telemetry"
	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/payloads"
)

const (
	apiKey       = "test-api-key"
	outagePeriod = "2026-12-24" // the fake API answers 503 for this period
)

const (
	poisonQueueURL   = "https://sqs.eu-west-1.amazonaws.com/111122223333/orderly-poison"
	isolatedQueueURL = "https://sqs.eu-west-1.amazonaws.com/111122223333/orderly-isolated"
)

type wiring struct {
	api    *fakeapi.Server
	sqs    *fakeaws.Server
	invoke telemetry.LambdaHandler
	out    *bytes.Buffer
}

func wire(t *testing.T) wiring { t.Helper(); return wireWith(t, nil) }

// wireWith wires the consumer with extra environment on top of the base.
func wireWith(t *testing.T, extra map[string]string) wiring {
	t.Helper()
	api, err := fakeapi.New(fakeapi.Options{APIKey: apiKey})
	if err != nil {
		t.Fatal(err)
	}
	apiSrv := httptest.NewServer(fakeapi.Outage(api, outagePeriod))
	t.Cleanup(func() { api.Close(); apiSrv.Close() })
	sqsFake := fakeaws.New()
	t.Cleanup(sqsFake.Close)
	sqsFake.AddQueue(poisonQueueURL)
	sqsFake.AddQueue(isolatedQueueURL)
	// The SQS records below are hand-made: the event queue only takes the
	// retry backoff's visibility changes.
	sqsFake.Attach("orderly-events.fifo", fakeaws.AcceptVisibility)

	// The SDK reads these from the process environment, as in Lambda.
	for k, v := range map[string]string{
		"AWS_REGION":                  "eu-west-1",
		"AWS_ACCESS_KEY_ID":           "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_ENDPOINT_URL_SQS":        sqsFake.URL(),
		"AWS_ENDPOINT_URL":            "",
	} {
		t.Setenv(k, v)
	}
	env := map[string]string{
		"SCHEDULE_API_BASE_URL": apiSrv.URL,
		"SCHEDULE_API_KEY":      apiKey,
		"POISON_QUEUE_URL":      poisonQueueURL,
		// As FifoStack sets them by default.
		"ORDERLY_RETRY_BACKOFF_BASE_SECONDS": "1",
		"ORDERLY_RETRY_BACKOFF_MAX_SECONDS":  "60",
	}
	maps.Copy(env, extra)
	var out bytes.Buffer
	invoke, err := setup(context.Background(), func(k string) string { return env[k] }, &out, loadAWSConfig)
	if err != nil {
		t.Fatal(err)
	}
	return wiring{api: api, sqs: sqsFake, invoke: invoke, out: &out}
}

type msg struct {
	period, id string
	data       []byte
}

func upsert(eventID, period, entity string, version int) []byte {
	typ, id, _ := strings.Cut(entity, "/")
	return payloads.Event(eventID, schedule.DetailTypeUpserted, time.Now().Add(-time.Minute), map[string]any{
		"scheduleDate": period, "entityType": typ, "entityId": id, "version": version, "attributes": map[string]any{"shift": "early"},
	})
}

func scenario() []msg {
	return []msg{
		{"2026-11-28", "m1", upsert("e1", "2026-11-28", "driver/d-1", 1)},
		{outagePeriod, "m2", upsert("e2", outagePeriod, "driver/d-2", 1)},
		{"2026-11-28", "m3", payloads.Event("e3", "Schedule Entity Renamed", time.Now(), map[string]any{"scheduleDate": "2026-11-28"})},
		{outagePeriod, "m4", upsert("e4", outagePeriod, "vehicle/v-1", 1)},
		{"2026-11-29", "m5", upsert("e5", "2026-11-29", "vehicle/v-9", 3)},
		{"2026-11-28", "m6", upsert("e6", "2026-11-28", "driver/d-1", 2)},
	}
}

func TestWiredConsumerProcessesBothSources(t *testing.T) {
	tests := []struct {
		name         string
		payload      func(...payloads.Message) []byte
		id           func(i int, m msg) string
		wantFailures []string
		wantSource   string
	}{
		{"kinesis", payloads.KinesisPayload, func(i int, _ msg) string {
			return "4959000000000000000000000000000000000000000000000" + string(rune('0'+i))
		},
			[]string{"49590000000000000000000000000000000000000000000001"}, "kinesis"},
		{"sqs", payloads.SQSPayload, func(_ int, m msg) string { return m.id },
			[]string{"m2", "m4"}, "sqs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := wire(t)
			var msgs []payloads.Message
			ids := map[string]string{}
			for i, m := range scenario() {
				msgs = append(msgs, payloads.Message{Partition: m.period, ID: tc.id(i, m), Data: m.data})
				ids[m.id] = tc.id(i, m)
			}
			if got := invokeIDs(t, w, tc.payload, msgs...); !slices.Equal(got, tc.wantFailures) {
				t.Fatalf("batchItemFailures %v, want %v", got, tc.wantFailures)
			}

			// Third-party state: both good periods written, in order, the
			// outage period untouched.
			doc, ok := w.api.Document("2026-11-28")
			if !ok {
				t.Fatal("period 2026-11-28 was never written")
			}
			d1 := doc.Entities[schedule.EntityKey{Type: schedule.Driver, ID: "d-1"}]
			if d1.Stamp.EventID != "e6" || d1.Stamp.Version != 2 {
				t.Errorf("driver/d-1 stamp %+v, want event e6 version 2", d1.Stamp)
			}
			if _, ok := w.api.Document("2026-11-29"); !ok {
				t.Error("period 2026-11-29 was never written")
			}
			if _, ok := w.api.Document(outagePeriod); ok {
				t.Errorf("period %s written despite the outage", outagePeriod)
			}
			if st := w.api.Stats(); st.LostUpdates != 0 || st.Unauthorized != 0 {
				t.Errorf("fake API stats %+v: want no lost updates and no auth failures", st)
			}

			// Poison queue: exactly the unknown detail-type.
			sent := w.sqs.Sent()
			if len(sent) != 1 {
				t.Fatalf("poison queue got %d messages, want 1", len(sent))
			}
			var body poison.Message
			if err := json.Unmarshal([]byte(sent[0].MessageBody), &body); err != nil {
				t.Fatal(err)
			}
			if body.RecordID != ids["m3"] || body.Source != tc.wantSource || !strings.Contains(body.Reason, "unknown detail-type") {
				t.Errorf("poison message %+v, want record %s from %s with the reason", body, ids["m3"], tc.wantSource)
			}

			// SQS retry backoff: the reported messages, first received, are
			// visible again after the 1 s base; Kinesis has no such call.
			var changed []string
			for _, c := range w.sqs.VisibilityChanges() {
				changed = append(changed, c.ReceiptHandle)
				if c.QueueURL != "https://sqs.eu-west-1.amazonaws.com/111122223333/orderly-events.fifo" || c.VisibilityTimeout != 1 {
					t.Errorf("visibility change %+v, want 1 s on the event source queue", c)
				}
			}
			var wantChanged []string
			if tc.wantSource == "sqs" {
				wantChanged = []string{"AQEB" + ids["m2"], "AQEB" + ids["m4"]}
			}
			if !slices.Equal(changed, wantChanged) {
				t.Errorf("visibility changed for %v, want %v", changed, wantChanged)
			}

			emf := findEMF(t, w.out.Bytes())
			want := map[string]any{"Source": tc.wantSource, "RecordsProcessed": 3.0, "RecordsFailed": 1.0, "RecordsPoisoned": 1.0, "RecordsSkipped": 1.0,
				"RecordsStale": 0.0, "RecordsSuperseded": 1.0}
			for k, v := range want {
				if emf[k] != v {
					t.Errorf("EMF %s = %v, want %v", k, emf[k], v)
				}
			}
			if lag, ok := emf["LagMs"].(float64); !ok || lag < 59_000 {
				t.Errorf("EMF LagMs = %v, want the age of the oldest event (about a minute)", emf["LagMs"])
			}
			if strings.Contains(w.out.String(), apiKey) {
				t.Error("the API key appears in the output")
			}
			// e6 changes e1's driver again in the same chunk: the push
			// carries e6 only.
			wantEffects := map[string]string{"e1": string(schedule.EffectSuperseded), "e5": string(schedule.EffectApplied), "e6": string(schedule.EffectApplied)}
			if got := effects(t, w.out.Bytes()); !maps.Equal(got, wantEffects) {
				t.Errorf("effects of succeeded records %v, want %v", got, wantEffects)
			}
		})
	}
}

// effects maps the event id of every succeeded record's log line to its effect.
func effects(t *testing.T, out []byte) map[string]string {
	t.Helper()
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil || line[slog.MessageKey] != ordering.LogRecordProcessed {
			continue
		}
		if line[ordering.LogOutcome] == ordering.Succeeded.String() {
			id, _ := line[telemetry.FieldEventID].(string)
			got[id], _ = line[telemetry.FieldEffect].(string)
		}
	}
	return got
}

func findEMF(t *testing.T, out []byte) map[string]any {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["_aws"] != nil {
			return line
		}
	}
	t.Fatalf("no EMF line in output:\n%s", out)
	return nil
}

func TestSetupFailsClearly(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no configuration", map[string]string{}, "SCHEDULE_API_BASE_URL is required"},
		{"no API key", map[string]string{"SCHEDULE_API_BASE_URL": "https://api.example.com", "POISON_QUEUE_URL": "https://sqs.example.com/1/q"}, "SCHEDULE_API_KEY_SECRET_ARN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := setup(context.Background(), func(k string) string { return tc.env[k] }, &bytes.Buffer{}, loadAWSConfig)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("setup error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// invokeIDs invokes w with msgs and returns the response's failures.
func invokeIDs(t *testing.T, w wiring, payload func(...payloads.Message) []byte, msgs ...payloads.Message) []string {
	t.Helper()
	out, err := w.invoke(context.Background(), payload(msgs...))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	raw, _ := json.Marshal(out)
	var resp struct {
		BatchItemFailures []struct{ ItemIdentifier string } `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	return got
}

// TestWiredConsumerIsolatesAPeriodThatFailsAlone: the outage period fails
// while another period succeeds for the isolation age (1 s here), and then
// the outage period's record (days old, as the payloads' arrival is fixed)
// leaves the line for the isolated queue with the whole event; the
// period's next record is processed, and isolated too.
func TestWiredConsumerIsolatesAPeriodThatFailsAlone(t *testing.T) {
	for _, src := range []struct {
		name    string
		payload func(...payloads.Message) []byte
	}{{"kinesis", payloads.KinesisPayload}, {"sqs", payloads.SQSPayload}} {
		t.Run(src.name, func(t *testing.T) {
			// 1 s: the period must fail alone that long, in real time.
			w := wireWith(t, map[string]string{"ORDERLY_ISOLATE_AFTER_SECONDS": "1", "ISOLATED_QUEUE_URL": isolatedQueueURL})
			broken := payloads.Message{Partition: outagePeriod, ID: "1001", Data: upsert("e2", outagePeriod, "driver/d-2", 1)}
			next := payloads.Message{Partition: outagePeriod, ID: "1002", Data: upsert("e4", outagePeriod, "vehicle/v-1", 1)}
			good := payloads.Message{Partition: "2026-11-28", ID: "1003", Data: upsert("e1", "2026-11-28", "driver/d-1", 1)}
			if got := invokeIDs(t, w, src.payload, broken); !slices.Equal(got, []string{"1001"}) {
				t.Fatalf("first failure: failures %v, want the record retried (nothing else has succeeded yet)", got)
			}
			if got := invokeIDs(t, w, src.payload, good); len(got) != 0 {
				t.Fatalf("good period: failures %v", got)
			}
			if got := invokeIDs(t, w, src.payload, broken); !slices.Equal(got, []string{"1001"}) {
				t.Fatalf("failing alone: failures %v, want the record retried (it has not failed alone for 1 s yet)", got)
			}
			time.Sleep(1100 * time.Millisecond)
			if got := invokeIDs(t, w, src.payload, good); len(got) != 0 {
				t.Fatalf("good period again: failures %v", got)
			}
			got := invokeIDs(t, w, src.payload, broken, next)
			if len(got) != 0 {
				t.Fatalf("failures %v, want none: both records of the failing period isolated", got)
			}
			var isolated []poison.Message
			for _, m := range w.sqs.Sent() {
				if m.QueueURL != isolatedQueueURL {
					continue
				}
				var body poison.Message
				if err := json.Unmarshal([]byte(m.MessageBody), &body); err != nil {
					t.Fatal(err)
				}
				isolated = append(isolated, body)
			}
			if len(isolated) != 2 || isolated[0].RecordID != "1001" || isolated[1].RecordID != "1002" {
				t.Fatalf("isolated %+v, want records 1001 and 1002 in order", isolated)
			}
			m := isolated[0]
			if m.Kind != poison.KindIsolated || m.Period != outagePeriod || m.ArrivedAt == nil || !strings.Contains(m.LastError, "503") ||
				string(m.Payload) != string(broken.Data) {
				t.Errorf("isolated message %+v, want the period, the arrival, the 503 and the whole event", m)
			}
			if !strings.Contains(w.out.String(), `"RecordsIsolated":2`) {
				t.Errorf("no EMF line counts the 2 isolated records:\n%s", w.out.String())
			}
		})
	}
}

// TestWiredConsumerHoldsWhenNothingSucceeds: with no other period's
// success to contradict it, a failure looks vendor-wide: nothing is
// isolated, and the SQS messages are held for the outage hold (up to 20%
// longer) instead of the 1 s backoff.
func TestWiredConsumerHoldsWhenNothingSucceeds(t *testing.T) {
	w := wireWith(t, map[string]string{"ORDERLY_ISOLATE_AFTER_SECONDS": "60", "ISOLATED_QUEUE_URL": isolatedQueueURL, "ORDERLY_OUTAGE_HOLD_SECONDS": "180"})
	msgs := []payloads.Message{
		{Partition: outagePeriod, ID: "m2", Data: upsert("e2", outagePeriod, "driver/d-2", 1)},
		{Partition: outagePeriod, ID: "m4", Data: upsert("e4", outagePeriod, "vehicle/v-1", 1)},
	}
	for range 2 {
		if got := invokeIDs(t, w, payloads.SQSPayload, msgs...); !slices.Equal(got, []string{"m2", "m4"}) {
			t.Fatalf("failures %v, want both retried", got)
		}
	}
	changes := w.sqs.VisibilityChanges()
	if len(changes) != 4 {
		t.Fatalf("%d visibility changes, want 4", len(changes))
	}
	for _, c := range changes {
		if c.VisibilityTimeout < 180 || c.VisibilityTimeout > 216 {
			t.Errorf("visibility %d s for %s, want the 180 s hold (up to 216 s)", c.VisibilityTimeout, c.ReceiptHandle)
		}
	}
	for _, m := range w.sqs.Sent() {
		if m.QueueURL == isolatedQueueURL {
			t.Errorf("isolated %s during what looks like an outage", m.MessageBody)
		}
	}
	if !strings.Contains(w.out.String(), `"FailuresVendorWide":1`) {
		t.Errorf("no EMF line counts the vendor-wide failure:\n%s", w.out.String())
	}
}

// TestWiredConsumerProbesWhenTheFailingPeriodIsRetriedAlone: as on a
// one-shard stream, only the failing period's record comes back; the probe
// of the period that succeeded before shows the API answering, so the
// record is isolated after the isolation age all the same.
func TestWiredConsumerProbesWhenTheFailingPeriodIsRetriedAlone(t *testing.T) {
	w := wireWith(t, map[string]string{"ORDERLY_ISOLATE_AFTER_SECONDS": "1", "ISOLATED_QUEUE_URL": isolatedQueueURL})
	good := payloads.Message{Partition: "2026-11-28", ID: "1003", Data: upsert("e1", "2026-11-28", "driver/d-1", 1)}
	broken := payloads.Message{Partition: outagePeriod, ID: "1001", Data: upsert("e2", outagePeriod, "driver/d-2", 1)}
	if got := invokeIDs(t, w, payloads.KinesisPayload, good); len(got) != 0 {
		t.Fatalf("good period: failures %v", got)
	}
	if got := invokeIDs(t, w, payloads.KinesisPayload, broken); !slices.Equal(got, []string{"1001"}) {
		t.Fatalf("failures %v, want the record retried: it has not failed alone for 1 s yet", got)
	}
	time.Sleep(1100 * time.Millisecond)
	if got := invokeIDs(t, w, payloads.KinesisPayload, broken); len(got) != 0 {
		t.Fatalf("failures %v, want none: the record isolated", got)
	}
	if !strings.Contains(w.out.String(), `"RecordsIsolated":1`) {
		t.Errorf("no EMF line counts the isolated record:\n%s", w.out.String())
	}
}
