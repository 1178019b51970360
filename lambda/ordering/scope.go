package ordering

import (
	"sync"
	"time"
)

// FailureScope tells how far a transient failure reaches, judged from the
// other keys' successes (the keys are Options.SerializeBy's, or partitions
// without it). Orderly's consumer reads it as "one period is broken" versus
// "the vendor is down"; the right reactions are opposite: take the broken
// key's records out of line (Options.Isolation), or hold everything and
// wait, since the stream or queue buffers it.
type FailureScope int

const (
	// NoFailureScope: the record did not fail transiently in its handler
	// (it succeeded, was poisoned or isolated, was skipped for the
	// deadline, or its poison sink failed).
	NoFailureScope FailureScope = iota
	// KeyFailure: another key has succeeded since this key began failing,
	// within the evidence window: the failure is the key's own.
	KeyFailure
	// WideFailure: no such evidence, which includes a first failure and
	// an environment that has seen nothing else since. Treated as an
	// outage: never a reason to take a record out of line.
	WideFailure
)

// String returns the name used in logs.
func (s FailureScope) String() string {
	switch s {
	case KeyFailure:
		return "key"
	case WideFailure:
		return "wide"
	default:
		return "none"
	}
}

// DefaultEvidenceWindow is how recent another key's success must be to
// count as evidence when Isolation.Window and Isolation.After are zero.
const DefaultEvidenceWindow = 3 * time.Minute

// maxFailingKeys bounds the failing keys remembered: past it the oldest
// streak is forgotten, which only makes that key's next failure look
// vendor-wide (the safe side: held, never isolated).
const maxFailingKeys = 10000

// health remembers, for one execution environment (one Engine), when each
// failing key began failing (and since when it has failed alone), and the
// latest successes of two distinct keys: enough to ask "has any key other
// than k succeeded since k began failing?" in constant time and memory.
type health struct {
	window time.Duration

	mu      sync.Mutex
	latest  [2]keySuccess // latest[0] is the most recent; distinct keys
	failing map[string]streak
	probed  time.Time // when the last probe started
}

// streak is a failing key's run of failures.
type streak struct {
	// since is when the first failed attempt of the run ended.
	since time.Time
	// alone is when the run's failures began to look like the key's own
	// (KeyFailure) without a WideFailure since; zero when they do not.
	alone time.Time
}

type keySuccess struct {
	key string
	at  time.Time
}

func newHealth(window time.Duration) *health {
	return &health{window: window, failing: map[string]streak{}}
}

// succeeded records that key's record (or chunk) succeeded at at, which
// ends the key's failing streak.
func (h *health) succeeded(key string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.failing, key)
	switch {
	case h.latest[0].key == key || h.latest[0].at.IsZero():
		h.latest[0] = keySuccess{key, at}
	default:
		h.latest[1] = h.latest[0]
		h.latest[0] = keySuccess{key, at}
	}
}

// failed records that key's handler failed transiently, the attempt
// ending at at, without classifying the failure yet (classify does, after
// a probe if one is due).
func (h *health) failed(key string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.failing[key]; !ok {
		if len(h.failing) >= maxFailingKeys {
			h.forgetOldestLocked()
		}
		// The streak begins when the first failed attempt ended, not when
		// it started: a success of another key that raced with the start
		// of an outage (completed while this attempt was still retrying)
		// must not count as evidence that the vendor is up.
		h.failing[key] = streak{since: at}
	}
}

// classifyLocked: KeyFailure when another key succeeded after key began
// failing and within the window. A KeyFailure starts the key's time alone
// if it has not started; a WideFailure ends it, so that after an outage a
// key must fail alone for a while again before its records leave the line:
// the backlog an outage leaves is old, and one hiccup of the recovering
// vendor must not isolate it.
func (h *health) classifyLocked(key string, now time.Time) (FailureScope, time.Duration) {
	st, ok := h.failing[key]
	if !ok {
		return NoFailureScope, 0
	}
	other := h.latest[0]
	if other.key == key {
		other = h.latest[1]
	}
	if other.at.IsZero() || !other.at.After(st.since) || now.Sub(other.at) > h.window {
		st.alone = time.Time{}
		h.failing[key] = st
		return WideFailure, 0
	}
	if st.alone.IsZero() {
		st.alone = now
		h.failing[key] = st
	}
	return KeyFailure, now.Sub(st.alone)
}

func (h *health) forgetOldestLocked() {
	var oldest string
	var at time.Time
	for k, st := range h.failing {
		if oldest == "" || st.since.Before(at) {
			oldest, at = k, st.since
		}
	}
	delete(h.failing, oldest)
}

// probeTarget returns the key to probe after key's failure at now: the
// most recent other key that succeeded, unless another key has succeeded
// since key began failing and within interval (fresh evidence), or a probe
// started within interval. It claims the probe slot, so concurrent
// failures probe once.
func (h *health) probeTarget(key string, now time.Time, interval time.Duration) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	other := h.latest[0]
	if other.key == key {
		other = h.latest[1]
	}
	st := h.failing[key]
	fresh := other.at.After(st.since) && now.Sub(other.at) < interval
	if other.at.IsZero() || fresh || now.Sub(h.probed) < interval {
		return "", false
	}
	h.probed = now
	return other.key, true
}

// classify is classifyLocked under the lock: the failure's scope, and how
// long the key has failed alone (0 unless the scope is KeyFailure).
func (h *health) classify(key string, now time.Time) (FailureScope, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.classifyLocked(key, now)
}
