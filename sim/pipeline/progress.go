package pipeline

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultProgressEvery is how often a run prints a progress line.
const DefaultProgressEvery = 10 * time.Second

// tally counts, while a run goes, what its progress lines report. The run
// and its replay round share it; each round starts a phase. Safe for
// concurrent use.
type tally struct {
	sent      atomic.Int64 // handed to the stream or queue this phase
	discarded atomic.Int64 // sent to the Kinesis on-failure destination this phase

	mu    sync.Mutex
	phase string
	total int
	// poisonedBase is the poison queue's count when the phase began: the
	// queue outlives the rounds.
	poisonedBase int
	// queueDead and inFlight are set by the round's delivery once its
	// stream or queue exists: the FIFO dead-letter queues' messages, and
	// what was sent and is not finished yet.
	queueDead, inFlight func() int
}

// startPhase resets the counts for a round of total events.
func (t *tally) startPhase(name string, total, poisonedNow int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.phase, t.total, t.poisonedBase = name, total, poisonedNow
	t.queueDead, t.inFlight = nil, nil
	t.sent.Store(0)
	t.discarded.Store(0)
}

// track installs the round's queue counters.
func (t *tally) track(queueDead, inFlight func() int) {
	t.mu.Lock()
	t.queueDead, t.inFlight = queueDead, inFlight
	t.mu.Unlock()
}

// progressLine is one line of a run's progress.
type progressLine struct {
	phase                                string
	elapsed                              time.Duration
	sent, total, applied, dead, inFlight int
	rate                                 float64
}

func (p progressLine) String() string {
	return fmt.Sprintf("progress %s, %s: sent %d of %d, applied %d, dead-lettered %d, in flight %d, %.1f events/s applied since the start",
		p.elapsed.Round(time.Second), p.phase, p.sent, p.total, p.applied, p.dead, p.inFlight, p.rate)
}

// line reads the counts. applied is the fake API's count of events that
// took effect (all phases), poisoned the poison queue's messages.
func (t *tally) line(elapsed time.Duration, applied, poisoned int) progressLine {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := progressLine{phase: t.phase, elapsed: elapsed, sent: int(t.sent.Load()), total: t.total, applied: applied,
		dead: int(t.discarded.Load()) + poisoned - t.poisonedBase}
	if t.queueDead != nil {
		p.dead += t.queueDead()
	}
	if t.inFlight != nil {
		p.inFlight = t.inFlight()
	}
	if s := elapsed.Seconds(); s > 0 {
		p.rate = float64(applied) / s
	}
	return p
}

// reportProgress writes a progress line every `every` until ctx ends.
func reportProgress(ctx context.Context, every time.Duration, out io.Writer, t *tally, applied, poisoned func() int) {
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		fmt.Fprintln(out, t.line(time.Since(start), applied(), poisoned()))
	}
}
