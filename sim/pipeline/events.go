package pipeline

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/orderly-dev/orderly/lambda/schedule"
)

// Workload describes the events a run sends.
type Workload struct {
	Events     int
	Partitions int
	// EntitiesPerPartition is how many entities each period's events
	// update; few entities mean many updates of the same entity, which is
	// what exercises the stale-event guard. Default 4.
	EntitiesPerPartition int
	// PoisonRate is the share of events the consumer can never apply
	// (an unknown entity type): they must end in the poison queue.
	PoisonRate float64
	Seed       uint64
	// Source and DetailTypes must match the synthesized rules; Generate's
	// caller takes them from the rules' patterns.
	Source      string
	DetailTypes []string
	// PeriodPath is where the events carry their period: the path the
	// synthesized stacks key delivery on and pass to the consumer. The zero
	// value is schedule.DefaultPeriodPath.
	PeriodPath schedule.PeriodPath
}

// Event is one generated event and what the producer knows about it.
type Event struct {
	// Index is the send order over all events.
	Index     int
	ID        string
	Partition int
	Period    string
	// Entity is "driver/<id>" or "vehicle/<id>".
	Entity  string
	Version int64
	Deleted bool
	// Poison events carry an entity type the consumer rejects.
	Poison bool
	JSON   []byte
}

// firstPeriod is the schedule date of partition 0; partition p is p days
// later.
var firstPeriod = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// Period returns the schedule date of partition p.
func Period(p int) string { return firstPeriod.AddDate(0, 0, p).Format(time.DateOnly) }

// Generate returns the workload's events in send order. The same workload
// (seed included) gives the same events, apart from their time (the
// moment of generation, which the consumer only uses for lag metrics:
// versions order the events of an entity).
func Generate(w Workload) ([]Event, error) {
	if w.Events < 1 || w.Partitions < 1 {
		return nil, fmt.Errorf("workload: %d events over %d partitions: want at least 1 of each", w.Events, w.Partitions)
	}
	if w.PoisonRate < 0 || w.PoisonRate > 1 {
		return nil, fmt.Errorf("workload: poison rate %v: want a share from 0 to 1", w.PoisonRate)
	}
	if w.EntitiesPerPartition <= 0 {
		w.EntitiesPerPartition = 4
	}
	if w.Source == "" || len(w.DetailTypes) == 0 {
		return nil, fmt.Errorf("workload: no source or detail-types to match the rules")
	}
	upsert, deleted := schedule.DetailTypeUpserted, schedule.DetailTypeDeleted
	if !contains(w.DetailTypes, upsert) || !contains(w.DetailTypes, deleted) {
		return nil, fmt.Errorf("workload: the rules match detail-types %q, want both %q and %q", w.DetailTypes, upsert, deleted)
	}
	rng := rand.New(rand.NewPCG(w.Seed, w.Seed^0x5eed))
	at := time.Now().UTC().Truncate(time.Second)
	versions := map[string]int64{}
	events := make([]Event, w.Events)
	for i := range events {
		p := rng.IntN(w.Partitions)
		kind := "driver"
		if rng.IntN(2) == 1 {
			kind = "vehicle"
		}
		e := Event{
			Index:     i,
			ID:        uuid(rng),
			Partition: p,
			Period:    Period(p),
			Entity:    fmt.Sprintf("%s/%s-%d", kind, kind[:1], rng.IntN(w.EntitiesPerPartition)),
			Poison:    rng.Float64() < w.PoisonRate,
		}
		key := e.Period + "|" + e.Entity
		versions[key]++
		e.Version = versions[key]
		// A tenth are deletes; a later upsert of the entity revives it.
		e.Deleted = rng.IntN(10) == 0
		entityType, entityID, _ := cut(e.Entity)
		if e.Poison {
			entityType = "spaceship"
		}
		detail := map[string]any{
			"entityType": entityType,
			"entityId":   entityID,
			"version":    e.Version,
		}
		w.PeriodPath.Put(detail, e.Period)
		detailType := upsert
		if e.Deleted {
			detailType = deleted
		} else {
			detail["attributes"] = map[string]any{"seq": i, "shift": []string{"early", "late", "night"}[rng.IntN(3)]}
		}
		data, err := json.Marshal(map[string]any{
			"version":     "0",
			"id":          e.ID,
			"detail-type": detailType,
			"source":      w.Source,
			"account":     "000000000000",
			"time":        at.Format(time.RFC3339),
			"region":      localRegion,
			"resources":   []string{},
			"detail":      detail,
		})
		if err != nil {
			return nil, err
		}
		e.JSON = data
		events[i] = e
	}
	return events, nil
}

func uuid(rng *rand.Rand) string {
	a, b := rng.Uint64(), rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}

func cut(entity string) (string, string, bool) {
	for i := range len(entity) {
		if entity[i] == '/' {
			return entity[:i], entity[i+1:], true
		}
	}
	return entity, "", false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
