package schedule_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// A redriven copy (new envelope id, the original's id in the detail) keeps
// the original's stamp, so once the original is applied the copy is a no-op,
// and a copy applied first makes the original a no-op.
func TestRedrivenCopyOfAnAppliedEventIsANoOp(t *testing.T) {
	original := ev(schedule.DetailTypeUpserted, `{"scheduleDate":"2026-11-28","entityType":"driver","entityId":"d-42","attributes":{"name":"Ada"}}`)
	detail, err := schedule.WithOriginalEventID(original.Detail, original.ID)
	if err != nil {
		t.Fatal(err)
	}
	copied := original
	// PutEvents assigns a new id; "zz" sorts after "ev-1", so without the
	// field the copy would be newer than the original.
	copied.ID, copied.Detail = "zz-new-id", detail

	parse := func(e event.Event) schedule.Change {
		c, err := schedule.ParseChange(e, schedule.PeriodPath{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := parse(original), parse(copied)
	if a.Stamp != b.Stamp {
		t.Fatalf("copy stamp %+v, want the original's %+v", b.Stamp, a.Stamp)
	}
	for _, order := range [][]schedule.Change{{a, b}, {b, a}} {
		var s schedule.Schedule
		if !schedule.Apply(&s, order[0]) {
			t.Fatal("first application changed nothing")
		}
		if schedule.Apply(&s, order[1]) {
			t.Error("the second of an event and its redriven copy took effect")
		}
	}

	// Without the field the new id decides, and the copy applies again.
	copied.Detail = original.Detail
	var s schedule.Schedule
	schedule.Apply(&s, a)
	if !schedule.Apply(&s, parse(copied)) {
		t.Error("control: a copy without the original id should sort after the original")
	}
}

func TestWithOriginalEventIDKeepsTheFirstOriginal(t *testing.T) {
	once, err := schedule.WithOriginalEventID(json.RawMessage(`{"a":1}`), "first")
	if err != nil {
		t.Fatal(err)
	}
	twice, err := schedule.WithOriginalEventID(once, "second")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(twice), `"`+schedule.OriginalEventIDField+`":"first"`) || strings.Contains(string(twice), "second") {
		t.Errorf("detail %s: want the first original id only", twice)
	}
	if _, err := schedule.WithOriginalEventID(json.RawMessage(`[1]`), "x"); err == nil {
		t.Error("accepted a detail that is not an object")
	}
}

func TestOriginalEventIDMustBeANonEmptyString(t *testing.T) {
	for _, bad := range []string{`""`, `7`, `null`} {
		e := ev(schedule.DetailTypeDeleted, `{"scheduleDate":"2026-11-28","entityType":"driver","entityId":"d-42","`+schedule.OriginalEventIDField+`":`+bad+`}`)
		_, err := schedule.ParseChange(e, schedule.PeriodPath{})
		if err == nil || !strings.Contains(err.Error(), "detail."+schedule.OriginalEventIDField) {
			t.Errorf("%s: error %v, want one naming the field", bad, err)
		}
	}
}
