package scheduleapi

import (
	"fmt"
	"time"
)

// Limits bound every call to the third-party API. They are deployment
// settings (the stacks pass them to the consumer), because how slow the API
// may be decides how long before the invocation deadline the consumer must
// stop starting records.
type Limits struct {
	// CallTimeout bounds one attempt: the request and reading the response.
	CallTimeout time.Duration
	// MaxAttempts bounds attempts per call, the first one included.
	MaxAttempts int
	// RetryBudget bounds one call including its retries: no attempt runs
	// past it, and no retry is scheduled whose backoff would end after it.
	// Zero means DefaultRetryBudgetFactor × CallTimeout.
	RetryBudget time.Duration
	// RequestsPerSecond caps the requests one execution environment sends,
	// attempts and retries alike: its share of the fleet-wide rate the
	// stacks split across the function's concurrent executions. Requests
	// are spaced at least 1/RequestsPerSecond apart; waiting for a slot
	// counts against the call's retry budget. Zero means no cap.
	RequestsPerSecond float64
}

// Default limits tolerate a slow API: ten seconds per attempt, three
// attempts within twenty seconds.
const (
	DefaultCallTimeout = 10 * time.Second
	DefaultMaxAttempts = 3
	DefaultRetryBudget = DefaultRetryBudgetFactor * DefaultCallTimeout
)

// DefaultRetryBudgetFactor is the retry budget of limits that leave it
// unset, in call timeouts: room for a full first attempt and a retry.
const DefaultRetryBudgetFactor = 2

// DefaultLimits are the limits applied to zero fields.
var DefaultLimits = Limits{CallTimeout: DefaultCallTimeout, MaxAttempts: DefaultMaxAttempts, RetryBudget: DefaultRetryBudget}

// ResponseAllowance is the time the consumer keeps, after its last call,
// to build the batch response and hand it to Lambda.
const ResponseAllowance = time.Second

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.CallTimeout <= 0 {
		l.CallTimeout = DefaultCallTimeout
	}
	if l.MaxAttempts <= 0 {
		l.MaxAttempts = DefaultMaxAttempts
	}
	if l.RetryBudget <= 0 {
		l.RetryBudget = DefaultRetryBudgetFactor * l.CallTimeout
	}
	return l
}

// Validate reports limits that contradict each other; CheckTimeout, limits
// that contradict the function timeout.
func (l Limits) Validate() error {
	if l.RetryBudget < l.CallTimeout {
		return fmt.Errorf("retry budget %s is shorter than the call timeout %s: the first attempt could never use its whole timeout", l.RetryBudget, l.CallTimeout)
	}
	if l.RequestsPerSecond < 0 {
		return fmt.Errorf("requests per second %g: want 0 (no cap) or more", l.RequestsPerSecond)
	}
	if i := l.RequestInterval(); i > 0 && i > l.RetryBudget {
		return fmt.Errorf("%g requests per second leave a call its first slot %s after the last, beyond its %s retry budget: no call could be made while another waits",
			l.RequestsPerSecond, i.Round(time.Millisecond), l.RetryBudget)
	}
	return nil
}

// RequestInterval is the least time between two requests of one execution
// environment, 0 without a cap.
func (l Limits) RequestInterval() time.Duration {
	if l.RequestsPerSecond <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / l.RequestsPerSecond)
}

// WorstCaseRecord is the longest one record can spend on the API: a fetch
// and a push, each using its whole retry budget. A key refresh on 401/403
// happens within the same budget.
func (l Limits) WorstCaseRecord() time.Duration {
	return 2 * l.RetryBudget
}

// MinDeadlineMargin is the smallest margin before the invocation deadline
// at which the consumer may still start a record: the worst-case record plus
// the time to return the response. With any smaller margin a record started
// just in time could be cut off between its fetch and its push, or the
// response could miss the deadline and the whole batch be retried.
func (l Limits) MinDeadlineMargin() time.Duration {
	return l.WorstCaseRecord() + ResponseAllowance
}

// CheckTimeout reports limits whose MinDeadlineMargin leaves no part of a
// function timeout for work: the consumer would start no record. Only the
// stacks know the timeout, so they check it (infra/config, infra/relay).
func (l Limits) CheckTimeout(timeout time.Duration) error {
	if margin := l.MinDeadlineMargin(); margin >= timeout {
		return fmt.Errorf("a deadline margin of %s (two retry budgets of %s plus %s to respond) does not fit the function timeout %s: no record could start",
			margin, l.RetryBudget, ResponseAllowance, timeout)
	}
	return nil
}
