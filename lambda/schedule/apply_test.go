package schedule_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/schedule"
)

const period = "2026-11-28"

var (
	t0     = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	driver = schedule.EntityKey{Type: schedule.Driver, ID: "d-42"}
)

func upsert(key schedule.EntityKey, version int64, at time.Time, id, attrs string) schedule.Change {
	return schedule.Change{Op: schedule.Upsert, Period: period, Key: key, Attributes: json.RawMessage(attrs),
		Stamp: schedule.Stamp{Version: version, Time: at, EventID: id}}
}

func del(key schedule.EntityKey, version int64, at time.Time, id string) schedule.Change {
	return schedule.Change{Op: schedule.Delete, Period: period, Key: key,
		Stamp: schedule.Stamp{Version: version, Time: at, EventID: id}}
}

func TestApply(t *testing.T) {
	later := t0.Add(time.Minute)
	tests := []struct {
		name        string
		history     []schedule.Change // applied first
		change      schedule.Change
		wantChanged bool
		wantAttrs   string // "" when the entity must be a tombstone
		wantEventID string
	}{
		{"upsert into empty schedule", nil,
			upsert(driver, 0, t0, "e1", `{"n":1}`), true, `{"n":1}`, "e1"},
		{"newer upsert replaces", []schedule.Change{upsert(driver, 0, t0, "e1", `{"n":1}`)},
			upsert(driver, 0, later, "e2", `{"n":2}`), true, `{"n":2}`, "e2"},
		{"duplicate is ignored", []schedule.Change{upsert(driver, 0, t0, "e1", `{"n":1}`)},
			upsert(driver, 0, t0, "e1", `{"n":1}`), false, `{"n":1}`, "e1"},
		{"stale upsert by time is ignored", []schedule.Change{upsert(driver, 0, later, "e2", `{"n":2}`)},
			upsert(driver, 0, t0, "e1", `{"n":1}`), false, `{"n":2}`, "e2"},
		{"delete leaves tombstone", []schedule.Change{upsert(driver, 0, t0, "e1", `{"n":1}`)},
			del(driver, 0, later, "e2"), true, "", "e2"},
		{"delete of unknown entity leaves tombstone", nil,
			del(driver, 0, t0, "e1"), true, "", "e1"},
		{"stale upsert after delete is ignored", []schedule.Change{del(driver, 0, later, "e2")},
			upsert(driver, 0, t0, "e1", `{"n":1}`), false, "", "e2"},
		{"newer upsert after delete revives", []schedule.Change{del(driver, 0, t0, "e1")},
			upsert(driver, 0, later, "e2", `{"n":2}`), true, `{"n":2}`, "e2"},
		{"stale delete is ignored", []schedule.Change{upsert(driver, 0, later, "e2", `{"n":2}`)},
			del(driver, 0, t0, "e1"), false, `{"n":2}`, "e2"},
		{"version beats later time", []schedule.Change{upsert(driver, 5, t0, "e1", `{"v":5}`)},
			upsert(driver, 4, later, "e2", `{"v":4}`), false, `{"v":5}`, "e1"},
		{"higher version wins despite earlier time", []schedule.Change{upsert(driver, 4, later, "e1", `{"v":4}`)},
			upsert(driver, 5, t0, "e2", `{"v":5}`), true, `{"v":5}`, "e2"},
		{"versioned beats unversioned", []schedule.Change{upsert(driver, 1, t0, "e1", `{"v":1}`)},
			upsert(driver, 0, later, "e2", `{"v":0}`), false, `{"v":1}`, "e1"},
		{"equal version falls back to time", []schedule.Change{upsert(driver, 3, t0, "e1", `{"n":1}`)},
			upsert(driver, 3, later, "e2", `{"n":2}`), true, `{"n":2}`, "e2"},
		{"tie broken by larger event id", []schedule.Change{upsert(driver, 3, t0, "e1", `{"n":1}`)},
			upsert(driver, 3, t0, "e2", `{"n":2}`), true, `{"n":2}`, "e2"},
		{"tie loses to larger recorded event id", []schedule.Change{upsert(driver, 3, t0, "e2", `{"n":2}`)},
			upsert(driver, 3, t0, "e1", `{"n":1}`), false, `{"n":2}`, "e2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := schedule.Empty(period)
			for _, c := range tc.history {
				schedule.Apply(&s, c)
			}
			before := s.Clone()
			changed := schedule.Apply(&s, tc.change)
			if changed != tc.wantChanged {
				t.Fatalf("Apply changed = %v, want %v", changed, tc.wantChanged)
			}
			if !changed && !schedule.SameEntities(before, s) {
				t.Fatalf("Apply reported no change but modified the schedule:\nbefore %+v\nafter  %+v", before.Entities, s.Entities)
			}
			got, ok := s.Entities[tc.change.Key]
			if !ok {
				t.Fatalf("entity %s missing after Apply", tc.change.Key)
			}
			if got.Stamp.EventID != tc.wantEventID {
				t.Errorf("stamp event id = %q, want %q", got.Stamp.EventID, tc.wantEventID)
			}
			if wantTomb := tc.wantAttrs == ""; got.Deleted != wantTomb {
				t.Errorf("deleted = %v, want %v", got.Deleted, wantTomb)
			}
			if string(got.Attributes) != tc.wantAttrs {
				t.Errorf("attributes = %s, want %s", got.Attributes, tc.wantAttrs)
			}
			if len(s.Entities) != 1 {
				t.Errorf("schedule has %d entities, want 1: %v", len(s.Entities), s.Entities)
			}
		})
	}
}

func TestApplyTwiceIsIdentical(t *testing.T) {
	changes := []schedule.Change{
		upsert(driver, 0, t0, "e1", `{"n":1}`),
		del(schedule.EntityKey{Type: schedule.Vehicle, ID: "v-1"}, 2, t0, "e2"),
	}
	for _, c := range changes {
		once := schedule.Empty(period)
		schedule.Apply(&once, c)
		twice := once.Clone()
		if schedule.Apply(&twice, c) {
			t.Errorf("second Apply of %s %s reported a change", c.Op, c.Key)
		}
		a, _ := json.Marshal(once)
		b, _ := json.Marshal(twice)
		if string(a) != string(b) {
			t.Errorf("second Apply changed the document:\nonce  %s\ntwice %s", a, b)
		}
	}
}

// TestApplyIsOrderIndependent checks the consequence of a total stamp order:
// every permutation of the same events ends in the same document.
func TestApplyIsOrderIndependent(t *testing.T) {
	vehicle := schedule.EntityKey{Type: schedule.Vehicle, ID: "v-1"}
	changes := []schedule.Change{
		upsert(driver, 0, t0, "a", `{"n":1}`),
		upsert(driver, 0, t0.Add(time.Second), "b", `{"n":2}`),
		del(driver, 0, t0.Add(time.Second), "c"),
		upsert(vehicle, 2, t0, "d", `{"v":2}`),
		upsert(vehicle, 1, t0.Add(time.Hour), "e", `{"v":1}`),
	}
	var want string
	permute(changes, 0, func(order []schedule.Change) {
		s := schedule.Empty(period)
		for _, c := range order {
			schedule.Apply(&s, c)
		}
		doc, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if want == "" {
			want = string(doc)
			return
		}
		if string(doc) != want {
			t.Fatalf("order %v gave\n%s\nwant\n%s", ids(order), doc, want)
		}
	})
	for key, id := range map[schedule.EntityKey]string{driver: "c", vehicle: "d"} {
		if !strings.Contains(want, `"eventId":"`+id+`"`) {
			t.Errorf("final document %s: want %s stamped by event %s", want, key, id)
		}
	}
}

func permute(cs []schedule.Change, k int, visit func([]schedule.Change)) {
	if k == len(cs) {
		visit(cs)
		return
	}
	for i := k; i < len(cs); i++ {
		cs[k], cs[i] = cs[i], cs[k]
		permute(cs, k+1, visit)
		cs[k], cs[i] = cs[i], cs[k]
	}
}

func ids(cs []schedule.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Stamp.EventID
	}
	return out
}
