package pipeline

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

func TestBrokenPeriodsAreChosenBySeedAmongThoseInUse(t *testing.T) {
	f := newFixture(t, Workload{Events: 200, Partitions: 30, Seed: 3})
	a, err := brokenPeriods(f.events, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := brokenPeriods(f.events, 2, 3)
	if len(a) != 2 || !slices.Equal(a, b) || a[0] == a[1] {
		t.Fatalf("brokenPeriods = %v then %v: want the same two distinct periods", a, b)
	}
	used := map[string]bool{}
	for _, e := range f.events {
		used[e.Period] = true
	}
	for _, p := range a {
		if !used[p] {
			t.Errorf("broken period %s carries no event", p)
		}
	}
	differ := false
	for seed := uint64(4); seed < 10 && !differ; seed++ {
		c, _ := brokenPeriods(f.events, 2, seed)
		differ = !slices.Equal(a, c)
	}
	if !differ {
		t.Error("every seed from 4 to 9 broke the same periods as seed 3")
	}
	if _, err := brokenPeriods(f.events, len(used), 3); err == nil {
		t.Error("breaking every period was accepted (that is an outage)")
	}
	if none, err := brokenPeriods(f.events, 0, 3); err != nil || none != nil {
		t.Errorf("0 broken periods: %v, %v", none, err)
	}
}

func TestBlastRadiusSplitsHealthyPeriodsByTheBrokenLane(t *testing.T) {
	f := newFixture(t, Workload{Events: 40, Partitions: 4, Seed: 5})
	start := time.Now()
	ev := f.evidence()
	ev.broken = []string{Period(0)}
	ev.laneOf = map[string]string{Period(0): "shard-a", Period(1): "shard-a", Period(2): "shard-b", Period(3): "shard-b"}
	ev.isolated = map[string]bool{}
	applied := map[string]time.Time{}
	for _, e := range f.events {
		ev.sentAt[e.ID] = start
		switch e.Period {
		case Period(0):
			ev.isolated[e.ID] = true
		case Period(1):
			// Behind the broken period: 30 s late, and the last one still
			// waiting when the run ends.
			applied[e.ID] = start.Add(30 * time.Second)
		default:
			applied[e.ID] = start.Add(time.Second)
		}
	}
	var lastOfP1 string
	for _, e := range f.events {
		if e.Period == Period(1) {
			lastOfP1 = e.ID
		}
	}
	delete(applied, lastOfP1)
	b := blastRadius(ev, applied)
	if !slices.Equal(b.BrokenLanes, []string{"shard-a"}) {
		t.Fatalf("broken lanes %v, want [shard-a]", b.BrokenLanes)
	}
	if b.Sharing.Periods != 1 || b.Sharing.P99Ms != 30000 || b.Sharing.StillWaiting != 1 {
		t.Errorf("sharing %+v: want 1 period, p99 30000 ms, 1 still waiting", b.Sharing)
	}
	if b.Others.Periods != 2 || b.Others.P99Ms != 1000 || b.Others.StillWaiting != 0 {
		t.Errorf("others %+v: want 2 periods, p99 1000 ms, none waiting", b.Others)
	}
	for _, p := range b.Periods {
		if p.Period == Period(0) {
			t.Error("the broken period is listed among the healthy ones")
		}
	}
	if blastRadius(f.evidence(), applied) != nil {
		t.Error("a run without broken periods has a blast radius")
	}
}

func TestRedriveEventsKeepTheOriginalStampUnderANewID(t *testing.T) {
	f := newFixture(t, Workload{Events: 20, Partitions: 2, Seed: 9})
	isolated := map[string]bool{f.events[3].ID: true, f.events[11].ID: true}
	out, byNew, err := redriveEvents(f.events, isolated, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || len(byNew) != 2 {
		t.Fatalf("redrove %d events (%d ids), want 2", len(out), len(byNew))
	}
	for i, e := range out {
		orig := f.events[[]int{3, 11}[i]]
		if e.ID == orig.ID || byNew[e.ID] != orig.ID {
			t.Errorf("redriven %d: id %s maps to %s, want a new id mapping to %s", i, e.ID, byNew[e.ID], orig.ID)
		}
		var doc struct {
			ID     string                     `json:"id"`
			Detail map[string]json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(e.JSON, &doc); err != nil {
			t.Fatal(err)
		}
		var carried string
		_ = json.Unmarshal(doc.Detail[schedule.OriginalEventIDField], &carried)
		if doc.ID != e.ID || carried != orig.ID {
			t.Errorf("redriven %d: envelope id %s, detail.%s %q; want %s and %s", i, doc.ID, schedule.OriginalEventIDField, carried, e.ID, orig.ID)
		}
	}
}

func TestFunctionEnvPointsTheIsolatedQueueAtTheFake(t *testing.T) {
	q, err := startSQSEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	s := Settings{}
	s.Function = assembly.FunctionSettings{Environment: map[string]string{"ORDERLY_X": "1"}}
	if env := functionEnv(s, nil, "http://api", q); env[envvar.IsolatedQueueURL] != "" {
		t.Errorf("no isolation anywhere, yet %s=%q", envvar.IsolatedQueueURL, env[envvar.IsolatedQueueURL])
	}
	s.Function.Unresolved = []string{envvar.IsolatedQueueURL}
	if env := functionEnv(s, nil, "http://api", q); env[envvar.IsolatedQueueURL] != q.IsolatedQueueURL() {
		t.Errorf("the template declares %s: got %q, want the fake's %q", envvar.IsolatedQueueURL, env[envvar.IsolatedQueueURL], q.IsolatedQueueURL())
	}
	s.Function.Unresolved = nil
	env := functionEnv(s, map[string]string{envvar.IsolateAfterSeconds: "30", "ORDERLY_X": ""}, "http://api", q)
	if env[envvar.IsolatedQueueURL] != q.IsolatedQueueURL() || env[envvar.IsolateAfterSeconds] != "30" {
		t.Errorf("isolation set by override: %s=%q, %s=%q", envvar.IsolatedQueueURL, env[envvar.IsolatedQueueURL], envvar.IsolateAfterSeconds, env[envvar.IsolateAfterSeconds])
	}
	if _, ok := env["ORDERLY_X"]; ok {
		t.Error(`an override of "" left the variable set`)
	}
}

func TestVerifyAccountsIsolatedEventsApart(t *testing.T) {
	f := newFixture(t, Workload{Events: 30, Partitions: 3, Seed: 11})
	for _, e := range f.events {
		if e.Period != Period(0) {
			f.apply(t, e)
		}
	}
	ev := f.evidence()
	var rep Report
	verify(ev, &rep)
	left := rep.Unaccounted
	if left == 0 {
		t.Fatal("period 0's events, never applied, are not unaccounted")
	}
	ev.isolated = map[string]bool{}
	for _, e := range f.events {
		if e.Period == Period(0) {
			ev.isolated[e.ID] = true
		}
	}
	rep = Report{}
	verify(ev, &rep)
	if rep.Unaccounted != 0 || rep.Isolated != left || !rep.OK {
		t.Errorf("isolated %d, unaccounted %d, ok %v: want %d isolated, none unaccounted, ok", rep.Isolated, rep.Unaccounted, rep.OK, left)
	}
}
