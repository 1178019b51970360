package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/failure"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// memClient is an in-memory Client that counts calls and can fail them.
type memClient struct {
	mu               sync.Mutex
	docs             map[string]schedule.Schedule
	fetches, pushes  int
	fetchErr, putErr error
	// reject, when set, answers a push as the API would judge its content
	// against the stored document.
	reject func(stored, pushed schedule.Schedule) error
	// latency is slept before every call, outside the lock, as network
	// round trips to one API overlap.
	latency time.Duration
}

func (m *memClient) Fetch(_ context.Context, p string) (schedule.Schedule, error) {
	time.Sleep(m.latency)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fetches++
	if m.fetchErr != nil {
		return schedule.Schedule{}, m.fetchErr
	}
	if d, ok := m.docs[p]; ok {
		return d.Clone(), nil
	}
	return schedule.Empty(p), nil
}

func (m *memClient) Push(_ context.Context, s schedule.Schedule) error {
	time.Sleep(m.latency)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pushes++
	if m.putErr != nil {
		return m.putErr
	}
	if m.docs == nil {
		m.docs = map[string]schedule.Schedule{}
	}
	if m.reject != nil {
		if err := m.reject(m.docs[s.Period], s); err != nil {
			return err
		}
	}
	s.Revision++
	m.docs[s.Period] = s.Clone()
	return nil
}

// eventJSON renders an EventBridge event as producers put it on the bus.
func eventJSON(id, detailType string, at time.Time, detail map[string]any) []byte {
	d, err := json.Marshal(detail)
	if err != nil {
		panic(err)
	}
	out, err := json.Marshal(event.Event{Version: "0", ID: id, Source: "orderly.test", DetailType: detailType, Time: at, Detail: d})
	if err != nil {
		panic(err)
	}
	return out
}

func upsertRecord(id string, at time.Time, entityID string, attrs map[string]any) ordering.Record {
	return ordering.Record{Partition: period, ID: "seq-" + id, Data: eventJSON(id, schedule.DetailTypeUpserted, at,
		map[string]any{"scheduleDate": period, "entityType": "driver", "entityId": entityID, "attributes": attrs})}
}

func TestHandler(t *testing.T) {
	transient := errors.New("connection reset")
	valid := upsertRecord("e1", t0, "d-42", map[string]any{"n": 1})
	tests := []struct {
		name        string
		seed        []ordering.Record // handled first, must succeed
		rec         ordering.Record
		fetchErr    error
		putErr      error
		wantErr     string // "", "transient" or "permanent"
		wantMsg     string
		wantFetches int
		wantPushes  int
		wantDecoded bool
		wantChanged bool
	}{
		{name: "new event is fetched, applied and pushed", rec: valid,
			wantFetches: 1, wantPushes: 1, wantDecoded: true, wantChanged: true},
		{name: "duplicate costs a read, not a write", seed: []ordering.Record{valid}, rec: valid,
			wantFetches: 1, wantPushes: 0, wantDecoded: true},
		{name: "stale event costs a read, not a write", seed: []ordering.Record{upsertRecord("e2", t0.Add(time.Hour), "d-42", map[string]any{"n": 2})}, rec: valid,
			wantFetches: 1, wantPushes: 0, wantDecoded: true},
		{name: "undecodable record is permanent without I/O", rec: ordering.Record{Partition: period, ID: "seq-x", Data: []byte("not json")},
			wantErr: "permanent", wantMsg: "record seq-x: decode event"},
		{name: "invalid change is permanent without I/O",
			rec:     ordering.Record{Partition: period, ID: "seq-y", Data: eventJSON("e9", "Schedule Exploded", t0, map[string]any{"scheduleDate": period})},
			wantErr: "permanent", wantMsg: `event e9: unknown detail-type "Schedule Exploded"`, wantDecoded: true},
		{name: "fetch error keeps its class", rec: valid, fetchErr: fmt.Errorf("fetch schedule %s: %w", period, transient),
			wantErr: "transient", wantMsg: "event e1: fetch schedule", wantFetches: 1, wantDecoded: true},
		{name: "push error keeps its class", rec: valid, putErr: failure.Permanent(errors.New("HTTP 400")),
			wantErr: "permanent", wantMsg: "event e1: HTTP 400", wantFetches: 1, wantPushes: 1, wantDecoded: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := &memClient{}
			var decoded []string
			var changed []bool // one entry per Applied call: was it EffectApplied
			h, err := schedule.NewHandler(client, schedule.WithObserver(schedule.Observer{
				Decoded: func(_ context.Context, rec ordering.Record, ev event.Event) {
					decoded = append(decoded, rec.ID+"/"+ev.ID)
				},
				Applied: func(_ context.Context, _ event.Event, _ schedule.Change, effect schedule.Effect) {
					if effect == schedule.EffectSuperseded {
						t.Errorf("Handle reported %s: only a coalesced chunk can supersede", effect)
					}
					changed = append(changed, effect == schedule.EffectApplied)
				},
			}))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.seed {
				if err := h.Handle(context.Background(), r); err != nil {
					t.Fatalf("seeding: %v", err)
				}
			}
			client.fetches, client.pushes, client.fetchErr, client.putErr = 0, 0, tc.fetchErr, tc.putErr
			decoded, changed = nil, nil

			err = h.Handle(context.Background(), tc.rec)

			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Handle: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("Handle succeeded, want a %s error", tc.wantErr)
			case err != nil && failure.IsPermanent(err) != (tc.wantErr == "permanent"):
				t.Fatalf("Handle error %v: permanent = %v, want %s", err, failure.IsPermanent(err), tc.wantErr)
			case err != nil && !strings.Contains(err.Error(), tc.wantMsg):
				t.Fatalf("Handle error %q does not mention %q", err, tc.wantMsg)
			}
			if client.fetches != tc.wantFetches || client.pushes != tc.wantPushes {
				t.Errorf("fetches/pushes = %d/%d, want %d/%d", client.fetches, client.pushes, tc.wantFetches, tc.wantPushes)
			}
			if got := len(decoded) == 1; got != tc.wantDecoded {
				t.Errorf("Decoded observer calls = %v, want one call: %v", decoded, tc.wantDecoded)
			}
			if tc.wantDecoded && len(decoded) == 1 && !strings.HasPrefix(decoded[0], tc.rec.ID+"/") {
				t.Errorf("Decoded observer saw %q, want record %s", decoded[0], tc.rec.ID)
			}
			wantApplied := tc.wantErr == ""
			if (len(changed) == 1) != wantApplied || (wantApplied && changed[0] != tc.wantChanged) {
				t.Errorf("Applied observer calls = %v, want one call with changed=%v: %v", changed, tc.wantChanged, wantApplied)
			}
		})
	}
}

func TestNewHandlerNeedsClient(t *testing.T) {
	if _, err := schedule.NewHandler(nil); err == nil {
		t.Fatal("NewHandler(nil) succeeded")
	}
}
