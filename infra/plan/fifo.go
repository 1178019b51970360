package plan

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/orderly-dev/orderly/infra/config"
)

// Router returns the message group a period's events reach in FifoStack.
// The caller evaluates the synthesized rules (and Pipe), so this package
// never re-implements routing.
type Router func(periodKey string) (group string, err error)

// FifoDelivery is what the planner needs from the synthesized FifoStack.
type FifoDelivery struct {
	Route Router
	// Groups are the static groups the rules deliver to; empty in per-key
	// mode (one group per key).
	Groups []string
	// SendLimited is set when EventBridge sends to a queue without high
	// throughput (300 SendMessage calls/s): the queue of static groups, or
	// the ingest queue in per-key mode.
	SendLimited bool
	// Pipe is set in per-key mode.
	Pipe bool
}

// FifoPlan is FifoStack under the workload.
type FifoPlan struct {
	Mode string     `json:"mode"`
	Keys []KeyGroup `json:"keys"`
	// Groups is every group the mode provides (static) or receives (per-key).
	Groups     []GroupLoad `json:"groups"`
	GroupsUsed int         `json:"groupsUsed"`
	// Skew is the busiest group's load over the mean over Groups.
	Skew float64 `json:"skew"`
	// GroupCeilingPerSec: a group's messages run one after another.
	GroupCeilingPerSec float64 `json:"groupCeilingPerSec"`
	// ConcurrencyLimit bounds concurrent invocations; LimitSource names
	// the setting (or default) that sets it.
	ConcurrencyLimit int    `json:"concurrencyLimit"`
	LimitSource      string `json:"limitSource"`
	// CeilingPerSec: groups in flight (at most the limit × the groups one
	// batch can hold) × the group ceiling, within the send quota.
	CeilingPerSec       float64 `json:"ceilingPerSec"`
	ReachablePeakPerSec float64 `json:"reachablePeakPerSec"`
	Risk                string  `json:"risk"`
	// Blast is what a broken period and an outage cost the other periods.
	Blast FifoBlast `json:"blastRadius"`
	Notes []string  `json:"notes,omitempty"`
}

// KeyGroup is the group one period key lands in.
type KeyGroup struct {
	Key          string  `json:"key"`
	Group        string  `json:"group"`
	EventsPerSec float64 `json:"eventsPerSec"`
}

// GroupLoad is one message group at peak.
type GroupLoad struct {
	Group           string   `json:"group"`
	Keys            []string `json:"keys"`
	EventsPerSec    float64  `json:"eventsPerSec"`
	UtilizationMean float64  `json:"utilizationMean"`
	UtilizationP99  float64  `json:"utilizationP99"`
}

// PlanFifo routes the workload's periods through d.
func PlanFifo(cfg config.Config, w Workload, d FifoDelivery) (FifoPlan, error) {
	f := cfg.Fifo
	fp := FifoPlan{Mode: f.Groups.String()}
	mean, p99 := w.serviceTime()
	perGroup := 1 / mean.Seconds()
	fp.GroupCeilingPerSec = perGroup
	loads := map[string]*GroupLoad{}
	order := slices.Clone(d.Groups)
	for _, g := range d.Groups {
		loads[g] = &GroupLoad{Group: g, Keys: []string{}}
	}
	for i, rate := range w.rates() {
		key := w.Periods[i].Key
		group, err := d.Route(key)
		if err != nil {
			return fp, fmt.Errorf("routing period %q: %w", key, err)
		}
		fp.Keys = append(fp.Keys, KeyGroup{Key: key, Group: group, EventsPerSec: rate})
		gl, ok := loads[group]
		if !ok {
			if len(d.Groups) > 0 {
				return fp, fmt.Errorf("period %q reached group %q, which is none of the stack's groups %v", key, group, d.Groups)
			}
			gl = &GroupLoad{Group: group}
			loads[group] = gl
			order = append(order, group)
		}
		gl.Keys = append(gl.Keys, key)
		gl.EventsPerSec += rate
	}
	maxLoad := 0.0
	for _, g := range order {
		gl := loads[g]
		gl.UtilizationMean = gl.EventsPerSec / perGroup
		gl.UtilizationP99 = gl.EventsPerSec * p99.Seconds()
		if gl.EventsPerSec > 0 {
			fp.GroupsUsed++
			fp.Risk = worseRisk(fp.Risk, riskOf(gl.UtilizationMean, gl.UtilizationP99))
		}
		maxLoad = math.Max(maxLoad, gl.EventsPerSec)
		fp.Groups = append(fp.Groups, *gl)
	}
	fp.Skew = maxLoad / (w.PeakPerSec / float64(len(order)))

	fp.ConcurrencyLimit, fp.LimitSource = accountConcurrency, "the account's default concurrency"
	if r := cfg.Function.ReservedConcurrency; r > 0 {
		fp.ConcurrencyLimit, fp.LimitSource = r, "function.reservedConcurrency"
	}
	if m := f.MaxConcurrency; m > 0 && m <= fp.ConcurrencyLimit {
		fp.ConcurrencyLimit, fp.LimitSource = m, "fifo.maxConcurrency"
	}
	// One invocation holds up to batchSize messages, and the consumer runs
	// up to maxConcurrentPartitions of their groups at once.
	groupsPerInvocation := min(f.BatchSize, cfg.Function.MaxConcurrentPartitions)
	inFlight := min(fp.GroupsUsed, fp.ConcurrencyLimit*groupsPerInvocation)
	fp.CeilingPerSec = float64(inFlight) * perGroup
	fp.ReachablePeakPerSec = w.PeakPerSec * perGroup / maxLoad
	if d.SendLimited {
		fp.CeilingPerSec = math.Min(fp.CeilingPerSec, fifoSendCallsPerSec)
		fp.ReachablePeakPerSec = math.Min(fp.ReachablePeakPerSec, fifoSendCallsPerSec)
		fp.Notes = append(fp.Notes, fmt.Sprintf("EventBridge sends one message per call to a FIFO queue without high throughput: at most %d events/s", fifoSendCallsPerSec))
	}
	if inFlight < fp.GroupsUsed {
		fp.ReachablePeakPerSec = math.Min(fp.ReachablePeakPerSec, fp.CeilingPerSec)
		fp.Notes = append(fp.Notes, fmt.Sprintf("%s = %d holds only %d of the %d busy groups at once", fp.LimitSource, fp.ConcurrencyLimit, inFlight, fp.GroupsUsed))
	}
	if n := len(d.Groups); n > 1 && fp.GroupsUsed < n {
		busiest := slices.MaxFunc(fp.Groups, func(a, b GroupLoad) int { return cmp.Compare(a.EventsPerSec, b.EventsPerSec) })
		fp.Notes = append(fp.Notes, fmt.Sprintf("only %d of the %d groups receive these periods; %s takes %d of %d (the rules route on what the events carry: check the producer sets the routing field)",
			fp.GroupsUsed, n, busiest.Group, len(busiest.Keys), len(w.Periods)))
	}
	if d.Pipe {
		fp.Notes = append(fp.Notes, "per-key: the Pipe drains the single-group ingest queue one batch at a time; its latency adds to every event and is not modelled")
	}
	if limit, note, ok := rateCapCeiling(cfg, w); ok {
		fp.CeilingPerSec = math.Min(fp.CeilingPerSec, limit)
		fp.ReachablePeakPerSec = math.Min(fp.ReachablePeakPerSec, limit)
		fp.Notes = append(fp.Notes, note)
	}
	fp.Blast = PlanFifoBlast(cfg, w, fp)
	return fp, nil
}
