package pipeline

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/orderly-dev/orderly/lambda/poison"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// evidence is what a run collected for verification.
type evidence struct {
	events []Event
	// rank is each event's position among its partition's events in
	// arrival order (stream sequence or queue send order).
	rank map[string]int
	// sentAt is when each event was handed to the stream or queue.
	sentAt       map[string]time.Time
	api          *scheduleAPI
	poisoned     map[string]bool // event ids in the poison queue
	deadLettered map[string]bool // event ids in the FIFO DLQ or the on-failure destination
	// noEffect holds the event ids the consumer logged as succeeded
	// without a push of their own (stale or superseded).
	noEffect map[string]bool
	// isolated holds the event ids in the isolated queue: taken out of
	// line, waiting for a redrive (accounted for, not lost).
	isolated map[string]bool
	// broken lists the periods the fake API failed on purpose, and laneOf
	// maps each period to the shard (Kinesis) or message group (FIFO) it
	// was delivered through: the healthy periods sharing a broken one's
	// lane are the blast radius the report measures.
	broken []string
	laneOf map[string]string
}

// firstSent is when the first event was handed over: where throughput and
// duration are measured from (not from starting the services).
func (ev evidence) firstSent() time.Time {
	var first time.Time
	for _, at := range ev.sentAt {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	return first
}

// verify compares what the fake API holds with what the producer sent.
func verify(ev evidence, r *Report) {
	byID := make(map[string]Event, len(ev.events))
	for _, e := range ev.events {
		byID[e.ID] = e
	}
	r.EventsSent = len(ev.events)

	// Which events took effect, how often, and in which order per period.
	effects := map[string]int{}
	periods := map[string]bool{}
	for _, e := range ev.events {
		periods[e.Period] = true
	}
	stats := ev.api.Stats()
	r.LostUpdates = int(stats.LostUpdates)
	r.APICalls = stats.Requests
	r.PeakAPICallsPerSecond = stats.PeakPerSecond
	if r.EventsSent > 0 {
		r.APICallsPerEvent = float64(stats.Requests) / float64(r.EventsSent)
	}
	r.InjectedFaults = FaultCounts{ServerErrors: stats.Faults.ServerErrors, Throttles: stats.Faults.Throttles, Timeouts: stats.Faults.Timeouts}
	for period := range periods {
		highest := -1
		for _, w := range ev.api.History(period) {
			if len(w.Dropped) > 0 && !w.LostUpdate {
				// The consumer never removes entities; a write that does
				// lost them.
				r.LostUpdates++
			}
			// The events of one write (several when the consumer
			// coalesces) take effect at once: each must have arrived
			// after every event of the earlier writes.
			latest := highest
			for _, id := range w.Applied {
				effects[id]++
				rank, known := ev.rank[id]
				if !known {
					continue
				}
				if rank < highest {
					r.OrderViolations++
				}
				latest = max(latest, rank)
			}
			highest = latest
		}
	}
	for id, n := range effects {
		if _, known := byID[id]; !known {
			continue
		}
		r.EventsApplied++
		if n > 1 {
			r.DuplicateEffects += n - 1
		}
	}
	newest := newestEffective(ev.events, effects)
	r.StateMismatches = stateMismatches(ev, newest)

	for _, e := range ev.events {
		if e.Poison {
			r.PoisonSent++
			if ev.poisoned[e.ID] {
				r.PoisonDeadLettered++
			}
		}
		dead := ev.poisoned[e.ID] || ev.deadLettered[e.ID]
		if dead {
			r.DeadLettered++
		}
		if ev.isolated[e.ID] {
			r.Isolated++
		}
		switch {
		case effects[e.ID] > 0 || dead || ev.isolated[e.ID]:
		case ev.noEffect[e.ID] && newest[e.Period][e.Entity].Version > e.Version:
			r.Superseded++
		default:
			r.Unaccounted++
		}
	}

	// Latency from handing the event over to its first effect.
	appliedAt := ev.api.AppliedAt()
	var latencies []time.Duration
	var last time.Time
	for id, at := range appliedAt {
		sent, ok := ev.sentAt[id]
		if !ok {
			continue
		}
		latencies = append(latencies, at.Sub(sent))
		if at.After(last) {
			last = at
		}
	}
	slices.Sort(latencies)
	r.LatencyP50Ms = ms(percentile(latencies, 0.50))
	r.LatencyP99Ms = ms(percentile(latencies, 0.99))
	if first := ev.firstSent(); !last.IsZero() && last.After(first) {
		r.ThroughputPerSec = float64(len(latencies)) / last.Sub(first).Seconds()
	}
	r.BlastRadius = blastRadius(ev, appliedAt)
	r.judge()
}

// newestEffective returns, per period and entity, the newest event that
// took effect: the state the entity must end in (stateMismatches), and
// what makes an older event that never took effect a superseded one.
func newestEffective(events []Event, effects map[string]int) map[string]map[string]Event {
	newest := map[string]map[string]Event{} // period → entity → event
	for _, e := range events {
		if e.Poison || effects[e.ID] == 0 {
			continue
		}
		if newest[e.Period] == nil {
			newest[e.Period] = map[string]Event{}
		}
		if cur, ok := newest[e.Period][e.Entity]; !ok || e.Version > cur.Version {
			newest[e.Period][e.Entity] = e
		}
	}
	return newest
}

// stateMismatches checks every entity's final stamp against the newest
// event of that entity that took effect: with per-entity versions, that is
// the only correct final state, whatever happened in between.
func stateMismatches(ev evidence, newest map[string]map[string]Event) int {
	mismatches := 0
	for period, entities := range newest {
		doc, ok := ev.api.Document(period)
		if !ok {
			mismatches += len(entities)
			continue
		}
		state := map[string]schedule.Entity{}
		for k, v := range doc.Entities {
			state[k.String()] = v
		}
		for entity, e := range entities {
			got, ok := state[entity]
			if !ok || got.Stamp.EventID != e.ID || got.Deleted != e.Deleted {
				mismatches++
			}
		}
	}
	return mismatches
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// eventIDOf finds the EventBridge event id in a payload: the event itself,
// or an SQS record forwarded by a Pipe whose body holds it.
func eventIDOf(data []byte) (string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return "", false
	}
	if _, isEvent := obj["detail-type"]; isEvent {
		var id string
		if json.Unmarshal(obj["id"], &id) == nil && id != "" {
			return id, true
		}
		return "", false
	}
	body, ok := obj["body"]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(body, &s) == nil {
		return eventIDOf([]byte(s))
	}
	return eventIDOf(body)
}

// poisonedEvents returns the event ids in the poison queue's messages.
func poisonedEvents(bodies []string) map[string]bool {
	out := map[string]bool{}
	for _, b := range bodies {
		var m poison.Message
		if json.Unmarshal([]byte(b), &m) != nil {
			continue
		}
		payload := []byte(m.Payload)
		if m.PayloadBase64 != "" {
			payload, _ = base64.StdEncoding.DecodeString(m.PayloadBase64)
		}
		if id, ok := eventIDOf(payload); ok {
			out[id] = true
		}
	}
	return out
}

// ranks orders each partition's events by key (arrival position) and
// returns every event's rank within its partition.
func ranks(events []Event, less func(a, b Event) bool) map[string]int {
	byPartition := map[int][]Event{}
	for _, e := range events {
		byPartition[e.Partition] = append(byPartition[e.Partition], e)
	}
	out := make(map[string]int, len(events))
	for _, es := range byPartition {
		sort.SliceStable(es, func(i, j int) bool { return less(es[i], es[j]) })
		for i, e := range es {
			out[e.ID] = i
		}
	}
	return out
}
