package plan

import (
	"fmt"
	"strconv"
	"time"

	"github.com/orderly-dev/orderly/infra/config"
)

// The blast radius (docs/isolation.md): what one broken period (failing
// while the other periods succeed) and a vendor-wide outage cost the other
// live periods. The consumer isolates a broken period's record once the
// period has failed alone for isolation.afterSeconds and the record is that
// old, and holds everything through an outage. The figures here are the
// waits that follow from the settings, not measurements (`make
// compare-isolation` measures them).

// Wait is how long the periods sharing a broken period's shard or group (or,
// for an outage, every period) wait, and what ends the wait.
type Wait struct {
	// Seconds is the typical wait; MaxSeconds, when above it, the longest
	// the settings allow.
	Seconds    float64 `json:"seconds"`
	MaxSeconds float64 `json:"maxSeconds,omitempty"`
	// Until names the settings that bound the wait and what then happens
	// to the broken period's record.
	Until string `json:"until"`
}

// KinesisBlast is KinesisStack's blast radius under the workload.
type KinesisBlast struct {
	// MostSharing is the most other live periods one period shares its
	// shard with (on MostSharingShard); MeanSharing is the mean over the
	// periods, each as likely to break.
	MostSharing      int     `json:"mostSharing"`
	MostSharingShard string  `json:"mostSharingShard"`
	MeanSharing      float64 `json:"meanSharing"`
	// Without isolation the shard retries the broken record until it
	// expires or its retries run out; with isolation (nil when
	// isolation.afterSeconds is 0) it goes to the isolated queue.
	WithoutIsolation Wait  `json:"withoutIsolation"`
	WithIsolation    *Wait `json:"withIsolation,omitempty"`
	// Outage is how long a vendor-wide outage is held before records go
	// to the on-failure bucket.
	Outage Wait     `json:"outage"`
	Notes  []string `json:"notes,omitempty"`
}

// FifoBlast is FifoStack's blast radius under the workload.
type FifoBlast struct {
	// Modes has the configured grouping mode first, with the routing of
	// the synthesized stack, then the modes whose sharing needs no routing
	// (one group, per-key) when they are not the configured one.
	Modes []GroupingBlast `json:"modes"`
	// ReceiveBudgetSeconds is the least time from a failing message's
	// second receive to its last (visibility.Backoff.AloneReach): how long
	// its period can be seen failing alone before it is dead-lettered.
	ReceiveBudgetSeconds float64 `json:"receiveBudgetSeconds"`
	// Outage is how long a vendor-wide outage is held before a message is
	// dead-lettered.
	Outage Wait     `json:"outage"`
	Notes  []string `json:"notes,omitempty"`
}

// GroupingBlast is one grouping mode's blast radius.
type GroupingBlast struct {
	Mode        string  `json:"mode"`
	Configured  bool    `json:"configured"`
	MostSharing int     `json:"mostSharing"`
	MeanSharing float64 `json:"meanSharing"`
	// WithIsolation is nil when isolation.afterSeconds is 0.
	WithoutIsolation Wait  `json:"withoutIsolation"`
	WithIsolation    *Wait `json:"withIsolation,omitempty"`
}

// sharing returns, for periods grouped into buckets (shards or message
// groups), the most other periods one period shares its bucket with, that
// bucket, and the mean over periods.
func sharing(buckets [][]string, names []string) (most int, where string, mean float64) {
	periods, sum := 0, 0
	for i, keys := range buckets {
		n := len(keys)
		if n == 0 {
			continue
		}
		periods += n
		sum += n * (n - 1)
		if n-1 > most || where == "" {
			most, where = n-1, names[i]
		}
	}
	if periods > 0 {
		mean = float64(sum) / float64(periods)
	}
	return most, where, mean
}

// failedInvocation bounds how long one failed Kinesis invocation of a
// broken record takes: fast, when the API answers each of the call's
// attempts at its median latency (backoff sleeps, polling and Lambda
// overhead ignored, so the real figure is longer), and slow, when the call
// uses its whole retry budget.
func failedInvocation(cfg config.Config, w Workload) (fast, slow time.Duration) {
	l := cfg.API.Limits().WithDefaults()
	return time.Duration(l.MaxAttempts) * w.LatencyP50, l.RetryBudget
}

// kinesisHold is how long KinesisStack retries a failing record before it
// goes to the on-failure bucket: kinesis.maxRecordAgeSeconds, or sooner
// when kinesis.retryAttempts failed invocations take less. The note, when
// the retries can come first, says how the range is made.
func kinesisHold(cfg config.Config, w Workload) (Wait, string) {
	k := cfg.Kinesis
	age := float64(k.MaxRecordAgeSeconds)
	fast, slow := failedInvocation(cfg, w)
	byFast := min(float64(k.RetryAttempts)*fast.Seconds(), age)
	bySlow := min(float64(k.RetryAttempts)*slow.Seconds(), age)
	if k.RetryAttempts < 0 || byFast == age {
		return Wait{Seconds: age, Until: fmt.Sprintf("kinesis.maxRecordAgeSeconds = %d, then the on-failure bucket", k.MaxRecordAgeSeconds)}, ""
	}
	wait := Wait{Seconds: byFast, Until: fmt.Sprintf("kinesis.retryAttempts = %d or kinesis.maxRecordAgeSeconds = %d, whichever comes first, then the on-failure bucket", k.RetryAttempts, k.MaxRecordAgeSeconds)}
	if bySlow > byFast {
		wait.MaxSeconds = bySlow
	}
	note := fmt.Sprintf("the retries can run out before the record age: %d failed invocations take %s if the API fails fast (%d attempts × p50 %.0f ms each; polling and Lambda overhead ignored), %s if every call uses its api.retryBudgetSeconds = %.0f",
		k.RetryAttempts, duration(float64(k.RetryAttempts)*fast.Seconds()), cfg.API.Limits().WithDefaults().MaxAttempts, ms(w.LatencyP50.Seconds()),
		duration(float64(k.RetryAttempts)*slow.Seconds()), slow.Seconds())
	return wait, note
}

// PlanKinesisBlast derives KinesisStack's blast radius from the placement
// in kp.
func PlanKinesisBlast(cfg config.Config, w Workload, kp KinesisPlan) KinesisBlast {
	buckets, names := make([][]string, len(kp.ShardLoads)), make([]string, len(kp.ShardLoads))
	for i, s := range kp.ShardLoads {
		buckets[i], names[i] = s.Keys, s.ShardID
	}
	var b KinesisBlast
	b.MostSharing, b.MostSharingShard, b.MeanSharing = sharing(buckets, names)
	var note string
	b.WithoutIsolation, note = kinesisHold(cfg, w)
	if note != "" {
		b.Notes = append(b.Notes, note)
	}
	b.Outage = b.WithoutIsolation
	b.Outage.Until = "held, never isolated: " + b.Outage.Until
	if after := cfg.Isolation.AfterSeconds; after > 0 {
		budget := cfg.API.Limits().WithDefaults().RetryBudget
		// The period must fail alone for the isolation age, a clock its
		// second failure starts (the first looks vendor-wide); the record
		// leaves when the first attempt past it fails. Typically one
		// attempt beyond the age; at most three, when every call uses its
		// whole retry budget.
		b.WithIsolation = &Wait{Seconds: float64(after) + budget.Seconds(), MaxSeconds: float64(after) + 3*budget.Seconds(),
			Until: fmt.Sprintf("isolation.afterSeconds = %d of the period failing alone + one attempt (api.retryBudgetSeconds = %d; up to three when the calls time out), then the isolated queue", after, int(budget/time.Second))}
		if b.WithoutIsolation.Seconds <= b.WithIsolation.Seconds {
			b.Notes = append(b.Notes, fmt.Sprintf("a broken period's record can leave the stream after %s, before it is isolated: %s", duration(b.WithoutIsolation.Seconds), b.WithoutIsolation.Until))
		}
	}
	if kp.ParallelizationFactor > 1 {
		b.Notes = append(b.Notes, fmt.Sprintf("parallelization factor %d: Lambda spreads a shard's partition keys over %d lanes, so about 1/%d of the periods sharing the shard share the broken period's lane (which ones is Lambda's choice)",
			kp.ParallelizationFactor, kp.ParallelizationFactor, kp.ParallelizationFactor))
	}
	return b
}

// fifoTimes are FifoStack's waits that do not depend on the grouping.
type fifoTimes struct {
	// first: the least delay after a broken period's first failure. Its
	// batch normally saw another period succeed, so it gets the retry
	// backoff (the visibility timeout when the backoff is off); firstMax,
	// the longest, is the outage hold at its largest, when nothing else in
	// its batch succeeded and no probe could (an environment that has not
	// yet seen another period succeed), so the failure looks vendor-wide.
	first, firstMax time.Duration
	// deadLetter: the least time until a message of a period failing
	// alone is dead-lettered: the backoff's shortest delays after each of
	// its receives (visibility.Backoff.Reach).
	deadLetter time.Duration
	// budget: the least time from its second receive to its last, by
	// which its period can be seen failing alone (the receive budget the
	// config compares with isolation.afterSeconds).
	budget time.Duration
	// held: the least time until a message failing vendor-wide is
	// dead-lettered: the backoff once (the failure that meets the start of
	// an outage can still share its batch with another period's success),
	// then the hold after every further receive.
	held time.Duration
	// deadLetterMax and heldMax: the same at the longest delays (no
	// backoff jitter, the hold's jitter at its largest): held once, then
	// the backoff; held on every receive.
	deadLetterMax, heldMax time.Duration
}

func fifoTimesOf(cfg config.Config) fifoTimes {
	f, vt := cfg.Fifo, cfg.VisibilityTimeout()
	b, hold := f.RetryBackoff(), f.OutageHold()
	// The backoff's shortest delay after receive n (jitter at its largest,
	// whole seconds), and its longest (no jitter); the visibility timeout
	// when the backoff is off.
	backoffShortest := func(n int) time.Duration { return b.Reach(n+1, vt) - b.Reach(n, vt) }
	backoffLongest := func(n int) time.Duration {
		if !b.Enabled() {
			return vt
		}
		return b.Delay(n, 0).Round(time.Second)
	}
	// A held receive waits the hold, lengthened by its jitter and never
	// below the backoff's own delay (Hold.Delay); with the hold off, the
	// backoff.
	heldShortest, heldLongest := backoffShortest, backoffLongest
	if hold > 0 {
		heldShortest = func(n int) time.Duration { return max(time.Duration(hold), b.Delay(n, 1).Round(time.Second)) }
		heldLongest = func(n int) time.Duration { return hold.Delay(b, n, 1) }
	}
	t := fifoTimes{budget: b.AloneReach(f.MaxReceiveCount, vt), first: backoffShortest(1)}
	t.firstMax = max(backoffLongest(1), heldLongest(1))
	t.deadLetter = b.Reach(f.MaxReceiveCount+1, vt)
	t.deadLetterMax, t.held, t.heldMax = t.firstMax, t.first, t.firstMax
	for n := 2; n <= f.MaxReceiveCount; n++ {
		t.deadLetterMax += backoffLongest(n)
		t.held += heldShortest(n)
		t.heldMax += heldLongest(n)
	}
	return t
}

// PlanFifoBlast derives FifoStack's blast radius from the routing in fp.
func PlanFifoBlast(cfg config.Config, w Workload, fp FifoPlan) FifoBlast {
	f := cfg.Fifo
	t := fifoTimesOf(cfg)
	fb := FifoBlast{ReceiveBudgetSeconds: t.budget.Seconds()}
	hold := time.Duration(f.OutageHold())
	retry := "the retry backoff"
	if !f.RetryBackoff().Enabled() {
		retry = "the visibility timeout (fifo.retryBackoffMaxSeconds = 0, no backoff)"
	}
	held := Wait{Seconds: t.held.Seconds(), MaxSeconds: t.heldMax.Seconds(),
		Until: fmt.Sprintf("the outage hold (fifo.outageToleranceSeconds = %d / (fifo.maxReceiveCount − 1) = %d s per receive) over %d receives, the first of which can get %s instead, then the message is dead-lettered",
			f.OutageToleranceSeconds, int(hold/time.Second), f.MaxReceiveCount, retry)}
	if hold == 0 {
		held.Until = fmt.Sprintf("fifo.outageToleranceSeconds = 0, no outage hold: %s over fifo.maxReceiveCount = %d receives, then the message is dead-lettered", retry, f.MaxReceiveCount)
	}
	fb.Outage = held
	fb.Outage.Until = "held, never isolated: " + held.Until
	// A broken period's failure gets the backoff when another period
	// succeeded in its batch or the probe after it succeeded; its first is
	// held only when neither did (an environment that has not yet seen
	// another period succeed has nothing to probe), the longest case. From
	// its second receive on the consumer has seen another period succeed
	// since it began failing.
	heldOnce, heldFirst := "", ""
	if hold > 0 {
		heldFirst = " (the outage hold instead when neither another period in its batch nor a probe succeeded: the longest case)"
		heldOnce = " (its first failure gets the outage hold instead when neither another period in its batch nor a probe succeeded: the longest case)"
	}
	backoff := Wait{Seconds: t.deadLetter.Seconds(), MaxSeconds: t.deadLetterMax.Seconds(),
		Until: fmt.Sprintf("%s over fifo.maxReceiveCount = %d receives%s, then the message is dead-lettered and the group moves on",
			retry, f.MaxReceiveCount, heldOnce)}
	after := cfg.Isolation.AfterSeconds
	var isolated *Wait
	if after > 0 {
		budget := cfg.API.Limits().WithDefaults().RetryBudget
		b := f.RetryBackoff()
		// The isolation clock starts by the second receive (after the
		// first delay: the backoff, or the hold at its longest); the
		// message is isolated on the first receive after its period has
		// failed alone for the isolation age: at most one backoff delay
		// (or visibility timeout) and one attempt later.
		gap := b.Max
		if !b.Enabled() {
			gap = cfg.VisibilityTimeout()
		}
		isolated = &Wait{Seconds: (t.first + time.Duration(after)*time.Second).Seconds(),
			MaxSeconds: (t.firstMax + time.Duration(after)*time.Second + gap + budget).Seconds(),
			Until: fmt.Sprintf("%s after the first failure%s, then isolation.afterSeconds = %d of the period failing alone, on the next receive (up to one backoff delay and one attempt later), then the message goes to the isolated queue",
				retry, heldFirst, after)}
		if t.budget < time.Duration(after)*time.Second {
			isolated = &backoff
			fb.Notes = append(fb.Notes, fmt.Sprintf("isolation.afterSeconds = %d exceeds the receive budget (%d s from a message's second receive to its last): a broken period's message is dead-lettered before it can be isolated", after, int(t.budget/time.Second)))
		}
	}
	// One group: every period shares it and the broken record blocks it,
	// so once it heads its batch no other period succeeds alongside it;
	// the probe (a read of the most recent other period that succeeded)
	// supplies the evidence instead, so it waits like the other modes.
	oneGroup := GroupingBlast{Mode: "1", MostSharing: len(w.Periods) - 1, MeanSharing: float64(len(w.Periods) - 1), WithoutIsolation: backoff, WithIsolation: isolated}
	perKey := GroupingBlast{Mode: config.PerKeyGroups, WithoutIsolation: backoff, WithIsolation: isolated}

	groups := map[string][]string{}
	var order []string
	for _, kg := range fp.Keys {
		if _, ok := groups[kg.Group]; !ok {
			order = append(order, kg.Group)
		}
		groups[kg.Group] = append(groups[kg.Group], kg.Key)
	}
	buckets := make([][]string, len(order))
	for i, g := range order {
		buckets[i] = groups[g]
	}
	configured := GroupingBlast{Mode: fp.Mode, Configured: true, WithoutIsolation: backoff, WithIsolation: isolated}
	configured.MostSharing, _, configured.MeanSharing = sharing(buckets, order)
	fb.Modes = append(fb.Modes, configured)
	if fp.Mode != "1" {
		fb.Modes = append(fb.Modes, oneGroup)
	}
	if fp.Mode != config.PerKeyGroups {
		fb.Modes = append(fb.Modes, perKey)
	}
	if _, err := strconv.Atoi(fp.Mode); err != nil || fp.Mode == "1" {
		fb.Notes = append(fb.Notes, "N static groups: the periods the rules route to the broken period's group wait; plan with CONTEXT=\"-c fifo.messageGroups=N\" to see which")
	}
	if limit := time.Duration(f.RetentionHours) * time.Hour; t.held >= limit {
		fb.Notes = append(fb.Notes, fmt.Sprintf("the outage hold (%s) reaches fifo.retentionHours = %d: messages can expire instead of being dead-lettered", t.held, f.RetentionHours))
	}
	return fb
}

// waitText prints a wait compactly: "200 s", "3.3 min", "48 h".
func waitText(wt Wait) string {
	s := duration(wt.Seconds)
	if wt.MaxSeconds > wt.Seconds {
		s += " to " + duration(wt.MaxSeconds)
	}
	return s
}

func duration(seconds float64) string {
	switch {
	case seconds < 600:
		return fmt.Sprintf("%.0f s", seconds)
	case seconds < 3*3600:
		return fmt.Sprintf("%.0f min", seconds/60)
	default:
		return fmt.Sprintf("%.1f h", seconds/3600)
	}
}
