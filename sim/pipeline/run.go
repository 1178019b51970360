package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/lambdaemu"
)

const (
	localRegion  = "eu-west-1"
	localAccount = "000000000000"
	localAPIKey  = "orderly-local-api-key"
	streamName   = "orderly-local"
	// DefaultMaxConcurrency caps the consumer instances: each is an
	// emulator plus a qemu-translated function, and 4 already saturate a
	// 2-core machine.
	DefaultMaxConcurrency = 4
	// DefaultTimeout bounds a whole run.
	DefaultTimeout = 4 * time.Minute
)

// Faults are injected into a run.
type Faults struct {
	// ErrorRate, ThrottleRate and TimeoutRate are the fake API's
	// probabilities of answering 500, 429, or not answering.
	ErrorRate, ThrottleRate, TimeoutRate float64
	// Latency is added to every fake API request.
	Latency time.Duration
	// Kills is how many times a consumer instance is killed mid-batch,
	// spread over the run.
	Kills int
	// BrokenPeriods periods, chosen from the workload by its seed
	// (brokenPeriods), are answered 503 on every request from the moment
	// delivery starts: for good, or for BrokenFor. A period-specific
	// failure (issue 17).
	BrokenPeriods int
	BrokenFor     time.Duration
	// Outage answers every request 503 in its window, measured from the
	// moment delivery starts: a vendor-wide failure.
	Outage fakeapi.Window
}

// Options configure a run.
type Options struct {
	// Root is the module root (for node_modules and .bin).
	Root     string
	Settings Settings
	Workload Workload
	// Rate is events per second; 0 sends everything at once.
	Rate   float64
	Faults Faults
	// Unordered delivers every event as its own invocation, concurrently,
	// as plain asynchronous invocations would: the contrast that loses
	// updates.
	Unordered bool
	// Replay, after the run is verified, re-sends every event in shuffled
	// order as an EventBridge archive replay would, and checks that nothing
	// changes (see ReplayReport). Ignored with Unordered.
	Replay bool
	// MaxConcurrency caps consumer instances (default 4).
	MaxConcurrency int
	// Timeout bounds the run, its replay included (default 4 minutes).
	Timeout time.Duration
	// SkipIdleTime lets the SQS FIFO model jump its clock over time in
	// which nothing can happen, once every event is sent: no batch in
	// progress, nothing visible, only messages waiting out a visibility
	// timeout (a killed consumer's batch) or the retry backoff. Tests use
	// it so that the minute a killed batch stays invisible costs no
	// minute; what it skipped is reported. Leave it off when the waits are
	// what you measure (compare-backoff).
	SkipIdleTime bool
	// Backlog (KinesisStack only) puts every event into the stream before
	// the event source mapping starts reading it: the consumer starts on a
	// backlog, as after an outage, and Report.DrainSeconds says how long it
	// took to work through it. Use it with Rate 0.
	Backlog bool
	// FunctionEnv sets (or, with "", clears) variables of the consumer's
	// environment over the synthesized ones: for trying a setting the
	// stacks do not pass yet. The pipeline's own endpoints still win.
	FunctionEnv map[string]string
	// LogDir receives the logs of every process.
	LogDir string
	// Progress receives a few lines about the run's phases, and a progress
	// line every ProgressEvery (default DefaultProgressEvery).
	Progress      io.Writer
	ProgressEvery time.Duration
}

// Run runs the pipeline once and verifies the outcome. The error is for
// the harness failing; a pipeline that loses or reorders events gives a
// Report that is not OK.
func Run(ctx context.Context, opts Options) (rep *Report, err error) {
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = DefaultMaxConcurrency
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = DefaultProgressEvery
	}
	if opts.LogDir == "" {
		return nil, errors.New("pipeline: Options.LogDir is required")
	}
	s := opts.Settings
	if opts.Backlog && (opts.Unordered || s.Stack != StackKinesis) {
		return nil, fmt.Errorf("pipeline: Options.Backlog holds the events in a Kinesis stream until the consumer starts: it needs the %s stack and ordered delivery", StackKinesis)
	}
	if opts.SkipIdleTime && s.Stack == StackFifo && (opts.Faults.BrokenPeriods > 0 || !opts.Faults.Outage.IsZero()) {
		// The model's clock could jump a hold, but the consumer times how
		// long a period has failed alone on its own clock: messages would
		// spend their receives in skipped holds before the consumer saw
		// the isolation age pass (a trial dead-lettered 122 of 300 events).
		return nil, errors.New("pipeline: Options.SkipIdleTime (-skip-idle) jumps the SQS FIFO model's clock, while the consumer times isolation on its own: with broken periods or an outage, leave it off")
	}
	if err := fillWorkload(&opts.Workload, s); err != nil {
		return nil, err
	}
	events, err := Generate(opts.Workload)
	if err != nil {
		return nil, err
	}
	broken, err := brokenPeriods(events, opts.Faults.BrokenPeriods, opts.Workload.Seed)
	if err != nil {
		return nil, err
	}
	tools, err := lambdaemu.FindTools(opts.Root)
	if err != nil {
		return nil, err
	}

	// Everything started is stopped on the way out, in reverse order, also
	// on error or cancellation.
	var cleanups []func()
	var pids []func() []int
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
		if rep != nil {
			for _, p := range pids {
				rep.Pids = append(rep.Pids, p()...)
			}
		}
	}()

	api, err := startScheduleAPI(localAPIKey, fakeapi.Faults{
		Latency: opts.Faults.Latency, ErrorRate: opts.Faults.ErrorRate, ThrottleRate: opts.Faults.ThrottleRate,
		RetryAfter: time.Second, TimeoutRate: opts.Faults.TimeoutRate, Seed: opts.Workload.Seed,
	})
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { _ = api.Close() })
	sqsAPI, err := startSQSEndpoint()
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { _ = sqsAPI.Close() })

	plan := planFor(opts, s)
	fmt.Fprintf(opts.Progress, "starting %d consumer instance(s) of %s under aws-lambda-rie\n", plan.concurrency, s.Bootstrap)
	pool, err := lambdaemu.NewPool(ctx, lambdaemu.Config{
		Tools:     tools,
		Bootstrap: s.Bootstrap,
		Env:       functionEnv(s, opts.FunctionEnv, api.URL(), sqsAPI),
		Timeout:   time.Duration(s.Function.TimeoutSeconds) * time.Second,
		MemoryMiB: s.Function.MemoryMiB,
		LogDir:    opts.LogDir,
	}, plan.concurrency)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { _ = pool.Close() })
	pids = append(pids, pool.Pids)

	runCtx, cancel := context.WithTimeoutCause(ctx, opts.Timeout, errRunTimeout)
	defer cancel()
	// A harness failure (the pool cannot restart a consumer) stops the run.
	var fatalMu sync.Mutex
	var fatalErr error
	fatal := func(err error) {
		fatalMu.Lock()
		defer fatalMu.Unlock()
		if fatalErr == nil {
			fatalErr = err
			cancel()
		}
	}
	cons := newConsumer(pool, fatal)

	rep = &Report{Stack: s.Stack, Mode: "ordered", Env: s.Env, Config: plan.describe, Concurrency: plan.concurrency, LogDir: opts.LogDir,
		BrokenPeriods: broken, Outage: opts.Faults.Outage.String()}
	ev := evidence{events: events, sentAt: map[string]time.Time{}, api: api, deadLettered: map[string]bool{}, broken: broken, laneOf: map[string]string{}}
	go killer(runCtx, cons, api, events, opts.Faults.Kills, opts.Progress)
	defer api.setOnWrite(nil)

	r := &runState{opts: opts, settings: s, plan: plan, cons: cons, sqs: sqsAPI, events: events, ev: &ev, rep: rep, stream: streamName, tally: &tally{}}
	progressCtx, stopProgress := context.WithCancel(runCtx)
	defer stopProgress()
	phase := "ordered run"
	if opts.Unordered {
		phase = "unordered run"
	}
	r.tally.startPhase(phase, len(events), 0)
	go reportProgress(progressCtx, opts.ProgressEvery, opts.Progress, r.tally, api.Applied, sqsAPI.poisonCount)
	// The breakdown's clock starts with delivery: consumers and services
	// are up, the first event is about to be sent.
	r.breakdownStart = time.Now()
	if err := api.SetBreakdown(fakeapi.Breakdown{BrokenPeriods: broken, BrokenFor: opts.Faults.BrokenFor, Outage: opts.Faults.Outage}, r.breakdownStart); err != nil {
		return nil, err
	}
	if len(broken) > 0 {
		fmt.Fprintf(opts.Progress, "breakdown: periods %v answered 503 %s\n", broken, brokenForText(opts.Faults.BrokenFor))
	}
	if !opts.Faults.Outage.IsZero() {
		fmt.Fprintf(opts.Progress, "breakdown: vendor outage %s after the start of delivery\n", opts.Faults.Outage)
	}
	var deliverErr error
	var k *kinesalite
	switch {
	case opts.Unordered:
		rep.Mode = "unordered"
		deliverErr = r.deliverUnordered(runCtx)
	case s.Stack == StackKinesis:
		k, deliverErr = startKinesalite(runCtx, opts.Root, opts.LogDir)
		if deliverErr == nil {
			cleanups = append(cleanups, func() { _ = k.Stop() })
			pids = append(pids, k.Pids)
			deliverErr = r.deliverKinesis(runCtx, k)
		}
	default:
		deliverErr = r.deliverFifo(runCtx)
	}

	if first := ev.firstSent(); !first.IsZero() {
		rep.DurationSeconds = time.Since(first).Seconds()
	}
	rep.Invocations, rep.FailedInvocations, rep.Kills, rep.PeakConcurrency = cons.counts()
	rep.Restarts = pool.Restarts()
	// stopped tells a failed harness, a cancel or a delivery error (the run
	// ends with it) from the run's timeout (reported).
	stopped := func(deliverErr error) (timedOut bool, err error) {
		fatalMu.Lock()
		harnessErr := fatalErr
		fatalMu.Unlock()
		switch {
		case harnessErr != nil:
			return false, harnessErr
		case ctx.Err() != nil:
			return false, ctx.Err()
		case errors.Is(context.Cause(runCtx), errRunTimeout):
			return true, nil
		}
		return false, deliverErr
	}
	if rep.TimedOut, err = stopped(deliverErr); err != nil {
		return rep, err
	}
	ev.poisoned = poisonedEvents(queueBodies(sqsAPI, sqsAPI.PoisonQueueURL()))
	ev.isolated = poisonedEvents(queueBodies(sqsAPI, sqsAPI.IsolatedQueueURL()))
	if ev.noEffect, err = handledWithoutEffect(opts.LogDir); err != nil {
		return rep, err
	}
	verify(ev, rep)
	if len(ev.isolated) > 0 && !opts.Unordered && !rep.TimedOut {
		var redriveErr error
		rep.Redrive, redriveErr = r.redrive(runCtx, k, sqsAPI)
		if _, err := stopped(redriveErr); err != nil {
			return rep, err
		}
		rep.judge()
	}
	if opts.Replay && !opts.Unordered && !rep.TimedOut && (rep.Redrive == nil || !rep.Redrive.TimedOut) {
		var replayErr error
		rep.Replay, replayErr = r.replay(runCtx, k, sqsAPI)
		if _, err := stopped(replayErr); err != nil {
			return rep, err
		}
		rep.judge()
	}
	return rep, nil
}

var errRunTimeout = errors.New("run timed out")

// runState is what the delivery phase of a run works with.
type runState struct {
	opts     Options
	settings Settings
	plan     plan
	cons     *consumer
	sqs      *sqsEndpoint
	events   []Event
	ev       *evidence
	rep      *Report
	// stream is the Kinesis stream the round delivers through.
	stream string
	// tally feeds the progress lines; the replay round shares it.
	tally *tally
	// breakdownStart is when the fake API's breakdown clock started.
	breakdownStart time.Time
}

// fillWorkload takes the event source and detail-types from the
// synthesized rules, and the period path from the synthesized consumer.
func fillWorkload(w *Workload, s Settings) error {
	if len(s.Rules) == 0 {
		return errors.New("no rules in the stack")
	}
	p := s.Rules[0].Pattern
	for _, v := range asList(p["source"]) {
		if str, ok := v.(string); ok {
			w.Source = str
			break
		}
	}
	w.DetailTypes = nil
	for _, v := range asList(p["detail-type"]) {
		if str, ok := v.(string); ok {
			w.DetailTypes = append(w.DetailTypes, str)
		}
	}
	if len(w.DetailTypes) == 0 {
		// A rule without a detail-type filter matches any.
		w.DetailTypes = []string{"Schedule Entity Upserted", "Schedule Entity Deleted"}
	}
	// Events carry their period where the consumer reads it; routing then
	// follows from the synthesized rules and delivery settings alone.
	if raw := s.Function.Environment[envvar.PeriodPath]; raw != "" {
		p, err := schedule.ParsePeriodPath(raw)
		if err != nil {
			return fmt.Errorf("the synthesized consumer's %s: %w", envvar.PeriodPath, err)
		}
		w.PeriodPath = p
	}
	return nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// functionEnv is the function's environment: the literal variables of the
// synthesized function and the caller's overrides, then the local
// endpoints in place of what only a deployment knows (the API's URL, the
// secret, the poison queue, and the isolated queue when the template
// declares it or isolation is on).
func functionEnv(s Settings, overrides map[string]string, apiURL string, sqsAPI *sqsEndpoint) map[string]string {
	env := map[string]string{}
	for k, v := range s.Function.Environment {
		env[k] = v
	}
	for k, v := range overrides {
		if v == "" {
			delete(env, k)
			continue
		}
		env[k] = v
	}
	_, declared := s.Function.Environment[envvar.IsolatedQueueURL]
	declared = declared || slices.Contains(s.Function.Unresolved, envvar.IsolatedQueueURL)
	if after := env[envvar.IsolateAfterSeconds]; declared || (after != "" && after != "0") {
		env[envvar.IsolatedQueueURL] = sqsAPI.IsolatedQueueURL()
	}
	env[envvar.APIBaseURL] = apiURL
	env[envvar.APIKey] = localAPIKey
	env[envvar.PoisonQueueURL] = sqsAPI.PoisonQueueURL()
	env[envvar.SQSEndpoint] = sqsAPI.Endpoint()
	env["AWS_REGION"] = localRegion
	env["AWS_DEFAULT_REGION"] = localRegion
	env["AWS_ACCESS_KEY_ID"] = "local"
	env["AWS_SECRET_ACCESS_KEY"] = "local"
	env["AWS_EC2_METADATA_DISABLED"] = "true"
	env["AWS_CONFIG_FILE"] = "/dev/null"
	env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
	env["AWS_LAMBDA_FUNCTION_NAME"] = "orderly-local-consumer"
	return env
}

// queueBodies returns the bodies of the messages the consumer sent to the
// queue at url, in order.
func queueBodies(q *sqsEndpoint, url string) []string {
	var out []string
	for _, m := range q.Sent() {
		if m.QueueURL == url {
			out = append(out, m.MessageBody)
		}
	}
	return out
}

// bigLess orders Kinesis sequence numbers.
func bigLess(seq map[string]*big.Int) func(a, b Event) bool {
	return func(a, b Event) bool {
		sa, sb := seq[a.ID], seq[b.ID]
		switch {
		case sa == nil:
			return false
		case sb == nil:
			return true
		}
		return sa.Cmp(sb) < 0
	}
}
