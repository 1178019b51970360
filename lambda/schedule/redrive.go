package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
)

// OriginalEventIDField is the detail field a redriven event carries: the id
// of the event it copies. PutEvents gives every event a new id, and the id
// is the stamp's tie-breaker, so without it a redriven copy of an applied
// event could sort after the original and apply again. ParseChange takes
// the stamp's EventID from this field when it is present, so the copy
// keeps the original's stamp and the stale-event guard ignores it.
const OriginalEventIDField = "orderlyOriginalEventId"

// WithOriginalEventID returns detail with OriginalEventIDField set to id,
// unless it is already set: a copy of a copy keeps the first original's id.
func WithOriginalEventID(detail json.RawMessage, id string) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(detail, &fields); err != nil || fields == nil {
		return nil, errors.New("detail must be a JSON object")
	}
	if _, ok := fields[OriginalEventIDField]; ok {
		return bytes.Clone(detail), nil
	}
	raw, err := json.Marshal(id)
	if err != nil {
		return nil, err
	}
	fields[OriginalEventIDField] = raw
	return json.Marshal(fields)
}
