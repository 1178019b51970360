package schedule

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/ordering"
)

// DefaultPeriodPath is where events carry the schedule period.
const DefaultPeriodPath = "$.detail.scheduleDate"

// The detail fields of a schedule event other than the period. None of them
// can be the ordering key: the period is the unit of read-modify-write on
// the third-party API, so keying delivery on anything else lets two
// consumers write one schedule at once.
var nonPeriodFields = []string{"entityType", "entityId", "version", "attributes", "partition"}

var periodPathRE = regexp.MustCompile(`^\$\.detail(\.[A-Za-z_][A-Za-z0-9_-]*)+$`)

// PeriodPath locates the period inside an event: the one ordering key that
// the stacks deliver by (Kinesis partition key, FIFO group) and that the
// consumer serializes its read-modify-writes on.
type PeriodPath struct {
	path string // validated; empty means DefaultPeriodPath
}

// ParsePeriodPath validates a JSON path of the form $.detail.field[.field].
func ParsePeriodPath(path string) (PeriodPath, error) {
	if !periodPathRE.MatchString(path) {
		return PeriodPath{}, fmt.Errorf("%q: want a JSON path to the schedule period inside the event detail, of the form $.detail.field (default %s)", path, DefaultPeriodPath)
	}
	fields := strings.Split(strings.TrimPrefix(path, "$.detail."), ".")
	if slices.Contains(nonPeriodFields, fields[0]) {
		return PeriodPath{}, fmt.Errorf("%q names detail.%s, which is not the schedule period: the delivery key must be the period, the unit of read-modify-write on the schedule API, or two consumers write one schedule at once (default %s)", path, fields[0], DefaultPeriodPath)
	}
	return PeriodPath{path: path}, nil
}

// MustPeriodPath is ParsePeriodPath for constants.
func MustPeriodPath(path string) PeriodPath {
	p, err := ParsePeriodPath(path)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the JSON path.
func (p PeriodPath) String() string {
	if p.path == "" {
		return DefaultPeriodPath
	}
	return p.path
}

// DetailFields are the path's fields below detail ("scheduleDate").
func (p PeriodPath) DetailFields() []string {
	return strings.Split(strings.TrimPrefix(p.String(), "$.detail."), ".")
}

// Lookup returns the raw period value in an event's detail object, and
// whether it is present.
func (p PeriodPath) Lookup(detail json.RawMessage) (json.RawMessage, bool) {
	raw := detail
	for _, f := range p.DetailFields() {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil || obj == nil {
			return nil, false
		}
		next, ok := obj[f]
		if !ok {
			return nil, false
		}
		raw = next
	}
	return raw, true
}

// Period returns the validated period of an event's detail.
func (p PeriodPath) Period(detail json.RawMessage) (string, error) {
	name := "detail." + strings.Join(p.DetailFields(), ".")
	raw, ok := p.Lookup(detail)
	if !ok {
		return "", fmt.Errorf("%s is missing: want the schedule period, YYYY-MM-DD", name)
	}
	var period string
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`)) {
		if err := json.Unmarshal(raw, &period); err == nil {
			if err := ValidatePeriod(period); err != nil {
				return "", fmt.Errorf("%s %q: want a calendar date YYYY-MM-DD", name, period)
			}
			return period, nil
		}
	}
	return "", fmt.Errorf("%s %s: want the schedule period, a string YYYY-MM-DD", name, describe(raw))
}

// SerializeBy returns the ordering engine's serialization key: a record's
// period, read through p (ordering.Options.SerializeBy). Records of one
// period then never run at once, whatever partition they arrived under. A
// record without a valid period has no key; the handler poisons it.
func (p PeriodPath) SerializeBy() func(ordering.Record) (string, bool) {
	return func(rec ordering.Record) (string, bool) {
		ev, err := event.Decode(rec.Data)
		if err != nil {
			return "", false
		}
		period, err := p.Period(ev.Detail)
		return period, err == nil
	}
}

// Put stores period in a detail object at p, creating the objects on the
// way: how a producer (the simulator, the smoke check) builds an event the
// stacks will key by this path.
func (p PeriodPath) Put(detail map[string]any, period string) {
	fields := p.DetailFields()
	for _, f := range fields[:len(fields)-1] {
		next, ok := detail[f].(map[string]any)
		if !ok {
			next = map[string]any{}
			detail[f] = next
		}
		detail = next
	}
	detail[fields[len(fields)-1]] = period
}
