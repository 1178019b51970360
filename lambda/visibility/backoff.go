package visibility

import (
	"errors"
	"fmt"
	"time"
)

// Jitter is the largest share by which a delay is shortened at random, so
// that groups which failed together (one outage) do not all retry in the
// same second.
const Jitter = 0.2

// MaxVisibilityTimeout is the longest visibility timeout SQS accepts.
const MaxVisibilityTimeout = 12 * time.Hour

// DefaultBackoff is the policy FifoStack deploys unless configured
// otherwise: a transient failure costs its group about a second, a failure
// that persists costs it 1, 2, 4, … s, and at most a minute per receive.
var DefaultBackoff = Backoff{Base: time.Second, Max: time.Minute}

// Backoff is how long a message reported for retry stays invisible: Base
// after its first receive, doubling with each further receive, capped at
// Max, and shortened by up to Jitter at random. The zero value is off.
type Backoff struct {
	// Base is the delay after the first receive. 0 retries at once.
	Base time.Duration
	// Max caps the delay and must stay below the queue's visibility
	// timeout, or the backoff would lengthen the wait it exists to
	// shorten. 0 turns the backoff off: reported messages keep the
	// queue's visibility timeout.
	Max time.Duration
}

// Enabled reports whether the backoff changes any visibility.
func (b Backoff) Enabled() bool { return b.Max > 0 }

// Validate checks the bounds the consumer itself can know; that Max stays
// below the queue's visibility timeout is CheckBelow, called where both are
// known (infra/config, infra/relay).
func (b Backoff) Validate() error {
	var problems []error
	if b.Base < 0 {
		problems = append(problems, fmt.Errorf("base %s: want 0 or more", b.Base))
	}
	if b.Max < 0 || b.Max > MaxVisibilityTimeout {
		problems = append(problems, fmt.Errorf("max %s: want 0 (off) to %s", b.Max, MaxVisibilityTimeout))
	}
	if b.Enabled() && b.Base > b.Max {
		problems = append(problems, fmt.Errorf("base %s exceeds max %s", b.Base, b.Max))
	}
	return errors.Join(problems...)
}

// CheckBelow reports a Max that is not below the queue's visibility
// timeout: the backoff would then make a reported failure wait as long as
// without it, or longer. A Max of 0 (off) always passes.
func (b Backoff) CheckBelow(visibilityTimeout time.Duration) error {
	if b.Max >= visibilityTimeout {
		return fmt.Errorf("max %s is not below the queue's visibility timeout %s: a reported failure would wait as long as without the backoff", b.Max, visibilityTimeout)
	}
	return nil
}

// CappedBelow returns b with Max lowered, if need be, to the longest wait
// that passes CheckBelow for this visibility timeout in SQS's whole seconds:
// the timeout − 1 s. That is how the stacks fit DefaultBackoff to a short
// function timeout instead of refusing a cap nobody set.
func (b Backoff) CappedBelow(visibilityTimeout time.Duration) Backoff {
	b.Max = min(b.Max, visibilityTimeout-time.Second)
	return b
}

// Delay is the visibility timeout for a message received receiveCount
// times (its ApproximateReceiveCount; below 1 counts as 1): min(Base ×
// 2^(receiveCount−1), Max), shortened by Jitter × u, where u is uniform in
// [0, 1). It is 0 when the backoff is off.
func (b Backoff) Delay(receiveCount int, u float64) time.Duration {
	if !b.Enabled() || b.Base == 0 {
		// Base 0 retries at once on every receive, however many.
		return 0
	}
	d := b.Max
	if shift := max(receiveCount, 1) - 1; shift < 63 {
		// A shift that overflows leaves the cap in place.
		if exp := b.Base << shift; exp>>shift == b.Base && exp < d {
			d = exp
		}
	}
	u = min(max(u, 0), 1)
	return d - time.Duration(float64(d)*Jitter*u)
}

// seconds rounds d to whole seconds, the unit of SQS visibility timeouts.
func seconds(d time.Duration) int32 {
	return int32(d.Round(time.Second) / time.Second)
}

// Reach is the least time a message has spent in its queue by its
// receiveCount-th receive when every earlier receive failed: the sum of the
// shortest delays (jitter at its largest, in SQS's whole seconds) after
// receives 1 to receiveCount−1. A delay of 0 (the backoff off) is the
// queue's visibilityTimeout. An outage hold never shortens a delay
// (Hold.Delay), so Reach bounds every mix of the two. The config compares
// it with the isolation age: a message must still be receivable when it is
// old enough to be isolated.
func (b Backoff) Reach(receiveCount int, visibilityTimeout time.Duration) time.Duration {
	var total time.Duration
	for n := 1; n < receiveCount; n++ {
		d := time.Duration(seconds(b.Delay(n, 1))) * time.Second
		if !b.Enabled() {
			d = visibilityTimeout
		}
		total += d
	}
	return total
}

// Hold is the visibility timeout after a failure that looks vendor-wide
// (no other period has succeeded since this one began failing): long, so
// that an outage uses few of a message's receives, and never shorter than
// the backoff would be. The zero value leaves the queue's visibility
// timeout in place.
type Hold time.Duration

// HoldFor is the hold that makes maxReceiveCount receives last at least
// tolerance: tolerance / maxReceiveCount, rounded up to whole seconds.
func HoldFor(tolerance time.Duration, maxReceiveCount int) Hold {
	if maxReceiveCount < 1 || tolerance <= 0 {
		return 0
	}
	per := (tolerance + time.Duration(maxReceiveCount) - 1) / time.Duration(maxReceiveCount)
	return Hold(((per + time.Second - 1) / time.Second) * time.Second)
}

// Delay is the visibility timeout of a held message received receiveCount
// times: the hold lengthened by up to Jitter × u (so that the groups one
// outage stopped together do not all come back in the same second), and
// never below the backoff's own delay. 0 when the hold is off.
func (h Hold) Delay(b Backoff, receiveCount int, u float64) time.Duration {
	if h <= 0 {
		return 0
	}
	u = min(max(u, 0), 1)
	d := time.Duration(h) + time.Duration(float64(h)*Jitter*u)
	return min(max(d, b.Delay(receiveCount, u)), MaxVisibilityTimeout)
}

// AloneReach is the least time between a message's second receive and its
// receiveCount-th: how long the consumer can watch its period fail alone
// before the last receive. A message's first failure usually looks
// vendor-wide (nothing else has succeeded since it began) and is held;
// from the second on, a period failing alone gets the backoff, and
// isolation needs the period to have failed alone for the isolation age.
func (b Backoff) AloneReach(receiveCount int, visibilityTimeout time.Duration) time.Duration {
	return max(b.Reach(receiveCount, visibilityTimeout)-b.Reach(2, visibilityTimeout), 0)
}
