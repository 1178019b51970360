package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/failure"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// tenDrivers returns records upserting drivers d-0 .. d-9, one each.
func tenDrivers() []ordering.Record {
	out := make([]ordering.Record, 10)
	for i := range out {
		out[i] = upsertRecord(fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("d-%d", i), map[string]any{"n": i})
	}
	return out
}

func coalescingEngine(t *testing.T, h *schedule.Handler, sink ordering.PoisonSink) *ordering.Engine {
	t.Helper()
	eng, err := ordering.New(h, ordering.Options{Poison: sink, Logger: slog.New(slog.DiscardHandler), Coalesce: true,
		SerializeBy: schedule.PeriodPath{}.SerializeBy()})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func TestHandleChunk(t *testing.T) {
	malformed := ordering.Record{Partition: period, ID: "seq-bad", Data: []byte("not json")}
	drivers := tenDrivers()
	again := upsertRecord("e10", t0.Add(time.Hour), "d-0", map[string]any{"n": 10})
	stale := upsertRecord("e-old", t0.Add(-time.Hour), "d-0", map[string]any{"n": -1})
	tests := []struct {
		name         string
		seed         []ordering.Record
		chunk        []ordering.Record
		fetchErr     error
		putErr       error
		wantHandled  int
		wantErr      string
		wantPoisoned []int // positions reported with a permanent error
		wantFetches  int
		wantPushes   int
		wantEntities int
		// wantSuperseded are the positions reported as superseded.
		wantSuperseded []int
	}{
		{name: "ten changes: one fetch, one push", chunk: drivers,
			wantHandled: 10, wantFetches: 1, wantPushes: 1, wantEntities: 10},
		{name: "nothing new: one fetch, no push", seed: drivers, chunk: drivers,
			wantHandled: 10, wantFetches: 1, wantPushes: 0, wantEntities: 10},
		{name: "a malformed record is reported alone", chunk: []ordering.Record{drivers[0], malformed, drivers[1]},
			wantHandled: 3, wantPoisoned: []int{1}, wantFetches: 1, wantPushes: 1, wantEntities: 2},
		{name: "only malformed records: no I/O", chunk: []ordering.Record{malformed, malformed},
			wantHandled: 2, wantPoisoned: []int{0, 1}},
		{name: "a newer change of an entity supersedes the pending one", chunk: []ordering.Record{drivers[0], drivers[1], again, drivers[2]},
			wantHandled: 4, wantFetches: 1, wantPushes: 1, wantEntities: 3, wantSuperseded: []int{0}},
		{name: "a stale event of a changed entity stays in the chunk", chunk: []ordering.Record{drivers[0], stale, drivers[1]},
			wantHandled: 3, wantFetches: 1, wantPushes: 1, wantEntities: 2},
		{name: "a failed fetch fails the whole chunk", chunk: drivers, fetchErr: errors.New("HTTP 503"),
			wantHandled: 10, wantErr: "event e0: HTTP 503", wantFetches: 1},
		{name: "a failed push fails the handled records", chunk: []ordering.Record{drivers[0], drivers[1], again},
			putErr: failure.Permanent(errors.New("HTTP 400")), wantHandled: 3, wantErr: "push of 2 changes to 2026-11-28: HTTP 400", wantFetches: 1, wantPushes: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := &memClient{}
			applied := 0
			var superseded []string
			h, err := schedule.NewHandler(client, schedule.WithObserver(schedule.Observer{
				Applied: func(_ context.Context, ev event.Event, _ schedule.Change, effect schedule.Effect) {
					applied++
					if effect == schedule.EffectSuperseded {
						superseded = append(superseded, ev.ID)
					}
				},
			}))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.seed {
				if err := h.Handle(context.Background(), r); err != nil {
					t.Fatal(err)
				}
			}
			client.fetches, client.pushes, client.fetchErr, client.putErr = 0, 0, tc.fetchErr, tc.putErr
			applied = 0

			res := h.HandleChunk(context.Background(), ordering.NewChunk(context.Background(), period, tc.chunk))

			if res.Handled != tc.wantHandled {
				t.Errorf("Handled = %d, want %d", res.Handled, tc.wantHandled)
			}
			switch {
			case tc.wantErr == "" && res.Err != nil:
				t.Fatalf("Err = %v", res.Err)
			case tc.wantErr != "" && (res.Err == nil || !strings.Contains(res.Err.Error(), tc.wantErr)):
				t.Fatalf("Err = %v, want %q", res.Err, tc.wantErr)
			}
			if tc.wantErr == "" {
				var poisoned []int
				for i, err := range res.Errors {
					if err != nil {
						if !failure.IsPermanent(err) {
							t.Errorf("record %d: transient error %v in Errors", i, err)
						}
						poisoned = append(poisoned, i)
					}
				}
				if len(res.Errors) != res.Handled || !slices.Equal(poisoned, tc.wantPoisoned) {
					t.Errorf("Errors = %v, want %d entries, permanent at %v", res.Errors, res.Handled, tc.wantPoisoned)
				}
				if want := res.Handled - len(tc.wantPoisoned); applied != want {
					t.Errorf("Applied observer called %d times, want %d", applied, want)
				}
				var want []string
				for _, i := range tc.wantSuperseded {
					want = append(want, eventIDOf(t, tc.chunk[i]))
				}
				if !slices.Equal(superseded, want) {
					t.Errorf("superseded %v, want %v", superseded, want)
				}
			} else if applied != 0 {
				t.Errorf("Applied observer called %d times after a failure", applied)
			}
			if client.fetches != tc.wantFetches || client.pushes != tc.wantPushes {
				t.Errorf("fetches/pushes = %d/%d, want %d/%d", client.fetches, client.pushes, tc.wantFetches, tc.wantPushes)
			}
			if got := len(client.docs[period].Entities); got != tc.wantEntities {
				t.Errorf("stored entities = %d, want %d", got, tc.wantEntities)
			}
		})
	}
}

// TestRejectedChangeInsideAChunk: the API rejects one change with 400
// inside a coalesced chunk of 10. Only that record is poisoned; the other
// nine are applied, in order.
func TestRejectedChangeInsideAChunk(t *testing.T) {
	const bad = "e6"
	client := &memClient{reject: refusing(bad)}
	h, err := schedule.NewHandler(client)
	if err != nil {
		t.Fatal(err)
	}
	sink := &poisonList{}
	batch := tenDrivers()
	res := coalescingEngine(t, h, sink).Process(context.Background(), batch)

	for i, o := range res.Outcomes {
		want := ordering.Succeeded
		if i == 6 {
			want = ordering.Poisoned
		}
		if o != want {
			t.Errorf("record %d (%s): %v (%v), want %v", i, batch[i].ID, o, res.Errors[i], want)
		}
	}
	if !slices.Equal(sink.ids, []string{"seq-" + bad}) {
		t.Errorf("poisoned %v, want only seq-%s", sink.ids, bad)
	}
	doc := client.docs[period]
	for i := range 10 {
		_, ok := doc.Entities[schedule.EntityKey{Type: schedule.Driver, ID: fmt.Sprintf("d-%d", i)}]
		if ok == (i == 6) {
			t.Errorf("driver d-%d stored: %v", i, ok)
		}
	}
	// The coalesced attempt (1 fetch, 1 refused push), then one record at
	// a time: 10 fetches and 10 pushes, the sixth refused.
	if client.fetches != 11 || client.pushes != 11 {
		t.Errorf("fetches/pushes = %d/%d, want 11/11", client.fetches, client.pushes)
	}
}

// TestSupersededChangeIsNeverJudged: the API would reject a change (400),
// but a newer change of the same entity follows it in the chunk. The push
// carries only the newer one, which the API accepts; the rejected one is
// superseded, not poisoned.
func TestSupersededChangeIsNeverJudged(t *testing.T) {
	const bad = "e6"
	client := &memClient{reject: refusing(bad)}
	effects := map[string]schedule.Effect{}
	h, err := schedule.NewHandler(client, schedule.WithObserver(schedule.Observer{
		Applied: func(_ context.Context, ev event.Event, _ schedule.Change, effect schedule.Effect) {
			effects[ev.ID] = effect
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	sink := &poisonList{}
	fixed := upsertRecord("e6-fix", t0.Add(time.Hour), "d-6", map[string]any{"n": 66})
	batch := append(tenDrivers(), fixed)
	res := coalescingEngine(t, h, sink).Process(context.Background(), batch)

	if n := res.Count(ordering.Succeeded); n != len(batch) || len(sink.ids) != 0 {
		t.Fatalf("succeeded %d of %d, poisoned %v: want every record to succeed and none poisoned", n, len(batch), sink.ids)
	}
	if effects[bad] != schedule.EffectSuperseded || effects["e6-fix"] != schedule.EffectApplied || effects["e5"] != schedule.EffectApplied {
		t.Errorf("effects %v: want e6 superseded, e6-fix and the others applied", effects)
	}
	got := client.docs[period].Entities[schedule.EntityKey{Type: schedule.Driver, ID: "d-6"}]
	if got.Stamp.EventID != "e6-fix" {
		t.Errorf("d-6 holds %s, want the newest change e6-fix", got.Stamp.EventID)
	}
	if client.fetches != 1 || client.pushes != 1 {
		t.Errorf("fetches/pushes = %d/%d, want one of each for the whole batch", client.fetches, client.pushes)
	}
}

// TestRepeatedEntitiesCostOneFetchAndOnePush: a backlog where every period
// changes the same three entities over and over, what an outage leaves
// behind, is one chunk per period.
func TestRepeatedEntitiesCostOneFetchAndOnePush(t *testing.T) {
	client := &memClient{}
	h, err := schedule.NewHandler(client)
	if err != nil {
		t.Fatal(err)
	}
	var batch []ordering.Record
	for i := range 10 {
		batch = append(batch, upsertRecord(fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("d-%d", i%3), map[string]any{"n": i}))
	}
	res := coalescingEngine(t, h, &poisonList{}).Process(context.Background(), batch)
	if n := res.Count(ordering.Succeeded); n != len(batch) {
		t.Fatalf("succeeded %d of %d: %v", n, len(batch), res.Errors)
	}
	if client.fetches != 1 || client.pushes != 1 {
		t.Errorf("fetches/pushes = %d/%d, want 1/1", client.fetches, client.pushes)
	}
	for i := 7; i < 10; i++ {
		key := schedule.EntityKey{Type: schedule.Driver, ID: fmt.Sprintf("d-%d", i%3)}
		if got := client.docs[period].Entities[key].Stamp.EventID; got != fmt.Sprintf("e%d", i) {
			t.Errorf("%s holds %s, want its newest change e%d", key.ID, got, i)
		}
	}
}

func eventIDOf(t *testing.T, rec ordering.Record) string {
	t.Helper()
	ev, err := event.Decode(rec.Data)
	if err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

type poisonList struct{ ids []string }

func (p *poisonList) Poison(_ context.Context, rec ordering.Record, _ error) error {
	p.ids = append(p.ids, rec.ID)
	return nil
}

// refusing is an API that refuses (400) any push that newly carries the
// change of event bad.
func refusing(bad string) func(stored, pushed schedule.Schedule) error {
	return func(stored, pushed schedule.Schedule) error {
		for k, e := range pushed.Entities {
			if e.Stamp.EventID == bad && stored.Entities[k].Stamp.EventID != bad {
				return failure.Permanent(errors.New("HTTP 400: invalid shift for driver/d-6"))
			}
		}
		return nil
	}
}
