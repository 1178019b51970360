package pipeline

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/poison"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
	"github.com/orderly-dev/orderly/sim/fakeapi"
)

// fixture is a fake API and a real schedule client and handler against
// it, so that tests can apply events in any order they like.
type fixture struct {
	api     *scheduleAPI
	client  *scheduleapi.Client
	handler *schedule.Handler
	events  []Event
}

func newFixture(t *testing.T, w Workload) *fixture {
	t.Helper()
	api, err := startScheduleAPI(localAPIKey, fakeapi.Faults{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	client, err := scheduleapi.New(scheduleapi.Options{
		BaseURL: api.URL(),
		APIKey:  func(context.Context) (string, error) { return localAPIKey, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	handler, err := schedule.NewHandler(client)
	if err != nil {
		t.Fatal(err)
	}
	w.Source = "com.example.scheduling"
	w.DetailTypes = []string{schedule.DetailTypeUpserted, schedule.DetailTypeDeleted}
	events, err := Generate(w)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{api: api, client: client, handler: handler, events: events}
}

func (f *fixture) apply(t *testing.T, e Event) {
	t.Helper()
	if err := f.handler.Handle(context.Background(), ordering.Record{Partition: e.Period, ID: e.ID, Data: e.JSON}); err != nil && !e.Poison {
		t.Fatalf("event %d: %v", e.Index, err)
	}
}

func (f *fixture) evidence(poisoned ...Event) evidence {
	ev := evidence{
		events: f.events, api: f.api, sentAt: map[string]time.Time{},
		poisoned: map[string]bool{}, deadLettered: map[string]bool{},
		rank: ranks(f.events, func(a, b Event) bool { return a.Index < b.Index }),
	}
	now := time.Now()
	for _, e := range f.events {
		ev.sentAt[e.ID] = now
	}
	for _, e := range poisoned {
		ev.poisoned[e.ID] = true
	}
	return ev
}

func TestVerifyAcceptsAnInOrderRun(t *testing.T) {
	f := newFixture(t, Workload{Events: 60, Partitions: 3, PoisonRate: 0.1, Seed: 7})
	var poisoned []Event
	for _, e := range f.events {
		f.apply(t, e)
		if e.Poison {
			poisoned = append(poisoned, e)
		}
	}
	if len(poisoned) == 0 {
		t.Fatal("seed 7 produced no poison event; the test needs one")
	}
	var r Report
	verify(f.evidence(poisoned...), &r)
	if !r.OK {
		t.Fatalf("in-order run judged bad: %v (%+v)", r.Problems(), r)
	}
	if r.EventsApplied+r.PoisonDeadLettered != r.EventsSent || r.PoisonDeadLettered != len(poisoned) {
		t.Errorf("applied %d + poison %d, sent %d", r.EventsApplied, r.PoisonDeadLettered, r.EventsSent)
	}
}

// A coalescing consumer makes several events of a period take effect in one
// write (listed by entity, not by arrival): no order violation.
func TestVerifyAcceptsACoalescedRun(t *testing.T) {
	f := newFixture(t, Workload{Events: 80, Partitions: 2, EntitiesPerPartition: 20, Seed: 11})
	// What the consumer's log lines tell the harness: which events
	// succeeded without a push of their own.
	noEffect := map[string]bool{}
	superseded := 0
	handler, err := schedule.NewHandler(f.client, schedule.WithObserver(schedule.Observer{
		Applied: func(_ context.Context, ev event.Event, _ schedule.Change, effect schedule.Effect) {
			if effect != schedule.EffectApplied {
				noEffect[ev.ID] = true
			}
			if effect == schedule.EffectSuperseded {
				superseded++
			}
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := ordering.New(handler, ordering.Options{Poison: ordering.PoisonSinkFunc(func(context.Context, ordering.Record, error) error { return nil }),
		SerializeBy: schedule.PeriodPath{}.SerializeBy(), Coalesce: true})
	if err != nil {
		t.Fatal(err)
	}
	var batch []ordering.Record
	for _, e := range f.events {
		batch = append(batch, ordering.Record{Partition: e.Period, ID: e.ID, Data: e.JSON})
	}
	if res := eng.Process(context.Background(), batch); res.Count(ordering.Succeeded) != len(batch) {
		t.Fatalf("outcomes %v", res.Outcomes)
	}
	multi := 0
	for p := range 2 {
		for _, w := range f.api.History(Period(p)) {
			if len(w.Applied) > 1 {
				multi++
			}
		}
	}
	if multi == 0 || superseded == 0 {
		t.Fatalf("%d writes applied several events, %d events superseded: the test needs both", multi, superseded)
	}
	ev := f.evidence()
	ev.noEffect = noEffect
	var r Report
	verify(ev, &r)
	if !r.OK || r.OrderViolations != 0 || r.Superseded != superseded {
		t.Fatalf("coalesced in-order run judged bad (superseded %d, the consumer said %d): %v (%+v)", r.Superseded, superseded, r.Problems(), r)
	}
	// Without the consumer's word, the same events are unaccounted.
	var blind Report
	verify(f.evidence(), &blind)
	if blind.OK || blind.Unaccounted != superseded {
		t.Errorf("superseded events the consumer did not report: unaccounted %d, want %d", blind.Unaccounted, superseded)
	}
}

func TestVerifyFindsWhatWentWrong(t *testing.T) {
	cases := []struct {
		name     string
		misapply func(t *testing.T, f *fixture) // applies the events, wrongly
		check    func(r Report) bool
	}{
		{
			name: "a skipped event is unaccounted",
			misapply: func(t *testing.T, f *fixture) {
				for _, e := range f.events[1:] {
					f.apply(t, e)
				}
			},
			check: func(r Report) bool { return r.Unaccounted >= 1 },
		},
		{
			name: "two events of a period applied in the wrong order",
			misapply: func(t *testing.T, f *fixture) {
				// Swap the first two events of partition 0 that touch
				// different entities, so that both still take effect.
				var a, b = -1, -1
				for i, e := range f.events {
					if e.Partition != 0 || e.Poison {
						continue
					}
					if a < 0 {
						a = i
					} else if f.events[i].Entity != f.events[a].Entity {
						b = i
						break
					}
				}
				order := make([]Event, 0, len(f.events))
				for i, e := range f.events {
					switch i {
					case a:
						order = append(order, f.events[b])
					case b:
						order = append(order, f.events[a])
					default:
						order = append(order, e)
					}
				}
				for _, e := range order {
					f.apply(t, e)
				}
			},
			check: func(r Report) bool { return r.OrderViolations >= 1 },
		},
		{
			name: "interleaved read-modify-writes lose an update",
			misapply: func(t *testing.T, f *fixture) {
				ctx := context.Background()
				// Two events of one period, different entities: read both,
				// then write both, as two concurrent consumers would.
				var pair []Event
				for _, e := range f.events {
					if e.Partition == 1 && !e.Poison && (len(pair) == 0 || e.Entity != pair[0].Entity) {
						pair = append(pair, e)
					}
					if len(pair) == 2 {
						break
					}
				}
				var docs []schedule.Schedule
				for _, e := range pair {
					ev, err := event.Decode(e.JSON)
					if err != nil {
						t.Fatal(err)
					}
					c, err := schedule.ParseChange(ev, schedule.PeriodPath{})
					if err != nil {
						t.Fatal(err)
					}
					s, err := f.client.Fetch(ctx, c.Period)
					if err != nil {
						t.Fatal(err)
					}
					schedule.Apply(&s, c)
					docs = append(docs, s)
				}
				for _, s := range docs {
					if err := f.client.Push(ctx, s); err != nil {
						t.Fatal(err)
					}
				}
			},
			check: func(r Report) bool { return r.LostUpdates >= 1 && r.StateMismatches >= 1 },
		},
		{
			name: "an event applied twice",
			misapply: func(t *testing.T, f *fixture) {
				// Re-apply an old stamp over a newer one by pushing a stale
				// document copy: the old event takes effect again.
				ctx := context.Background()
				e0 := f.events[0]
				f.apply(t, e0)
				stale, err := f.client.Fetch(ctx, e0.Period)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range f.events[1:] {
					f.apply(t, e)
				}
				cur, err := f.client.Fetch(ctx, e0.Period)
				if err != nil {
					t.Fatal(err)
				}
				stale.Revision = cur.Revision
				for k, v := range cur.Entities {
					if _, ok := stale.Entities[k]; !ok {
						stale.Entities[k] = v
					}
				}
				if err := f.client.Push(ctx, stale); err != nil {
					t.Fatal(err)
				}
			},
			check: func(r Report) bool { return r.DuplicateEffects >= 1 },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Workload{Events: 40, Partitions: 2, Seed: 3})
			tc.misapply(t, f)
			var r Report
			verify(f.evidence(), &r)
			if r.OK || !tc.check(r) {
				t.Errorf("not detected: ok=%v problems=%v report=%+v", r.OK, r.Problems(), r)
			}
		})
	}
}

func TestEventIDOf(t *testing.T) {
	ev := `{"id":"e-1","detail-type":"Schedule Entity Upserted","detail":{}}`
	quoted, _ := json.Marshal(ev)
	cases := []struct {
		payload, want string
	}{
		{ev, "e-1"},
		{`{"messageId":"m","body":` + string(quoted) + `}`, "e-1"},
		{`{"messageId":"m","body":` + ev + `}`, "e-1"},
		{`{"messageId":"m","body":"not json"}`, ""},
		{`{"id":"x"}`, ""},
		{`[]`, ""},
	}
	for _, tc := range cases {
		got, ok := eventIDOf([]byte(tc.payload))
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("eventIDOf(%s) = %q, %v; want %q", tc.payload, got, ok, tc.want)
		}
	}
}

func TestPoisonedEventsReadsPoisonMessages(t *testing.T) {
	ev := []byte(`{"id":"e-2","detail-type":"x","detail":{}}`)
	body, err := poison.Body(poison.Message{Reason: "bad", RecordID: "r"}, ev)
	if err != nil {
		t.Fatal(err)
	}
	binary, err := poison.Body(poison.Message{Reason: "bad", RecordID: "r"}, append([]byte{0xff}, ev...))
	if err != nil {
		t.Fatal(err)
	}
	got := poisonedEvents([]string{body, binary, "garbage"})
	if !got["e-2"] || len(got) != 1 {
		t.Errorf("poisoned %v, want only e-2", got)
	}
}

func TestGenerate(t *testing.T) {
	w := Workload{Events: 2000, Partitions: 5, PoisonRate: 0.05, Seed: 11, Source: "s",
		DetailTypes: []string{schedule.DetailTypeUpserted, schedule.DetailTypeDeleted}}
	a, err := Generate(w)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(w)
	poisonCount := 0
	versions := map[string]int64{}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Entity != b[i].Entity || a[i].Poison != b[i].Poison {
			t.Fatalf("event %d differs between two generations with the same seed", i)
		}
		e := a[i]
		var doc struct {
			Detail struct {
				ScheduleDate string `json:"scheduleDate"`
				Version      int64  `json:"version"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(e.JSON, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Detail.ScheduleDate != Period(e.Partition) {
			t.Errorf("event %d: date %s for partition %d", i, doc.Detail.ScheduleDate, e.Partition)
		}
		key := e.Period + e.Entity
		if doc.Detail.Version != versions[key]+1 {
			t.Errorf("event %d: version %d after %d", i, doc.Detail.Version, versions[key])
		}
		versions[key] = doc.Detail.Version
		if e.Poison {
			poisonCount++
		}
	}
	// 5% of 2000 is 100; a share far off means the rate is not applied.
	if poisonCount < 60 || poisonCount > 140 {
		t.Errorf("%d poison events of 2000 at rate 0.05", poisonCount)
	}
	bad := []Workload{
		{Events: 0, Partitions: 1, Source: "s", DetailTypes: w.DetailTypes},
		{Events: 1, Partitions: 1, PoisonRate: 2, Source: "s", DetailTypes: w.DetailTypes},
		{Events: 1, Partitions: 1, Source: "s", DetailTypes: []string{"Other"}},
		{Events: 1, Partitions: 1, DetailTypes: w.DetailTypes},
	}
	for _, b := range bad {
		if _, err := Generate(b); err == nil {
			t.Errorf("Generate(%+v) accepted", b)
		}
	}
}

func TestGenerateCarriesThePeriodAtThePeriodPath(t *testing.T) {
	w := Workload{Events: 20, Partitions: 3, Seed: 3, Source: "s",
		DetailTypes: []string{schedule.DetailTypeUpserted, schedule.DetailTypeDeleted},
		PeriodPath:  schedule.MustPeriodPath("$.detail.schedule.date")}
	events, err := Generate(w)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		var doc struct {
			Detail json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(e.JSON, &doc); err != nil {
			t.Fatal(err)
		}
		if got, err := w.PeriodPath.Period(doc.Detail); err != nil || got != e.Period {
			t.Fatalf("event %d carries period %q (%v) at %s, want %s", e.Index, got, err, w.PeriodPath, e.Period)
		}
	}
}
