package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
	"github.com/orderly-dev/orderly/lambda/telemetry"
	"github.com/orderly-dev/orderly/lambda/visibility"
)

// maxChunkLimit bounds a coalesced chunk. A chunk costs the API what one
// record does (a fetch and a push, which the deadline margin covers); the
// bound keeps its local work (decoding and applying each change, a few
// microseconds each) and the pushed document's growth within one chunk
// small against the margin's response allowance, and limits what a failed
// chunk redoes one record at a time (each of those checked against the
// deadline before it starts).
const maxChunkLimit = 1000

type config struct {
	scheduleAPIBaseURL      string
	poisonQueueURL          string
	maxConcurrentPartitions int
	coalesce                bool
	maxChunk                int
	deadlineMargin          time.Duration
	apiLimits               scheduleapi.Limits
	periodPath              schedule.PeriodPath
	retryBackoff            visibility.Backoff
	outageHold              visibility.Hold
	isolateAfter            time.Duration
	isolatedQueueURL        string
	logLevel                slog.Level
}

// loadConfig reads and validates the environment, reporting every problem
// at once so that one failed deploy shows everything to fix.
func loadConfig(getenv func(string) string) (config, error) {
	var c config
	var problems []error
	c.scheduleAPIBaseURL = strings.TrimSpace(getenv(envvar.APIBaseURL))
	if err := requireURL(envvar.APIBaseURL, c.scheduleAPIBaseURL); err != nil {
		problems = append(problems, err)
	}
	c.poisonQueueURL = strings.TrimSpace(getenv(envvar.PoisonQueueURL))
	if err := requireURL(envvar.PoisonQueueURL, c.poisonQueueURL); err != nil {
		problems = append(problems, err)
	} else if strings.HasSuffix(c.poisonQueueURL, ".fifo") {
		// The sink sends without a message group id, which a FIFO queue
		// rejects: every poison record would then fail and be retried.
		problems = append(problems, fmt.Errorf("%s=%q: want a standard SQS queue, not a FIFO queue", envvar.PoisonQueueURL, c.poisonQueueURL))
	}
	if raw := strings.TrimSpace(getenv(envvar.PeriodPath)); raw != "" {
		p, err := schedule.ParsePeriodPath(raw)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s=%w", envvar.PeriodPath, err))
		}
		c.periodPath = p
	}
	var err error
	if c.maxConcurrentPartitions, err = optionalInt(getenv, envvar.MaxConcurrentPartitions, 1, envvar.MaxConcurrentPartitionsLimit); err != nil {
		problems = append(problems, err)
	}
	if c.maxConcurrentPartitions == 0 {
		c.maxConcurrentPartitions = ordering.DefaultMaxConcurrentPartitions
	}
	c.coalesce = envvar.DefaultCoalesce
	switch raw := strings.TrimSpace(getenv(envvar.Coalesce)); raw {
	case "":
	case "true", "false":
		c.coalesce = raw == "true"
	default:
		problems = append(problems, fmt.Errorf("%s=%q: want true or false, or unset for the default (%t)", envvar.Coalesce, raw, envvar.DefaultCoalesce))
	}
	if c.maxChunk, err = optionalInt(getenv, envvar.MaxChunkRecords, 1, maxChunkLimit); err != nil {
		problems = append(problems, err)
	}
	if c.maxChunk == 0 {
		c.maxChunk = ordering.DefaultMaxChunk
	}
	// Lambda's longest timeout is 15 minutes: no bound may exceed it.
	const maxMs = 15 * 60 * 1000
	callMs, err := optionalInt(getenv, envvar.APICallTimeoutMs, 1, maxMs)
	problems = appendErr(problems, err)
	c.apiLimits.MaxAttempts, err = optionalInt(getenv, envvar.APIMaxAttempts, 1, 100)
	problems = appendErr(problems, err)
	budgetMs, err := optionalInt(getenv, envvar.APIRetryBudgetMs, 1, maxMs)
	problems = appendErr(problems, err)
	c.apiLimits.RequestsPerSecond, err = optionalRate(getenv, envvar.APIRequestsPerSecond)
	problems = appendErr(problems, err)
	c.apiLimits.CallTimeout = time.Duration(callMs) * time.Millisecond
	c.apiLimits.RetryBudget = time.Duration(budgetMs) * time.Millisecond
	c.apiLimits = c.apiLimits.WithDefaults()
	if err := c.apiLimits.Validate(); err != nil {
		problems = append(problems, fmt.Errorf("%s, %s and %s: %w", envvar.APICallTimeoutMs, envvar.APIRetryBudgetMs, envvar.APIRequestsPerSecond, err))
	}
	marginMs, err := optionalInt(getenv, envvar.DeadlineMarginMs, 1, maxMs)
	problems = appendErr(problems, err)
	c.deadlineMargin = time.Duration(marginMs) * time.Millisecond
	minMargin := c.apiLimits.MinDeadlineMargin()
	switch {
	case marginMs == 0:
		c.deadlineMargin = minMargin
	case c.deadlineMargin < minMargin:
		// A smaller margin lets a record start that its calls could not
		// finish before the deadline: cut off between fetch and push.
		problems = append(problems, fmt.Errorf("%s=%d: below %d, the worst case of one record (fetch and push, each within %s=%d) plus %s to return the response",
			envvar.DeadlineMarginMs, marginMs, minMargin.Milliseconds(), envvar.APIRetryBudgetMs, c.apiLimits.RetryBudget.Milliseconds(), scheduleapi.ResponseAllowance))
	}
	var backoffErrs []error
	c.retryBackoff, backoffErrs = loadRetryBackoff(getenv)
	problems = append(problems, backoffErrs...)
	holdS, err := optionalInt(getenv, envvar.OutageHoldSeconds, 0, int(visibility.MaxVisibilityTimeout/time.Second))
	problems = appendErr(problems, err)
	c.outageHold = visibility.Hold(time.Duration(holdS) * time.Second)
	problems = append(problems, loadIsolation(getenv, &c)...)
	if c.logLevel, err = telemetry.ParseLevel(getenv(envvar.LogLevel)); err != nil {
		problems = append(problems, fmt.Errorf("%s: %w", envvar.LogLevel, err))
	}
	if len(problems) > 0 {
		return config{}, fmt.Errorf("invalid configuration: %w", errors.Join(problems...))
	}
	return c, nil
}

// loadRetryBackoff reads the SQS retry backoff. It is off unless the
// maximum is set: only the stack knows the queue's visibility timeout that
// the maximum must stay below.
func loadRetryBackoff(getenv func(string) string) (visibility.Backoff, []error) {
	maxSeconds := int(visibility.MaxVisibilityTimeout / time.Second)
	var problems []error
	capS, err := optionalInt(getenv, envvar.RetryBackoffMaxSeconds, 0, maxSeconds)
	problems = appendErr(problems, err)
	b := visibility.Backoff{Base: visibility.DefaultBackoff.Base, Max: time.Duration(capS) * time.Second}
	if strings.TrimSpace(getenv(envvar.RetryBackoffBaseSeconds)) != "" {
		baseS, err := optionalInt(getenv, envvar.RetryBackoffBaseSeconds, 0, maxSeconds)
		problems = appendErr(problems, err)
		b.Base = time.Duration(baseS) * time.Second
	}
	if len(problems) > 0 || !b.Enabled() {
		return visibility.Backoff{}, problems
	}
	if err := b.Validate(); err != nil {
		problems = append(problems, fmt.Errorf("%s and %s: %w", envvar.RetryBackoffBaseSeconds, envvar.RetryBackoffMaxSeconds, err))
	}
	return b, problems
}

// isolateAfterLimit bounds ORDERLY_ISOLATE_AFTER_SECONDS: a week, Kinesis's
// longest record age (the stacks keep it below the configured one).
const isolateAfterLimit = 7 * 24 * 3600

// loadIsolation reads the isolation age and, when it is on, the queue that
// receives isolated records.
func loadIsolation(getenv func(string) string, c *config) []error {
	afterS, err := optionalInt(getenv, envvar.IsolateAfterSeconds, 0, isolateAfterLimit)
	if err != nil {
		return []error{err}
	}
	c.isolateAfter = time.Duration(afterS) * time.Second
	c.isolatedQueueURL = strings.TrimSpace(getenv(envvar.IsolatedQueueURL))
	if c.isolateAfter == 0 {
		return nil
	}
	if err := requireURL(envvar.IsolatedQueueURL, c.isolatedQueueURL); err != nil {
		return []error{fmt.Errorf("%s is set: %w", envvar.IsolateAfterSeconds, err)}
	}
	if strings.HasSuffix(c.isolatedQueueURL, ".fifo") {
		return []error{fmt.Errorf("%s=%q: want a standard SQS queue, not a FIFO queue", envvar.IsolatedQueueURL, c.isolatedQueueURL)}
	}
	return nil
}

func appendErr(problems []error, err error) []error {
	if err != nil {
		return append(problems, err)
	}
	return problems
}

func requireURL(name, value string) error {
	if value == "" {
		return fmt.Errorf("%s is required", name)
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s=%q: want an absolute http(s) URL", name, value)
	}
	return nil
}

// optionalRate reads a positive number of requests per second; unset is 0.
func optionalRate(getenv func(string) string, name string) (float64, error) {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s=%q: want a positive number of requests per second, or unset for no cap", name, raw)
	}
	return f, nil
}

func optionalInt(getenv func(string) string, name string, lo, hi int) (int, error) {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: want an integer from %d to %d, or unset for the default", name, raw, lo, hi)
	}
	return n, nil
}
