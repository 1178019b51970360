package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/fakeapi"
)

// brokenSeedSalt separates the choice of broken periods from the
// workload's dice and the replay's shuffle.
const brokenSeedSalt = 0xb20c3e

// brokenPeriods chooses n of the periods the events use, by seed: the same
// workload and seed break the same periods, so that runs compared side by
// side (compare-isolation) fail alike. Sorted.
func brokenPeriods(events []Event, n int, seed uint64) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	var periods []string
	for _, e := range events {
		if !slices.Contains(periods, e.Period) {
			periods = append(periods, e.Period)
		}
	}
	slices.Sort(periods)
	if n >= len(periods) {
		return nil, fmt.Errorf("%d broken periods: the events use %d periods, and at least one must stay healthy (a failure of every period is an outage: -outage)", n, len(periods))
	}
	rng := rand.New(rand.NewPCG(seed, seed^brokenSeedSalt))
	rng.Shuffle(len(periods), func(i, j int) { periods[i], periods[j] = periods[j], periods[i] })
	out := slices.Clone(periods[:n])
	slices.Sort(out)
	return out, nil
}

func brokenForText(d time.Duration) string {
	if d <= 0 {
		return "for good"
	}
	return "for " + d.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// BlastRadius is what broken periods cost the healthy ones: end-to-end
// latency of the healthy periods that share a broken period's shard
// (Kinesis) or message group (FIFO), which a failing record at the head
// holds back, and of the other healthy periods, which it does not.
type BlastRadius struct {
	// BrokenLanes are the shards or message groups of the broken periods.
	BrokenLanes []string     `json:"brokenLanes"`
	Sharing     LatencyGroup `json:"sharing"`
	Others      LatencyGroup `json:"others"`
	// Periods has one entry per healthy period.
	Periods []PeriodLatency `json:"periods"`
}

// LatencyGroup sums up healthy periods. StillWaiting counts their events
// that had not finished when the run ended (neither applied, superseded,
// dead-lettered nor isolated): events a broken period still held back.
type LatencyGroup struct {
	Periods      int     `json:"periods"`
	Events       int     `json:"events"`
	Applied      int     `json:"applied"`
	StillWaiting int     `json:"stillWaiting"`
	P50Ms        float64 `json:"p50Ms"`
	P99Ms        float64 `json:"p99Ms"`
}

// PeriodLatency is one healthy period's latency.
type PeriodLatency struct {
	Period       string  `json:"period"`
	Lane         string  `json:"lane"`
	Sharing      bool    `json:"sharing"`
	Applied      int     `json:"applied"`
	StillWaiting int     `json:"stillWaiting"`
	P50Ms        float64 `json:"p50Ms"`
	P99Ms        float64 `json:"p99Ms"`
}

// blastRadius groups the healthy periods' latencies; nil when no period
// was broken.
func blastRadius(ev evidence, appliedAt map[string]time.Time) *BlastRadius {
	if len(ev.broken) == 0 {
		return nil
	}
	b := &BlastRadius{}
	for _, p := range ev.broken {
		if lane, ok := ev.laneOf[p]; ok && !slices.Contains(b.BrokenLanes, lane) {
			b.BrokenLanes = append(b.BrokenLanes, lane)
		}
	}
	slices.Sort(b.BrokenLanes)
	type acc struct {
		lat             []time.Duration
		events, waiting int
	}
	perPeriod := map[string]*acc{}
	var sharing, others acc
	for _, e := range ev.events {
		if e.Poison || slices.Contains(ev.broken, e.Period) {
			continue
		}
		a := perPeriod[e.Period]
		if a == nil {
			a = &acc{}
			perPeriod[e.Period] = a
		}
		group := &others
		if slices.Contains(b.BrokenLanes, ev.laneOf[e.Period]) {
			group = &sharing
		}
		a.events++
		group.events++
		at, applied := appliedAt[e.ID]
		sent, wasSent := ev.sentAt[e.ID]
		switch {
		case applied && wasSent:
			d := at.Sub(sent)
			a.lat = append(a.lat, d)
			group.lat = append(group.lat, d)
		case !ev.noEffect[e.ID] && !ev.deadLettered[e.ID] && !ev.isolated[e.ID]:
			a.waiting++
			group.waiting++
		}
	}
	summary := func(a *acc) (p50, p99 float64) {
		slices.Sort(a.lat)
		return ms(percentile(a.lat, 0.50)), ms(percentile(a.lat, 0.99))
	}
	for _, g := range []struct {
		a   *acc
		out *LatencyGroup
	}{{&sharing, &b.Sharing}, {&others, &b.Others}} {
		g.out.Events, g.out.Applied, g.out.StillWaiting = g.a.events, len(g.a.lat), g.a.waiting
		g.out.P50Ms, g.out.P99Ms = summary(g.a)
	}
	periods := make([]string, 0, len(perPeriod))
	for p := range perPeriod {
		periods = append(periods, p)
	}
	slices.Sort(periods)
	for _, p := range periods {
		a := perPeriod[p]
		pl := PeriodLatency{Period: p, Lane: ev.laneOf[p], Sharing: slices.Contains(b.BrokenLanes, ev.laneOf[p]), Applied: len(a.lat), StillWaiting: a.waiting}
		pl.P50Ms, pl.P99Ms = summary(a)
		if pl.Sharing {
			b.Sharing.Periods++
		} else {
			b.Others.Periods++
		}
		b.Periods = append(b.Periods, pl)
	}
	return b
}

// WriteText prints the blast radius's lines of the run's report.
func (b *BlastRadius) WriteText(w io.Writer) {
	for _, g := range []struct {
		name string
		g    LatencyGroup
	}{{fmt.Sprintf("sharing the broken periods' lanes %v", b.BrokenLanes), b.Sharing}, {"on other lanes", b.Others}} {
		fmt.Fprintf(w, "  healthy periods %s: %d periods, %d events, applied %d, still waiting %d, latency p50 %.0f ms, p99 %.0f ms\n",
			g.name, g.g.Periods, g.g.Events, g.g.Applied, g.g.StillWaiting, g.g.P50Ms, g.g.P99Ms)
	}
}

// redriveSeedSalt seeds the new ids the redriven events get, as PutEvents
// gives each a new id (which also makes FIFO content-based deduplication
// take them as new messages, as in AWS).
const redriveSeedSalt = 0x4ed41e

// RedriveReport is the outcome of putting the isolated events back after
// the run, once the broken periods recovered, as `make redrive` would:
// each original event again, with a new id and the original's id in its
// detail (schedule.OriginalEventIDField), per period in stamp order,
// through the same delivery to the same consumers. The final state must
// then be the fault-free one: every event applied, superseded or
// dead-lettered, nothing lost or applied twice.
type RedriveReport struct {
	EventsRedriven int `json:"eventsRedriven"`
	// WaitedSeconds is how long the redrive waited for the broken periods
	// (and the outage) to recover; LiftedBreakdown is true when they were
	// broken for good and the harness fixed them, as the vendor would.
	WaitedSeconds   float64 `json:"waitedSeconds"`
	LiftedBreakdown bool    `json:"liftedBreakdown,omitempty"`
	// Recovered counts redriven events that took effect.
	Recovered int `json:"recovered"`
	// IsolatedAgain counts redriven events the consumer isolated again.
	IsolatedAgain int `json:"isolatedAgain"`
	// The final state, over every event of the run.
	EventsApplied    int `json:"eventsApplied"`
	LostUpdates      int `json:"lostUpdates"`
	DuplicateEffects int `json:"duplicateEffects"`
	StateMismatches  int `json:"stateMismatches"`
	Unaccounted      int `json:"unaccounted"`

	Invocations     int     `json:"invocations"`
	DurationSeconds float64 `json:"durationSeconds"`
	TimedOut        bool    `json:"timedOut,omitempty"`
}

// Problems lists what keeps the final state from being the fault-free one.
func (r *RedriveReport) Problems() []string {
	p := problemList{prefix: "after the redrive: "}
	p.count(r.LostUpdates, "lost updates")
	p.count(r.DuplicateEffects, "events applied more than once")
	p.count(r.StateMismatches, "entities not in the state of their newest applied event")
	p.count(r.Unaccounted, "events neither applied, superseded nor dead-lettered")
	if r.TimedOut {
		p.list = append(p.list, "redrive: timed out")
	}
	return p.list
}

// WriteText prints the redrive's line of the run's report.
func (r *RedriveReport) WriteText(w io.Writer) {
	wait := fmt.Sprintf("waited %.1f s for the broken periods to recover", r.WaitedSeconds)
	if r.LiftedBreakdown {
		wait = "the periods broken for good were fixed first"
	}
	fmt.Fprintf(w, "  redrive: %d isolated events put back (%s), %d invocations, %.1f s: recovered %d, isolated again %d; final state: applied %d, lost updates %d, duplicate effects %d, state mismatches %d, unaccounted %d\n",
		r.EventsRedriven, wait, r.Invocations, r.DurationSeconds, r.Recovered, r.IsolatedAgain, r.EventsApplied, r.LostUpdates, r.DuplicateEffects, r.StateMismatches, r.Unaccounted)
}

// redriveEvents returns the isolated events as a redrive puts them back:
// in send order (per period, that is stamp order), each with a new id and
// the original id in its detail. byNew maps the new ids to the originals.
func redriveEvents(events []Event, isolated map[string]bool, seed uint64) (out []Event, byNew map[string]string, err error) {
	rng := rand.New(rand.NewPCG(seed, seed^redriveSeedSalt))
	byNew = map[string]string{}
	for _, e := range events {
		if !isolated[e.ID] {
			continue
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(e.JSON, &doc); err != nil {
			return nil, nil, fmt.Errorf("redrive event %s: %w", e.ID, err)
		}
		if doc["detail"], err = schedule.WithOriginalEventID(doc["detail"], e.ID); err != nil {
			return nil, nil, fmt.Errorf("redrive event %s: %w", e.ID, err)
		}
		newID := uuid(rng)
		doc["id"], _ = json.Marshal(newID)
		if e.JSON, err = json.Marshal(doc); err != nil {
			return nil, nil, fmt.Errorf("redrive event %s: %w", e.ID, err)
		}
		byNew[newID] = e.ID
		e.ID = newID
		e.Index = len(out)
		out = append(out, e)
	}
	return out, byNew, nil
}

// redriveStream is the stream the redrive goes through, apart from the
// run's (whose records the emulator would read again) and the replay's.
const redriveStream = streamName + "-redrive"

// awaitRecovery waits until the broken periods and the outage are over:
// the end of a timed breakdown, or at once for periods broken for good,
// which it fixes (lifts the breakdown), as the vendor eventually would.
func (r *runState) awaitRecovery(ctx context.Context, rep *RedriveReport) error {
	f := r.opts.Faults
	end := r.breakdownStart
	if f.BrokenPeriods > 0 && f.BrokenFor > 0 {
		end = end.Add(f.BrokenFor)
	}
	if !f.Outage.IsZero() && r.breakdownStart.Add(f.Outage.End()).After(end) {
		end = r.breakdownStart.Add(f.Outage.End())
	}
	began := time.Now()
	if wait := time.Until(end); wait > 0 {
		fmt.Fprintf(r.opts.Progress, "redrive: waiting %s for the broken periods to recover\n", wait.Round(time.Second))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	rep.WaitedSeconds = time.Since(began).Seconds()
	if f.BrokenPeriods > 0 && f.BrokenFor <= 0 {
		rep.LiftedBreakdown = true
		return r.ev.api.SetBreakdown(fakeapi.Breakdown{}, time.Now())
	}
	return nil
}

// redrive puts the run's isolated events back once their periods
// recovered, and checks the final state over every event of the run.
func (r *runState) redrive(ctx context.Context, k *kinesalite, sqsAPI *sqsEndpoint) (*RedriveReport, error) {
	rep := &RedriveReport{}
	events, byNew, err := redriveEvents(r.events, r.ev.isolated, r.opts.Workload.Seed)
	if err != nil {
		return nil, err
	}
	rep.EventsRedriven = len(events)
	if err := r.awaitRecovery(ctx, rep); err != nil {
		rep.TimedOut = ctx.Err() != nil
		if rep.TimedOut {
			return rep, nil
		}
		return rep, err
	}
	isolatedBefore := len(queueBodies(sqsAPI, sqsAPI.IsolatedQueueURL()))
	fmt.Fprintf(r.opts.Progress, "redrive: putting %d isolated events back, per period in stamp order, as make redrive would\n", len(events))
	round, res := r.deliverRound(ctx, "redrive", events, redriveStream, k, sqsAPI.poisonCount())
	rep.DurationSeconds, rep.Invocations, rep.TimedOut = res.took.Seconds(), res.invocations, res.timedOut
	if res.timedOut {
		return rep, nil
	}
	if res.err != nil {
		return rep, fmt.Errorf("redrive: %w", res.err)
	}

	// The final state, judged as a run's: redriven events count under their
	// original ids, which is what their stamps carry.
	original := func(ids map[string]bool) map[string]bool {
		out := map[string]bool{}
		for id := range ids {
			if o, ok := byNew[id]; ok {
				id = o
			}
			out[id] = true
		}
		return out
	}
	noEffect, err := handledWithoutEffect(r.opts.LogDir)
	if err != nil {
		return rep, err
	}
	again := poisonedEvents(queueBodies(sqsAPI, sqsAPI.IsolatedQueueURL())[isolatedBefore:])
	rep.IsolatedAgain = len(again)
	final := *r.ev
	final.isolated = nil
	final.broken = nil
	final.noEffect = original(noEffect)
	final.poisoned = original(poisonedEvents(queueBodies(sqsAPI, sqsAPI.PoisonQueueURL())))
	final.deadLettered = map[string]bool{}
	for id := range r.ev.deadLettered {
		final.deadLettered[id] = true
	}
	for id := range original(round.ev.deadLettered) {
		final.deadLettered[id] = true
	}
	var check Report
	verify(final, &check)
	rep.EventsApplied, rep.LostUpdates, rep.DuplicateEffects = check.EventsApplied, check.LostUpdates, check.DuplicateEffects
	rep.StateMismatches, rep.Unaccounted = check.StateMismatches, check.Unaccounted
	appliedAt := r.ev.api.AppliedAt()
	for _, id := range byNew {
		if _, ok := appliedAt[id]; ok {
			rep.Recovered++
		}
	}
	return rep, nil
}
