package schedule

import (
	"cmp"
	"time"
)

// Stamp orders the events applied to one entity. EventBridge does not
// guarantee delivery in emission order, so the consumer keeps, per entity,
// the stamp of the last event it applied and ignores anything not newer.
//
// Stamps compare by Version (absent counts as 0), then by Time, then by
// EventID. This is a total order, so the surviving state of an entity does
// not depend on the order in which events arrive: producers that send
// versions get version order, producers that do not get event-time order,
// and equal keys fall back to the event id so that two different events
// never tie. An event with a version always beats one without.
type Stamp struct {
	Version int64     `json:"version,omitempty"`
	Time    time.Time `json:"time"`
	EventID string    `json:"eventId"`
}

// Compare returns -1, 0 or +1 as s is older than, equal to or newer than o.
func (s Stamp) Compare(o Stamp) int {
	if c := cmp.Compare(s.Version, o.Version); c != 0 {
		return c
	}
	if c := s.Time.Compare(o.Time); c != 0 {
		return c
	}
	return cmp.Compare(s.EventID, o.EventID)
}

// After reports whether s is strictly newer than o.
func (s Stamp) After(o Stamp) bool { return s.Compare(o) > 0 }
