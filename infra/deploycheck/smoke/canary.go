// Package smoke proves that a deployed orderly stack keeps order: it puts a
// small burst of canary events on the bus, out of version order, waits for
// the consumer's log lines of each, replays them against the domain rules,
// and checks that no dead-letter, poison or on-failure queue got any of them.
package smoke

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// CanaryPeriod is the schedule period every canary event writes to. It is
// reserved for the smoke check: a valid YYYY-MM-DD that no real schedule
// uses, so the third party can exclude it or clean it up. Each run writes
// its own entities (CanaryEntityPrefix + run id), so runs do not interfere.
const CanaryPeriod = "1970-01-01"

// CanaryEntityPrefix starts the entity id of every canary entity.
const CanaryEntityPrefix = "orderly-smoke-"

// canaryEvent is one event of the burst.
type canaryEvent struct {
	entity  string // "a" or "b"
	version int64
	op      schedule.Op
	// set once sent
	id string
	ev event.Event
}

func (c canaryEvent) String() string {
	return fmt.Sprintf("%s of %s v%d (event %s)", c.op, c.entity, c.version, c.id)
}

// burst is the canary, in the order it is sent: versions out of order, a
// delete overtaken by an older upsert, so that both applied and stale
// outcomes are expected whatever order the events arrive in.
func burst() []*canaryEvent {
	return []*canaryEvent{
		{entity: "a", version: 2, op: schedule.Upsert},
		{entity: "b", version: 3, op: schedule.Upsert},
		{entity: "a", version: 1, op: schedule.Upsert},
		{entity: "a", version: 4, op: schedule.Delete},
		{entity: "b", version: 1, op: schedule.Upsert},
		{entity: "a", version: 3, op: schedule.Upsert},
		{entity: "b", version: 2, op: schedule.Upsert},
	}
}

// detail builds the event's detail and detail-type.
func (c *canaryEvent) detail(run string, period schedule.PeriodPath) (detailType string, detail []byte) {
	d := map[string]any{
		"entityType": string(schedule.Vehicle),
		"entityId":   CanaryEntityPrefix + run + "-" + c.entity,
		"version":    c.version,
	}
	period.Put(d, CanaryPeriod)
	detailType = schedule.DetailTypeDeleted
	if c.op == schedule.Upsert {
		detailType = schedule.DetailTypeUpserted
		d["attributes"] = map[string]any{"smokeRun": run}
	}
	detail, _ = json.Marshal(d)
	return detailType, detail
}

// sent records what EventBridge accepted, as the consumer will decode it.
func (c *canaryEvent) sent(id, source, detailType string, detail []byte, at time.Time) {
	c.id = id
	c.ev = event.Event{ID: id, Source: source, DetailType: detailType, Time: at, Detail: detail}
}
