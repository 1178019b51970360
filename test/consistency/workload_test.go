package consistency_test

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/payloads"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// genEvent is one message of a generated stream.
type genEvent struct {
	period string
	group  string // FIFO message group (static-group routing by detail.partition)
	data   []byte
	valid  bool
	change schedule.Change // the model's view; only when valid
}

// workload is a random stream of schedule events in delivery order.
type workload struct {
	seed    uint64
	periods []string
	events  []genEvent
}

type entityState struct {
	versioned bool
	version   int64
	at        time.Time
}

// generate builds a stream over 1..maxPeriods periods with minEvents to
// maxEvents events: upserts and deletes of a few entities per period, stale events
// (older stamps than already sent), stamp ties, exact duplicates and a few
// malformed events. The model's Change is built from the generator's own
// values, not by parsing, so that parsing is under test too.
func generate(seed uint64, maxPeriods, minEvents, maxEvents int, poison bool) workload {
	rng := rand.New(rand.NewPCG(seed, seed^0xa5a5a5a5))
	w := workload{seed: seed}
	for i := range 1 + rng.IntN(maxPeriods) {
		w.periods = append(w.periods, t0.AddDate(0, 0, i+1).Format(time.DateOnly))
	}
	nGroups := 1 + rng.IntN(3)
	keys := []schedule.EntityKey{
		{Type: schedule.Driver, ID: "d-1"}, {Type: schedule.Driver, ID: "d-2"}, {Type: schedule.Driver, ID: "d/3"},
		{Type: schedule.Vehicle, ID: "v-1"}, {Type: schedule.Vehicle, ID: "v-2"},
	}
	state := map[string]*entityState{}
	n := minEvents + rng.IntN(maxEvents-minEvents+1)
	for i := range n {
		pi := rng.IntN(len(w.periods))
		period := w.periods[pi]
		group := fmt.Sprintf("partition-%d", pi%nGroups)
		switch r := rng.Float64(); {
		case r < 0.08 && len(w.events) > 0:
			// An at-least-once duplicate of an earlier event of any period.
			w.events = append(w.events, w.events[rng.IntN(len(w.events))])
			continue
		case poison && r < 0.12:
			w.events = append(w.events, genEvent{period: period, group: group, data: malformed(rng, i, period)})
			continue
		}
		key := keys[rng.IntN(len(keys))]
		st := state[period+key.String()]
		if st == nil {
			st = &entityState{versioned: rng.IntN(2) == 0, version: 10, at: t0}
			state[period+key.String()] = st
		}
		stamp := schedule.Stamp{EventID: fmt.Sprintf("ev-%016x", rng.Uint64())}
		switch r := rng.Float64(); {
		case r < 0.7: // newer
			st.version += 1 + rng.Int64N(2)
			st.at = st.at.Add(time.Duration(1+rng.IntN(60)) * time.Second)
		case r < 0.9: // stale: EventBridge delivered it after a newer one
			st.version = max(st.version-1-rng.Int64N(2), 1)
			st.at = st.at.Add(-time.Duration(1+rng.IntN(60)) * time.Second)
		default: // tie on version/time: the event id decides
		}
		stamp.Time = st.at
		detail := map[string]any{"scheduleDate": period, "partition": pi % nGroups, "entityType": key.Type, "entityId": key.ID}
		if st.versioned {
			stamp.Version = st.version
			detail["version"] = st.version
			// Versioned producers' times are unrelated to the order.
			stamp.Time = t0.Add(time.Duration(rng.IntN(3600)) * time.Second)
		}
		c := schedule.Change{Op: schedule.Upsert, Period: period, Key: key, Stamp: stamp}
		detailType := schedule.DetailTypeUpserted
		if rng.IntN(4) == 0 {
			c.Op, detailType = schedule.Delete, schedule.DetailTypeDeleted
		} else {
			attrs := map[string]any{"seq": i, "note": fmt.Sprintf("<%s & %d>", key.ID, rng.IntN(100))}
			detail["attributes"] = attrs
			c.Attributes, _ = json.Marshal(attrs)
		}
		w.events = append(w.events, genEvent{period: period, group: group, valid: true, change: c,
			data: payloads.Event(stamp.EventID, detailType, stamp.Time, detail)})
	}
	return w
}

func malformed(rng *rand.Rand, i int, period string) []byte {
	id := fmt.Sprintf("bad-%d-%x", i, rng.Uint32())
	switch rng.IntN(3) {
	case 0:
		return []byte(`{"not":"an event"`)
	case 1:
		return payloads.Event(id, "Schedule Entity Renamed", t0, map[string]any{"scheduleDate": period})
	default:
		return payloads.Event(id, schedule.DetailTypeUpserted, t0, map[string]any{"scheduleDate": period, "entityType": "bus", "entityId": "b-1", "attributes": map[string]any{}})
	}
}

// expected computes, independently of package schedule's Apply, what a
// correct consumer must reach: in each period, an event takes effect iff
// its stamp is newer than every earlier (in delivery order) event of the
// same entity. It returns the final documents and, per period, the ids of
// the events that took effect, in order.
func (w workload) expected() (map[string]schedule.Schedule, map[string][]string) {
	docs := map[string]schedule.Schedule{}
	applied := map[string][]string{}
	for _, e := range w.events {
		if !e.valid {
			continue
		}
		c := e.change
		s, ok := docs[e.period]
		if !ok {
			s = schedule.Empty(e.period)
			docs[e.period] = s
		}
		if cur, ok := s.Entities[c.Key]; ok && !newer(c.Stamp, cur.Stamp) {
			continue
		}
		next := schedule.Entity{Stamp: c.Stamp, Deleted: c.Op == schedule.Delete}
		if !next.Deleted {
			next.Attributes = c.Attributes
		}
		s.Entities[c.Key] = next
		applied[e.period] = append(applied[e.period], c.Stamp.EventID)
	}
	return docs, applied
}

// newer is the documented stamp order, restated: version (absent = 0), then
// time, then event id.
func newer(a, b schedule.Stamp) bool {
	switch {
	case a.Version != b.Version:
		return a.Version > b.Version
	case !a.Time.Equal(b.Time):
		return a.Time.After(b.Time)
	default:
		return a.EventID > b.EventID
	}
}

// unit maps (seed, name, n) to a uniform float in [0, 1), so that a fault
// decision depends on which record and which attempt it is, not on how the
// goroutines happened to interleave.
func unit(seed uint64, name string, n int) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%d", seed, name, n)
	return float64(h.Sum64()>>11) / (1 << 53)
}

// entities maps each valid event's id to its entity.
func (w workload) entities() map[string]schedule.EntityKey {
	out := map[string]schedule.EntityKey{}
	for _, e := range w.events {
		if e.valid {
			out[e.change.Stamp.EventID] = e.change.Key
		}
	}
	return out
}
