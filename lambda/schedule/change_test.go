package schedule_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/failure"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

func ev(detailType, detail string) event.Event {
	return event.Event{ID: "ev-1", Source: "test", DetailType: detailType, Time: t0, Detail: json.RawMessage(detail)}
}

func TestParseChange(t *testing.T) {
	tests := []struct {
		name string
		ev   event.Event
		want schedule.Change
	}{
		{"upsert with version",
			ev(schedule.DetailTypeUpserted, `{"scheduleDate":"2026-11-28","partition":3,"entityType":"driver","entityId":"d-42","version":7,"attributes":{ "name" : "Ada" }}`),
			schedule.Change{Op: schedule.Upsert, Period: "2026-11-28", Key: driver, Attributes: json.RawMessage(`{"name":"Ada"}`),
				Stamp: schedule.Stamp{Version: 7, Time: t0, EventID: "ev-1"}}},
		{"upsert without version, empty attributes",
			ev(schedule.DetailTypeUpserted, `{"scheduleDate":"2026-11-28","entityType":"vehicle","entityId":"v/1","attributes":{}}`),
			schedule.Change{Op: schedule.Upsert, Period: "2026-11-28", Key: schedule.EntityKey{Type: schedule.Vehicle, ID: "v/1"},
				Attributes: json.RawMessage(`{}`), Stamp: schedule.Stamp{Time: t0, EventID: "ev-1"}}},
		{"delete ignores attributes, null version is absent",
			ev(schedule.DetailTypeDeleted, `{"scheduleDate":"2026-11-28","entityType":"driver","entityId":"d-42","version":null,"attributes":"whatever"}`),
			schedule.Change{Op: schedule.Delete, Period: "2026-11-28", Key: driver, Stamp: schedule.Stamp{Time: t0, EventID: "ev-1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := schedule.ParseChange(tc.ev, schedule.PeriodPath{})
			if err != nil {
				t.Fatalf("ParseChange: %v", err)
			}
			if got.Op != tc.want.Op || got.Period != tc.want.Period || got.Key != tc.want.Key ||
				string(got.Attributes) != string(tc.want.Attributes) || got.Stamp.Compare(tc.want.Stamp) != 0 || got.Stamp.EventID != tc.want.Stamp.EventID {
				t.Fatalf("ParseChange =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestParseChangeRejects(t *testing.T) {
	valid := `{"scheduleDate":"2026-11-28","entityType":"driver","entityId":"d-42","attributes":{}}`
	noTime := ev(schedule.DetailTypeUpserted, valid)
	noTime.Time = time.Time{}
	noID := ev(schedule.DetailTypeUpserted, valid)
	noID.ID = ""
	tests := []struct {
		name    string
		ev      event.Event
		wantMsg []string // each must appear in the error
	}{
		{"unknown detail-type", ev("Schedule Entity Renamed", valid), []string{`unknown detail-type "Schedule Entity Renamed"`, schedule.DetailTypeUpserted, schedule.DetailTypeDeleted}},
		{"missing event id", noID, []string{`missing event "id"`}},
		{"detail not an object", ev(schedule.DetailTypeUpserted, `[1]`), []string{"detail must be a JSON object"}},
		{"bad date", ev(schedule.DetailTypeUpserted, strings.Replace(valid, "2026-11-28", "2026-13-01", 1)), []string{`scheduleDate "2026-13-01"`, "YYYY-MM-DD"}},
		{"date with time", ev(schedule.DetailTypeUpserted, strings.Replace(valid, "2026-11-28", "2026-11-28T00:00:00Z", 1)), []string{"scheduleDate", "YYYY-MM-DD"}},
		{"missing date", ev(schedule.DetailTypeUpserted, `{"entityType":"driver","entityId":"d","attributes":{}}`), []string{"detail.scheduleDate is missing"}},
		{"date not a string", ev(schedule.DetailTypeUpserted, strings.Replace(valid, `"2026-11-28"`, `20261128`, 1)), []string{"detail.scheduleDate 20261128: want the schedule period, a string"}},
		{"date is an array", ev(schedule.DetailTypeUpserted, strings.Replace(valid, `"2026-11-28"`, `["2026-11-28"]`, 1)), []string{`detail.scheduleDate ["2026-11-28"]: want the schedule period, a string`}},
		{"unknown entity type", ev(schedule.DetailTypeUpserted, strings.Replace(valid, `"driver"`, `"bus"`, 1)), []string{`detail.entityType "bus"`, `"driver" or "vehicle"`}},
		{"missing entity type", ev(schedule.DetailTypeUpserted, `{"scheduleDate":"2026-11-28","entityId":"d","attributes":{}}`), []string{"detail.entityType (missing)"}},
		{"empty entity id", ev(schedule.DetailTypeUpserted, strings.Replace(valid, `"d-42"`, `"  "`, 1)), []string{"detail.entityId", "non-empty string"}},
		{"numeric entity id", ev(schedule.DetailTypeUpserted, strings.Replace(valid, `"d-42"`, `42`, 1)), []string{"detail.entityId 42"}},
		{"fractional version", ev(schedule.DetailTypeUpserted, strings.Replace(valid, `"attributes"`, `"version":1.5,"attributes"`, 1)), []string{"detail.version 1.5", "non-negative integer"}},
		{"negative version", ev(schedule.DetailTypeUpserted, strings.Replace(valid, `"attributes"`, `"version":-1,"attributes"`, 1)), []string{"detail.version -1"}},
		{"no version and no time", noTime, []string{`event "time" is required when detail.version is absent`}},
		{"upsert without attributes", ev(schedule.DetailTypeUpserted, `{"scheduleDate":"2026-11-28","entityType":"driver","entityId":"d"}`), []string{"detail.attributes (missing): want a JSON object"}},
		{"upsert with array attributes", ev(schedule.DetailTypeUpserted, strings.Replace(valid, `{}`, `[]`, 1)), []string{"detail.attributes []"}},
		{"every problem at once", ev(schedule.DetailTypeUpserted, `{"scheduleDate":"x","entityType":"y"}`), []string{"scheduleDate", "entityType", "entityId", "attributes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := schedule.ParseChange(tc.ev, schedule.PeriodPath{})
			if err == nil {
				t.Fatal("ParseChange accepted an invalid event")
			}
			if !failure.IsPermanent(err) {
				t.Errorf("error %v is transient, want permanent", err)
			}
			for _, want := range tc.wantMsg {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestPeriodPath(t *testing.T) {
	nested, err := schedule.ParsePeriodPath("$.detail.schedule.date")
	if err != nil {
		t.Fatal(err)
	}
	e := ev(schedule.DetailTypeUpserted, `{"schedule":{"date":"2026-11-28"},"entityType":"driver","entityId":"d-42","attributes":{}}`)
	c, err := schedule.ParseChange(e, nested)
	if err != nil || c.Period != "2026-11-28" {
		t.Fatalf("ParseChange at %s = %+v, %v; want period 2026-11-28", nested, c, err)
	}
	if _, err := schedule.ParseChange(e, schedule.PeriodPath{}); err == nil || !strings.Contains(err.Error(), "detail.scheduleDate is missing") {
		t.Errorf("the default path found a period in %s: %v", e.Detail, err)
	}
	for _, bad := range []struct{ path, want string }{
		{"$.detail.entityId", "not the schedule period"},
		{"$.detail.partition", "not the schedule period"},
		{"$.detail.version", "not the schedule period"},
		{"$.id", "of the form $.detail.field"},
		{"$.detail", "of the form $.detail.field"},
		{"detail.scheduleDate", "of the form $.detail.field"},
		{"$.detail.a[0]", "of the form $.detail.field"},
	} {
		if _, err := schedule.ParsePeriodPath(bad.path); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParsePeriodPath(%q) error %v, want one saying %q", bad.path, err, bad.want)
		}
	}
	if got := (schedule.PeriodPath{}).String(); got != schedule.DefaultPeriodPath {
		t.Errorf("zero PeriodPath is %q, want the default %q", got, schedule.DefaultPeriodPath)
	}
}
