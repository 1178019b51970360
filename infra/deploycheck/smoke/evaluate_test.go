package smoke

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// TestEvaluateAcceptsCoalescedCanaries: a deployed consumer that coalesces
// may get the whole burst in one chunk and push only the newest change of
// each entity; evaluate accepts that, and only that.
func TestEvaluateAcceptsCoalescedCanaries(t *testing.T) {
	events := burst() // a2, b3, a1, a4 (delete), b1, a3, b2
	for i, e := range events {
		detailType, detail := e.detail("run1", schedule.PeriodPath{})
		e.sent(fmt.Sprintf("ev%d", i), "s", detailType, detail, time.Now())
	}
	lines := func(effects ...schedule.Effect) []logLine {
		out := make([]logLine, len(effects))
		for i, effect := range effects {
			out[i] = logLine{eventID: events[i].id, outcome: ordering.Succeeded.String(), effect: string(effect)}
		}
		return out
	}
	const (
		applied    = schedule.EffectApplied
		stale      = schedule.EffectStale
		superseded = schedule.EffectSuperseded
	)
	cases := []struct {
		name    string
		lines   []logLine
		problem string // "" when the run passes
	}{
		{"one record at a time", lines(applied, applied, stale, applied, stale, stale, stale), ""},
		{"one chunk: a2 superseded by the delete", lines(superseded, applied, stale, applied, stale, stale, stale), ""},
		{"superseded, and its entity's newer change lost", lines(superseded, applied, stale, stale, stale, stale, stale),
			"upsert of a v2 (event ev0) was logged superseded, but no newer change"},
		{"a stale change logged superseded", lines(applied, applied, superseded, applied, stale, stale, stale),
			`upsert of a v1 (event ev2) was logged "superseded" but should be "stale"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r Report
			evaluate(&r, schedule.PeriodPath{}, events, tc.lines)
			got := strings.Join(r.Problems, "\n")
			if tc.problem == "" && got != "" || tc.problem != "" && !strings.Contains(got, tc.problem) {
				t.Errorf("problems:\n%s\nwant %q", got, tc.problem)
			}
			if r.Settled != len(events) || r.Applied+r.Stale+r.Superseded != len(events) {
				t.Errorf("settled %d, applied %d + stale %d + superseded %d: want all %d", r.Settled, r.Applied, r.Stale, r.Superseded, len(events))
			}
		})
	}
}
