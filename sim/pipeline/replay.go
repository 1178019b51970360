package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/orderly-dev/orderly/lambda/schedule"
)

// ReplayName is the archive replay's name that replayed events carry in
// their "replay-name" field, as EventBridge adds it.
const ReplayName = "orderly-local-replay"

// replayStream is the stream the replay goes through: a replay sends to the
// rule's target again, and a second stream keeps the emulator from reading
// the run's records a second time.
const replayStream = streamName + "-replay"

// replaySeedSalt separates the replay's shuffle from the workload's dice.
const replaySeedSalt = 0x7e91a7

// ReplayReport is the outcome of re-sending every event of a run after
// the run was verified, in shuffled order, as an EventBridge archive replay
// would (it replays in one-minute buckets, so events of one period come
// back in any order). The consumer's stale-event guard must make it a no-op.
type ReplayReport struct {
	Name         string `json:"name"`
	EventsResent int    `json:"eventsResent"`
	// StateUnchanged is true when every period's document holds exactly the
	// entities it held before the replay.
	StateUnchanged bool `json:"stateUnchanged"`
	// NewWrites counts writes during the replay that changed an entity.
	NewWrites int `json:"newWrites"`
	// DuplicateEffects counts events that had taken effect before the
	// replay and took effect again.
	DuplicateEffects int `json:"duplicateEffects"`
	// LostUpdates counts writes during the replay that overwrote someone
	// else's update or dropped an entity.
	LostUpdates int `json:"lostUpdates"`
	// Recovered counts events that had not taken effect in the run (they
	// were dead-lettered) and took effect in the replay: what a replay of
	// dead-lettered events is for. Only these may change the state.
	Recovered int `json:"recovered"`
	// StateMismatches counts entities, after the replay, not in the state
	// of their newest event that took effect.
	StateMismatches int `json:"stateMismatches"`
	// PoisonResent poison events must reach the poison queue again:
	// PoisonDeadLettered of them did.
	PoisonResent       int `json:"poisonResent"`
	PoisonDeadLettered int `json:"poisonDeadLettered"`
	// DeadLettered counts replayed events that ended in the FIFO queue's
	// DLQ or the Kinesis mapping's on-failure destination.
	DeadLettered int `json:"deadLettered"`
	// Unaccounted counts replayed poison events found in no dead-letter
	// destination.
	Unaccounted     int     `json:"unaccounted"`
	Invocations     int     `json:"invocations"`
	DurationSeconds float64 `json:"durationSeconds"`
	TimedOut        bool    `json:"timedOut,omitempty"`
}

// Problems lists what makes the replay not safe.
func (r *ReplayReport) Problems() []string {
	p := problemList{prefix: "replay: "}
	p.count(r.LostUpdates, "lost updates")
	p.count(r.DuplicateEffects, "events applied again")
	p.count(r.StateMismatches, "entities not in the state of their newest applied event")
	p.count(r.Unaccounted, "poison events neither in the poison queue nor dead-lettered")
	if r.TimedOut {
		p.list = append(p.list, "replay: timed out")
	}
	return p.list
}

// WriteText prints the replay's line of the run's report.
func (r *ReplayReport) WriteText(w io.Writer) {
	state := "state unchanged"
	if !r.StateUnchanged {
		state = "STATE CHANGED"
	}
	fmt.Fprintf(w, "  replay %q: %d events re-sent in shuffled order, %d invocations, %.1f s: %s, new writes %d, duplicate effects %d, lost updates %d, recovered %d, state mismatches %d; poison dead-lettered again %d of %d, dead-lettered %d, unaccounted %d\n",
		r.Name, r.EventsResent, r.Invocations, r.DurationSeconds, state, r.NewWrites, r.DuplicateEffects, r.LostUpdates, r.Recovered,
		r.StateMismatches, r.PoisonDeadLettered, r.PoisonResent, r.DeadLettered, r.Unaccounted)
}

// replayEvents returns events as an archive replay delivers them: each
// event once, with its id, in an order shuffled by seed, with a
// "replay-name" field. The field also makes the bodies differ from the
// originals, so content-based FIFO deduplication does not swallow them.
func replayEvents(events []Event, name string, seed uint64) ([]Event, error) {
	out := make([]Event, len(events))
	for i, e := range events {
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(e.JSON, &doc); err != nil {
			return nil, fmt.Errorf("replay event %s: %w", e.ID, err)
		}
		doc["replay-name"], _ = json.Marshal(name)
		data, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("replay event %s: %w", e.ID, err)
		}
		e.JSON = data
		out[i] = e
	}
	rng := rand.New(rand.NewPCG(seed, seed^replaySeedSalt))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	for i := range out {
		out[i].Index = i
	}
	return out, nil
}

// replayBaseline is the fake API's state when the replay starts.
type replayBaseline struct {
	docs       map[string]schedule.Schedule
	historyLen map[string]int
	// applied holds the events that took effect before the replay.
	applied     map[string]bool
	poisonCount int
}

func takeBaseline(api *scheduleAPI, periods []string, poisonCount int) replayBaseline {
	b := replayBaseline{docs: map[string]schedule.Schedule{}, historyLen: map[string]int{}, applied: map[string]bool{},
		poisonCount: poisonCount}
	for _, p := range periods {
		if doc, ok := api.Document(p); ok {
			b.docs[p] = doc
		}
		h := api.History(p)
		b.historyLen[p] = len(h)
		for _, w := range h {
			for _, id := range w.Applied {
				b.applied[id] = true
			}
		}
	}
	return b
}

// judgeReplay compares the fake API after the replay with the baseline.
// round is the replay's evidence: its events and their dead letters.
func judgeReplay(base replayBaseline, round evidence, rep *ReplayReport) {
	api := round.api
	rep.EventsResent = len(round.events)
	effects := map[string]int{}
	for id := range base.applied {
		effects[id] = 1
	}
	periods := map[string]bool{}
	for _, e := range round.events {
		periods[e.Period] = true
	}
	rep.StateUnchanged = true
	for p := range periods {
		for _, w := range api.History(p)[base.historyLen[p]:] {
			if len(w.Applied) > 0 || len(w.Dropped) > 0 {
				rep.NewWrites++
			}
			if w.LostUpdate || len(w.Dropped) > 0 {
				rep.LostUpdates++
			}
			for _, id := range w.Applied {
				if effects[id] > 0 {
					rep.DuplicateEffects++
				} else {
					rep.Recovered++
				}
				effects[id]++
			}
		}
		before, had := base.docs[p]
		after, has := api.Document(p)
		if had != has || (has && !schedule.SameEntities(before, after)) {
			rep.StateUnchanged = false
		}
	}
	rep.StateMismatches = stateMismatches(round, newestEffective(round.events, effects))
	for _, e := range round.events {
		dead := round.deadLettered[e.ID]
		if dead {
			rep.DeadLettered++
		}
		if !e.Poison {
			continue
		}
		rep.PoisonResent++
		if round.poisoned[e.ID] {
			rep.PoisonDeadLettered++
		} else if !dead {
			rep.Unaccounted++
		}
	}
}

// replay re-sends every event of the verified run through the same
// delivery (a second stream in kinesalite, or the FIFO model) to the same
// consumer instances and fake API, then judges the outcome. The run's
// context (and its timeout) bounds it.
func (r *runState) replay(ctx context.Context, k *kinesalite, poisonQ *sqsEndpoint) (*ReplayReport, error) {
	events, err := replayEvents(r.events, ReplayName, r.opts.Workload.Seed)
	if err != nil {
		return nil, err
	}
	periods := map[string]bool{}
	for _, e := range events {
		periods[e.Period] = true
	}
	var list []string
	for p := range periods {
		list = append(list, p)
	}
	base := takeBaseline(r.ev.api, list, poisonQ.poisonCount())

	fmt.Fprintf(r.opts.Progress, "replaying %d events in shuffled order as archive replay %q would\n", len(events), ReplayName)
	round, res := r.deliverRound(ctx, "replay", events, replayStream, k, poisonQ.poisonCount())
	rep := &ReplayReport{Name: ReplayName, DurationSeconds: res.took.Seconds(), Invocations: res.invocations, TimedOut: res.timedOut}
	if res.timedOut {
		return rep, nil
	}
	if res.err != nil {
		return rep, fmt.Errorf("replay: %w", res.err)
	}
	round.ev.poisoned = poisonedEvents(queueBodies(poisonQ, poisonQ.PoisonQueueURL())[base.poisonCount:])
	judgeReplay(base, *round.ev, rep)
	return rep, nil
}

// roundResult is how a delivery round after the run went.
type roundResult struct {
	took        time.Duration
	invocations int
	timedOut    bool
	err         error
}

// deliverRound sends events after the run through the same delivery (a
// stream of their own in kinesalite, or the FIFO model) to the same
// consumer instances and fake API, as a phase of the progress lines, and
// returns the round (its evidence holds the round's dead letters).
// poisonNow is the poison queue's count as the round starts.
func (r *runState) deliverRound(ctx context.Context, phase string, events []Event, stream string, k *kinesalite, poisonNow int) (*runState, roundResult) {
	round := *r
	round.events = events
	round.stream = stream
	round.ev = &evidence{events: events, api: r.ev.api, sentAt: map[string]time.Time{}, deadLettered: map[string]bool{}}
	round.rep = &Report{}
	// A replay or a redrive reaches a consumer that is already running.
	round.opts.Backlog = false
	r.tally.startPhase(phase, len(events), poisonNow)
	before, _, _, _ := r.cons.counts()
	began := time.Now()
	var res roundResult
	if r.settings.Stack == StackKinesis {
		res.err = round.deliverKinesis(ctx, k)
	} else {
		res.err = round.deliverFifo(ctx)
	}
	res.took = time.Since(began)
	after, _, _, _ := r.cons.counts()
	res.invocations = after - before
	res.timedOut = ctx.Err() != nil
	return &round, res
}
