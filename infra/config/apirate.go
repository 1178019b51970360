package config

import (
	"time"

	"github.com/orderly-dev/orderly/lambda/scheduleapi"
)

// ConcurrentExecutions is the most execution environments kind's consumer
// runs at once, and whether anything bounds it: shards × parallelization
// factor on a provisioned stream, the static groups (catch-all included)
// or fifo.maxConcurrency on FifoStack, each capped by
// function.reservedConcurrency. An on-demand stream, or per-key groups
// without fifo.maxConcurrency, is bounded only by reserved concurrency.
func (c Config) ConcurrentExecutions(kind string) (n int, bounded bool) {
	switch kind {
	case KindKinesis:
		if c.Kinesis.StreamMode != OnDemand {
			n = c.Kinesis.ShardCount * c.Kinesis.ParallelizationFactor
		}
	default:
		if !c.Fifo.Groups.PerKey {
			n = c.RulesAdded(KindFifo)
		}
		if m := c.Fifo.MaxConcurrency; m > 0 && (n == 0 || m < n) {
			n = m
		}
	}
	if r := c.Function.ReservedConcurrency; r > 0 && (n == 0 || r < n) {
		n = r
	}
	return n, n > 0
}

// rateShareMargin is the part of its even share each execution uses.
// Requests leave an execution evenly spaced, but reach the vendor with
// network jitter, which can bunch two of them into one second; the margin
// keeps every one-second window at the vendor at or below the cap.
const rateShareMargin = 0.95

// APILimits are the consumer's call limits on kind's stack, with the
// fleet-wide rate cap split evenly over its concurrent executions, less
// rateShareMargin (no cap when api.maxRequestsPerSecond is 0; the resolver
// refuses a cap on an unbounded fleet).
func (c Config) APILimits(kind string) scheduleapi.Limits {
	limits := c.API.Limits()
	if n, bounded := c.ConcurrentExecutions(kind); c.API.MaxRequestsPerSecond > 0 && bounded {
		limits.RequestsPerSecond = rateShareMargin * float64(c.API.MaxRequestsPerSecond) / float64(n)
	}
	return limits
}

// checkAPIRate refuses a rate cap the stacks cannot split (an unbounded
// fleet), or whose share per execution leaves a call no request slot
// within its retry budget.
func (r *resolver) checkAPIRate(cfg *Config) {
	fleet := cfg.API.MaxRequestsPerSecond
	if fleet == 0 {
		return
	}
	for _, kind := range StackKinds {
		n, bounded := cfg.ConcurrentExecutions(kind)
		if !bounded {
			why := "kinesis.streamMode = on-demand adds shards without bound"
			if kind == KindFifo {
				why = "fifo.messageGroups = per-key runs a group per period, without bound"
			}
			r.problem("api.maxRequestsPerSecond = %d needs a bounded number of concurrent executions to split over, but %s: set function.reservedConcurrency (or fifo.maxConcurrency), or api.maxRequestsPerSecond to 0", fleet, why)
			continue
		}
		limits := cfg.APILimits(kind).WithDefaults()
		if limits.Validate() != nil {
			r.problem("api.maxRequestsPerSecond = %d split over %s's %d concurrent executions is %.3g requests per second each: one request every %s, longer than api.retryBudgetSeconds = %d, so a call could never get a slot; raise api.maxRequestsPerSecond to at least %d or lower the concurrency",
				fleet, StackID(kind), n, limits.RequestsPerSecond, limits.RequestInterval().Round(time.Millisecond), int(limits.RetryBudget/time.Second),
				int(float64(n)/limits.RetryBudget.Seconds())+1)
		}
	}
}
