package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// EntityType is the kind of entity a schedule holds.
type EntityType string

// The entity types a schedule accepts.
const (
	Driver  EntityType = "driver"
	Vehicle EntityType = "vehicle"
)

// Valid reports whether t is one of the known entity types.
func (t EntityType) Valid() bool { return t == Driver || t == Vehicle }

// EntityKey identifies an entity within a schedule.
type EntityKey struct {
	Type EntityType
	ID   string
}

// String renders the key as "type/id", the form used as JSON object key.
func (k EntityKey) String() string { return string(k.Type) + "/" + k.ID }

// MarshalText lets EntityKey be a JSON object key; encoding/json sorts such
// keys, which keeps pushed documents byte-stable.
func (k EntityKey) MarshalText() ([]byte, error) {
	if !k.Type.Valid() || k.ID == "" {
		return nil, fmt.Errorf("entity key %q: want type driver|vehicle and a non-empty id", k.String())
	}
	return []byte(k.String()), nil
}

// UnmarshalText parses "type/id". Only the first "/" separates, because
// entity ids may themselves contain slashes.
func (k *EntityKey) UnmarshalText(text []byte) error {
	typ, id, ok := strings.Cut(string(text), "/")
	if !ok || !EntityType(typ).Valid() || id == "" {
		return fmt.Errorf("entity key %q: want \"driver/<id>\" or \"vehicle/<id>\"", text)
	}
	*k = EntityKey{Type: EntityType(typ), ID: id}
	return nil
}

// Entity is the state of one driver or vehicle in a schedule. A deleted
// entity stays as a tombstone so that a late, older upsert cannot revive it.
type Entity struct {
	Attributes json.RawMessage `json:"attributes,omitempty"`
	Deleted    bool            `json:"deleted,omitempty"`
	// Stamp is the ordering stamp of the last event applied to the entity.
	Stamp Stamp `json:"stamp"`
}

// Schedule is the third party's document for one period.
type Schedule struct {
	// Period is the schedule date, YYYY-MM-DD.
	Period string `json:"scheduleDate"`
	// Revision is the server's document revision: 0 for a period that does
	// not exist yet. A pushed document carries the revision it was based on.
	Revision int64 `json:"version"`
	// Entities is never nil in a schedule returned by this package.
	Entities map[EntityKey]Entity `json:"entities"`
}

// Empty returns the schedule of a period the server has no document for.
func Empty(period string) Schedule {
	return Schedule{Period: period, Entities: map[EntityKey]Entity{}}
}

// Clone returns a deep copy, so that a caller may modify it while the
// original (for example a server's stored document) stays untouched.
func (s Schedule) Clone() Schedule {
	c := Schedule{Period: s.Period, Revision: s.Revision, Entities: make(map[EntityKey]Entity, len(s.Entities))}
	for k, e := range s.Entities {
		e.Attributes = bytes.Clone(e.Attributes)
		c.Entities[k] = e
	}
	return c
}

// SameEntities reports whether a and b hold the same entities with the same
// stamps and attributes, ignoring period and revision.
func SameEntities(a, b Schedule) bool {
	if len(a.Entities) != len(b.Entities) {
		return false
	}
	for k, ea := range a.Entities {
		eb, ok := b.Entities[k]
		if !ok || ea.Deleted != eb.Deleted || ea.Stamp.Compare(eb.Stamp) != 0 || !sameJSON(ea.Attributes, eb.Attributes) {
			return false
		}
	}
	return true
}

// sameJSON compares compacted encodings, so that whitespace and HTML
// escaping introduced by a JSON round trip do not count as a difference.
func sameJSON(a, b json.RawMessage) bool {
	return bytes.Equal(canonical(a), canonical(b))
}

func canonical(raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return out
}

// DecodeDocument parses a schedule document as the server stores it and
// checks its shape. It is shared with the fake server so that both sides
// agree on what a valid document is.
func DecodeDocument(data []byte) (Schedule, error) {
	var s Schedule
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&s); err != nil {
		return Schedule{}, fmt.Errorf("schedule document: %w", err)
	}
	if dec.More() {
		return Schedule{}, errors.New("schedule document: trailing data after the JSON object")
	}
	if err := ValidatePeriod(s.Period); err != nil {
		return Schedule{}, fmt.Errorf("schedule document: %w", err)
	}
	if s.Revision < 0 {
		return Schedule{}, fmt.Errorf("schedule document: version %d: want a non-negative integer", s.Revision)
	}
	if s.Entities == nil {
		s.Entities = map[EntityKey]Entity{}
	}
	for k, e := range s.Entities {
		if !e.Deleted && !isObject(e.Attributes) {
			return Schedule{}, fmt.Errorf("schedule document: entity %s: attributes must be a JSON object unless deleted", k)
		}
		if e.Stamp.EventID == "" {
			return Schedule{}, fmt.Errorf("schedule document: entity %s: stamp.eventId is required", k)
		}
	}
	return s, nil
}

// ValidatePeriod checks that period is a real calendar date in YYYY-MM-DD.
func ValidatePeriod(period string) error {
	t, err := time.Parse(time.DateOnly, period)
	// The round trip rejects forms time.Parse tolerates but the API does not.
	if err != nil || t.Format(time.DateOnly) != period {
		return fmt.Errorf("scheduleDate %q: want a calendar date YYYY-MM-DD", period)
	}
	return nil
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{' && json.Valid(raw)
}
