package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Report is the outcome of a run. Its JSON form is the summary line the
// load command prints last.
type Report struct {
	Stack string `json:"stack"`
	// Mode is "ordered" (through the stack's delivery) or "unordered"
	// (every event its own concurrent invocation).
	Mode string `json:"mode"`
	Env  string `json:"env"`
	// Config summarizes the settings read from the cloud assembly.
	Config string `json:"config"`
	// Concurrency is the number of consumer instances (execution
	// environments) the run started; PeakConcurrency how many invocations
	// actually ran at once at most (a FIFO group without messages, or a
	// shard without records, leaves an instance idle).
	Concurrency     int `json:"concurrency"`
	PeakConcurrency int `json:"peakConcurrency"`

	EventsSent    int `json:"eventsSent"`
	EventsApplied int `json:"eventsApplied"`
	// LostUpdates counts writes the fake API saw overwrite someone else's
	// update (plus writes that dropped an entity), and StateMismatches
	// entities whose final state is not that of their newest applied event.
	LostUpdates     int `json:"lostUpdates"`
	StateMismatches int `json:"stateMismatches"`
	// OrderViolations counts events that took effect after an event that
	// arrived later in the same partition.
	OrderViolations int `json:"orderViolations"`
	// DuplicateEffects counts events that took effect more than once;
	// DuplicateDeliveries counts deliveries beyond the first (harmless
	// when the consumer is idempotent).
	DuplicateEffects    int `json:"duplicateEffects"`
	DuplicateDeliveries int `json:"duplicateDeliveries"`
	// PoisonSent is the number of poison events produced, PoisonDeadLettered
	// those routed to the poison queue (the consumer's DLQ).
	PoisonSent         int `json:"poisonSent"`
	PoisonDeadLettered int `json:"poisonDeadLettered"`
	// DeadLettered counts every event that ended in a dead-letter
	// destination: the poison queue, the FIFO queue's DLQ or the Kinesis
	// mapping's on-failure destination.
	DeadLettered int `json:"deadLettered"`
	// Superseded counts events that never took effect themselves while a
	// newer event of the same entity did: the consumer coalesced them away
	// (schedule.EffectSuperseded).
	Superseded int `json:"superseded"`
	// Isolated counts events the consumer took out of line to the
	// isolated queue (issue 17): accounted for until a redrive applies
	// them (Redrive).
	Isolated int `json:"isolated"`
	// Unaccounted counts events neither applied, superseded,
	// dead-lettered nor isolated.
	Unaccounted int `json:"unaccounted"`

	// APICalls counts requests to the fake API's /schedules (GETs and
	// PUTs, retries and faulted ones included: all count against a real
	// vendor's rate limit); APICallsPerEvent divides them by EventsSent.
	APICalls         int64   `json:"apiCalls"`
	APICallsPerEvent float64 `json:"apiCallsPerEvent"`
	// PeakAPICallsPerSecond is the most requests in any one-second window
	// at the fake API: what the vendor's rate limit would have counted.
	PeakAPICallsPerSecond int64 `json:"peakApiCallsPerSecond"`
	// FifoStack only: FailedGroups counts the message groups of batches
	// that reported failures, and GroupWaitSeconds sums how long each
	// stayed locked afterwards (the queue's visibility timeout, or the
	// consumer's retry backoff). VisibilityChangesRefused counts backoff
	// changes the queue refused (the message had left flight).
	FailedGroups             int     `json:"failedGroups,omitempty"`
	GroupWaitSeconds         float64 `json:"groupWaitSeconds,omitempty"`
	VisibilityChangesRefused int     `json:"visibilityChangesRefused,omitempty"`
	// IdleSecondsSkipped is the queue time Options.SkipIdleTime jumped
	// over: waits nobody could observe, so durations are shorter by it.
	IdleSecondsSkipped float64 `json:"idleSecondsSkipped,omitempty"`

	Invocations       int         `json:"invocations"`
	FailedInvocations int         `json:"failedInvocations"`
	Kills             int         `json:"kills"`
	Restarts          int         `json:"restarts"`
	InjectedFaults    FaultCounts `json:"injectedFaults"`

	DurationSeconds float64 `json:"durationSeconds"`
	// DrainSeconds is set for a run with Options.Backlog: the seconds from
	// the consumer's start, every event already in the stream, until the
	// last one was finished (DurationSeconds also counts the sending).
	DrainSeconds     float64 `json:"drainSeconds,omitempty"`
	ThroughputPerSec float64 `json:"throughputPerSec"`
	LatencyP50Ms     float64 `json:"latencyP50Ms"`
	LatencyP99Ms     float64 `json:"latencyP99Ms"`
	TimedOut         bool    `json:"timedOut,omitempty"`

	// BrokenPeriods are the periods the fake API answered 503 on purpose
	// (Faults.BrokenPeriods), Outage its vendor-wide window, and
	// BlastRadius the latency of the healthy periods beside them.
	BrokenPeriods []string     `json:"brokenPeriods,omitempty"`
	Outage        string       `json:"outage,omitempty"`
	BlastRadius   *BlastRadius `json:"blastRadius,omitempty"`
	// Redrive is the outcome of putting the isolated events back once the
	// broken periods recovered; its problems are the run's.
	Redrive *RedriveReport `json:"redrive,omitempty"`

	// Replay is the outcome of re-sending every event after the run
	// (Options.Replay); its problems are the run's.
	Replay *ReplayReport `json:"replay,omitempty"`

	// OK is true when nothing was lost, reordered, applied twice or left
	// unaccounted for.
	OK bool `json:"ok"`

	// Pids lists every process the run started, for checks that none
	// survives; LogDir holds their logs.
	Pids   []int  `json:"-"`
	LogDir string `json:"-"`
}

// FaultCounts are the faults the fake API injected.
type FaultCounts struct {
	ServerErrors int64 `json:"serverErrors"`
	Throttles    int64 `json:"throttles"`
	Timeouts     int64 `json:"timeouts"`
}

// Problems lists what makes the report not OK.
func (r *Report) Problems() []string {
	var p problemList
	p.count(r.LostUpdates, "lost updates")
	p.count(r.StateMismatches, "entities not in the state of their newest applied event")
	p.count(r.OrderViolations, "order violations")
	p.count(r.DuplicateEffects, "events applied more than once")
	p.count(r.Unaccounted, "events neither applied, superseded nor dead-lettered")
	if r.TimedOut {
		p.list = append(p.list, "the run timed out")
	}
	if r.Redrive != nil {
		p.list = append(p.list, r.Redrive.Problems()...)
	}
	if r.Replay != nil {
		p.list = append(p.list, r.Replay.Problems()...)
	}
	return p.list
}

func (r *Report) judge() { r.OK = len(r.Problems()) == 0 }

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%s stack (%s, env %s): %s; %d consumer instance(s), at most %d busy at once\n", r.Stack, r.Mode, r.Env, r.Config, r.Concurrency, r.PeakConcurrency)
	fmt.Fprintf(w, "  events sent %d, applied %d, superseded %d, dead-lettered %d (poison %d of %d), isolated %d, unaccounted %d\n",
		r.EventsSent, r.EventsApplied, r.Superseded, r.DeadLettered, r.PoisonDeadLettered, r.PoisonSent, r.Isolated, r.Unaccounted)
	fmt.Fprintf(w, "  lost updates %d, state mismatches %d, order violations %d, duplicate effects %d (duplicate deliveries %d)\n",
		r.LostUpdates, r.StateMismatches, r.OrderViolations, r.DuplicateEffects, r.DuplicateDeliveries)
	fmt.Fprintf(w, "  invocations %d (failed %d), consumer kills %d, restarts %d, injected 5xx %d, 429 %d, timeouts %d\n",
		r.Invocations, r.FailedInvocations, r.Kills, r.Restarts, r.InjectedFaults.ServerErrors, r.InjectedFaults.Throttles, r.InjectedFaults.Timeouts)
	if r.FailedGroups > 0 {
		fmt.Fprintf(w, "  message groups waited %.1f s in all after %d reported group failures (%d visibility changes refused)\n",
			r.GroupWaitSeconds, r.FailedGroups, r.VisibilityChangesRefused)
	}
	if r.IdleSecondsSkipped > 0 {
		fmt.Fprintf(w, "  %.1f s of idle queue time skipped (no batch in progress, nothing visible)\n", r.IdleSecondsSkipped)
	}
	if r.DrainSeconds > 0 {
		fmt.Fprintf(w, "  backlog drained in %.1f s (%.1f events/s) once the consumer started\n", r.DrainSeconds, float64(r.EventsSent)/r.DrainSeconds)
	}
	fmt.Fprintf(w, "  %.1f s, %.1f events/s, end-to-end latency p50 %.0f ms, p99 %.0f ms, API calls %d (%.2f per event, at most %d in one second)\n",
		r.DurationSeconds, r.ThroughputPerSec, r.LatencyP50Ms, r.LatencyP99Ms, r.APICalls, r.APICallsPerEvent, r.PeakAPICallsPerSecond)
	if len(r.BrokenPeriods) > 0 || r.Outage != "" {
		fmt.Fprintf(w, "  breakdown: broken periods %v, outage %s\n", r.BrokenPeriods, orNone(r.Outage))
	}
	if r.BlastRadius != nil {
		r.BlastRadius.WriteText(w)
	}
	if r.Redrive != nil {
		r.Redrive.WriteText(w)
	}
	if r.Replay != nil {
		r.Replay.WriteText(w)
	}
	if problems := r.Problems(); len(problems) > 0 {
		fmt.Fprintf(w, "  FAILED: %s\n", strings.Join(problems, "; "))
	} else {
		fmt.Fprintln(w, "  OK: nothing lost, reordered, applied twice or unaccounted for")
	}
}

// JSON returns the one-line summary.
func (r *Report) JSON() string {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	return string(b)
}

// problemList collects a report's problems: each nonzero count as one
// line, "<prefix><n> <what>".
type problemList struct {
	prefix string
	list   []string
}

func (p *problemList) count(n int, what string) {
	if n > 0 {
		p.list = append(p.list, fmt.Sprintf("%s%d %s", p.prefix, n, what))
	}
}
