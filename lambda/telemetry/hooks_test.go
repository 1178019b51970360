package telemetry_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/source"
	"github.com/orderly-dev/orderly/lambda/telemetry"
)

// jsonLines decodes every line of out.
func jsonLines(t *testing.T, out *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		lines = append(lines, line)
	}
	return lines
}

// The hooks wired as in main: each invocation's EMF line carries the lag of
// its own events, and the record's outcome line carries the event id.
func TestHooksPublishLagPerInvocationAndAnnotateRecords(t *testing.T) {
	var logs, metrics bytes.Buffer
	log := telemetry.NewLogger(&logs, slog.LevelDebug, nil)
	decoded := telemetry.EventDecoded(log)
	engine, err := ordering.New(ordering.HandlerFunc(func(ctx context.Context, rec ordering.Record) error {
		var ev event.Event
		if err := json.Unmarshal(rec.Data, &ev); err != nil {
			return err
		}
		decoded(ctx, rec, ev)
		// The record's id picks the effect the schedule handler reports.
		effect := map[string]schedule.Effect{"r1": schedule.EffectSuperseded, "r2": schedule.EffectStale, "r3": schedule.EffectApplied}[rec.ID]
		telemetry.RecordEffect(ctx, ev, schedule.Change{}, effect)
		return nil
	}), ordering.Options{Logger: log, Poison: ordering.PoisonSinkFunc(func(context.Context, ordering.Record, error) error { return nil })})
	if err != nil {
		t.Fatal(err)
	}
	publish := telemetry.PublishBatch(telemetry.NewMetrics(&metrics, nil), log)
	invoke := telemetry.TrackBatch(func(ctx context.Context, payload json.RawMessage) (any, error) {
		var recs []ordering.Record
		if err := json.Unmarshal(payload, &recs); err != nil {
			return nil, err
		}
		res := engine.Process(ctx, recs)
		publish(ctx, source.BatchReport{Source: source.Kinesis, Records: recs, Result: res})
		return nil, nil
	})

	old := time.Now().Add(-time.Hour)
	first, _ := json.Marshal([]ordering.Record{
		{Partition: "p", ID: "r1", Data: []byte(`{"id":"e1","detail-type":"t","time":"` + old.Format(time.RFC3339) + `"}`)},
		{Partition: "p", ID: "r2", Data: []byte(`{"id":"e2","detail-type":"t"}`)}, // no time: no lag
	})
	second, _ := json.Marshal([]ordering.Record{{Partition: "p", ID: "r3", Data: []byte(`{"id":"e3","detail-type":"t"}`)}})
	for _, payload := range [][]byte{first, second} {
		if _, err := invoke(context.Background(), payload); err != nil {
			t.Fatal(err)
		}
	}

	emf := jsonLines(t, &metrics)
	if len(emf) != 2 {
		t.Fatalf("%d EMF lines, want one per invocation", len(emf))
	}
	if lag, ok := emf[0]["LagMs"].(float64); !ok || lag < float64(time.Hour.Milliseconds()) {
		t.Errorf("first batch LagMs = %v, want at least an hour", emf[0]["LagMs"])
	}
	if lag, has := emf[1]["LagMs"]; has {
		t.Errorf("second batch LagMs = %v, want none: its event has no time, and the first batch's lag must not leak", lag)
	}
	if emf[0]["RecordsProcessed"] != 2.0 || emf[0]["Source"] != "kinesis" {
		t.Errorf("first EMF line %v, want 2 records processed from kinesis", emf[0])
	}
	if emf[0]["RecordsStale"] != 1.0 || emf[0]["RecordsSuperseded"] != 1.0 || emf[1]["RecordsStale"] != 0.0 || emf[1]["RecordsSuperseded"] != 0.0 {
		t.Errorf("stale/superseded per batch: %v/%v then %v/%v, want 1/1 then 0/0 (counts must not leak across invocations)",
			emf[0]["RecordsStale"], emf[0]["RecordsSuperseded"], emf[1]["RecordsStale"], emf[1]["RecordsSuperseded"])
	}

	annotated, effects, debug := map[string]any{}, map[string]any{}, 0
	for _, line := range jsonLines(t, &logs) {
		switch line["msg"] {
		case "record processed":
			annotated[line["recordId"].(string)] = line["eventId"]
			effects[line["recordId"].(string)] = line[telemetry.FieldEffect]
		case "event decoded":
			debug++
		}
	}
	want := map[string]any{"r1": "e1", "r2": "e2", "r3": "e3"}
	for id, effect := range map[string]any{"r1": "superseded", "r2": "stale", "r3": "applied"} {
		if effects[id] != effect {
			t.Errorf("outcome line of %s has effect %v, want %s", id, effects[id], effect)
		}
	}
	for id, ev := range want {
		if annotated[id] != ev {
			t.Errorf("outcome line of %s has eventId %v, want %s", id, annotated[id], ev)
		}
	}
	if debug != len(want) {
		t.Errorf("%d \"event decoded\" debug lines, want %d", debug, len(want))
	}
}
