package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/failure"
)

// The detail-types the consumer understands.
const (
	DetailTypeUpserted = "Schedule Entity Upserted"
	DetailTypeDeleted  = "Schedule Entity Deleted"
)

// Op is what a change does to its entity.
type Op int

// Change operations.
const (
	Upsert Op = iota + 1
	Delete
)

// String returns the lower-case name used in logs.
func (o Op) String() string {
	switch o {
	case Upsert:
		return "upsert"
	case Delete:
		return "delete"
	default:
		return fmt.Sprintf("op(%d)", int(o))
	}
}

// Change is one validated modification of a schedule, parsed from an event.
type Change struct {
	Op     Op
	Period string
	Key    EntityKey
	// Attributes is the compacted JSON object of an upsert; nil for deletes.
	Attributes json.RawMessage
	Stamp      Stamp
}

// ParseChange validates ev and turns it into a Change, reading the period
// at period (the zero PeriodPath is DefaultPeriodPath). Every error is
// permanent: the same event will fail the same way on every retry.
func ParseChange(ev event.Event, period PeriodPath) (Change, error) {
	c, err := parseChange(ev, period)
	if err != nil {
		return Change{}, failure.Permanent(fmt.Errorf("event %s: %w", ev.ID, err))
	}
	return c, nil
}

func parseChange(ev event.Event, period PeriodPath) (Change, error) {
	var op Op
	switch ev.DetailType {
	case DetailTypeUpserted:
		op = Upsert
	case DetailTypeDeleted:
		op = Delete
	default:
		return Change{}, fmt.Errorf("unknown detail-type %q: want %q or %q", ev.DetailType, DetailTypeUpserted, DetailTypeDeleted)
	}
	if ev.ID == "" {
		return Change{}, errors.New(`missing event "id": it is the stamp tie-breaker`)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(ev.Detail, &fields); err != nil || fields == nil {
		return Change{}, fmt.Errorf("detail must be a JSON object: %v", err)
	}

	var problems []string
	c := Change{Op: op, Stamp: Stamp{Time: ev.Time.UTC(), EventID: ev.ID}}
	if raw, ok := fields[OriginalEventIDField]; ok {
		var original string
		if err := json.Unmarshal(raw, &original); err != nil || strings.TrimSpace(original) == "" {
			problems = append(problems, fmt.Sprintf("detail.%s %s: want the non-empty id of the event this one redrives", OriginalEventIDField, describe(raw)))
		}
		c.Stamp.EventID = original
	}
	var err error
	if c.Period, err = period.Period(ev.Detail); err != nil {
		problems = append(problems, err.Error())
	}
	var typ string
	if err := stringField(fields, "entityType", &typ); err != nil || !EntityType(typ).Valid() {
		problems = append(problems, fmt.Sprintf("detail.entityType %s: want %q or %q", describe(fields["entityType"]), Driver, Vehicle))
	}
	c.Key.Type = EntityType(typ)
	if err := stringField(fields, "entityId", &c.Key.ID); err != nil || strings.TrimSpace(c.Key.ID) == "" {
		problems = append(problems, fmt.Sprintf("detail.entityId %s: want a non-empty string", describe(fields["entityId"])))
	}
	hasVersion, err := versionField(fields, &c.Stamp.Version)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if !hasVersion && ev.Time.IsZero() {
		problems = append(problems, `event "time" is required when detail.version is absent: one of them orders the events of an entity`)
	}
	if op == Upsert {
		attrs, err := objectField(fields, "attributes")
		if err != nil {
			problems = append(problems, err.Error())
		}
		c.Attributes = attrs
	}
	if len(problems) > 0 {
		return Change{}, errors.New(strings.Join(problems, "; "))
	}
	return c, nil
}

func stringField(fields map[string]json.RawMessage, name string, dst *string) error {
	raw, ok := fields[name]
	if !ok {
		return fmt.Errorf("detail.%s is missing: want a string", name)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("detail.%s %s: want a string", name, describe(raw))
	}
	return nil
}

// versionField reads the optional detail.version. JSON null counts as absent.
func versionField(fields map[string]json.RawMessage, dst *int64) (bool, error) {
	raw, ok := fields["version"]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return false, nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || *dst < 0 {
		return false, fmt.Errorf("detail.version %s: want a non-negative integer or no version", describe(raw))
	}
	return true, nil
}

func objectField(fields map[string]json.RawMessage, name string) (json.RawMessage, error) {
	raw := bytes.TrimSpace(fields[name])
	if !isObject(raw) {
		return nil, fmt.Errorf("detail.%s %s: want a JSON object for %q events", name, describe(raw), DetailTypeUpserted)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("detail.%s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// describe renders a raw JSON value for an error message, truncated so that
// a huge payload does not flood the log.
func describe(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "(missing)"
	}
	const limit = 40
	if len(raw) > limit {
		return string(raw[:limit]) + "..."
	}
	return string(raw)
}
