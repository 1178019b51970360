// Command load runs orderly's pipeline locally under load and checks that
// no update is lost, reordered or applied twice (see package sim/pipeline),
// or sends the same events to a deployed event bus.
//
// Local mode (default): synthesizes the chosen environment (or reads an
// existing cloud assembly with -assembly), runs the bundled consumer under
// the Lambda Runtime Interface Emulator, the stack's delivery (kinesalite
// with an event source mapping emulator, or the SQS FIFO model), the fake
// third-party API and the producer; prints a report and, last, one JSON
// summary line.
//
//	go run ./sim/cmd/load -stack kinesis -events 2000 -error-rate 0.05 -kills 1 -poison-rate 0.01
//	go run ./sim/cmd/load -stack fifo -context "-c fifo.messageGroups=2"
//	go run ./sim/cmd/load -stack kinesis -events 300 -replay     # then re-send all, shuffled: nothing may change
//	go run ./sim/cmd/load -unordered -events 300 -latency 5ms   # the race, made visible
//	go run ./sim/cmd/load -compare                           # the comparison table
//	go run ./sim/cmd/load -compare-backoff -events 1000 -error-rate 0.05 -timeout-rate 0.005
//	go run ./sim/cmd/load -compare-catchup -events 2000             # drain a backlog in three modes
//
// Deployed mode: -bus NAME sends the events with PutEvents (batches of 10)
// using the default AWS credential chain, and reports what was accepted;
// it checks nothing on the consumer side.
//
// Exit status: 0 all events applied or dead-lettered, in order, nothing
// lost or applied twice (with -replay: nor by the replay); 1 the run (or
// its replay) found a lost update, an order violation, a duplicate effect
// or an unaccounted event (expected with -unordered); 2 usage or harness
// error; 130 interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/infra/synth"
	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/pipeline"
)

// Exit statuses.
const (
	exitOK          = 0
	exitViolations  = 1
	exitError       = 2
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// flags are the command line.
type flags struct {
	stack, env, context, assembly string
	events, partitions, entities  int
	rate                          float64
	faults                        pipeline.Faults
	poisonRate                    float64
	unordered, compare, keepLogs  bool
	replay, skipIdle              bool
	compareBackoff                bool
	compareCatchup                bool
	compareIsolation              bool
	concurrency                   int
	// outage is -outage as given; faults.Outage holds it parsed.
	outage      string
	functionEnv envFlag
	seed        uint64
	timeout     time.Duration
	bus, source string

	// backlog and consumer are set by a comparison for its rows: every
	// event in the stream before the consumer starts, and another commit's
	// consumer in place of the bundled one.
	backlog  bool
	consumer *builtConsumer
	// isolationTables picks -compare-isolation's tables; given records
	// the flags the command line set.
	isolationTables string
	given           map[string]bool
}

func parse(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.stack, "stack", pipeline.StackKinesis, "stack to run: kinesis or fifo")
	fs.StringVar(&f.env, "env", "dev", "orderly environment to synthesize (cdk.json)")
	fs.StringVar(&f.context, "context", "", `extra CDK context, e.g. "-c kinesis.shardCount=2 -c kinesis.batchSize=1"`)
	fs.StringVar(&f.assembly, "assembly", "", "read this synthesized cloud assembly (e.g. cdk.out) instead of synthesizing one")
	fs.IntVar(&f.events, "events", 1000, "events to send")
	fs.IntVar(&f.partitions, "partitions", 8, "partitions (schedule periods) the events spread over")
	fs.IntVar(&f.entities, "entities", 4, "entities per partition the events update")
	fs.Float64Var(&f.rate, "rate", 0, "events per second; 0 sends everything at once (a burst)")
	fs.Float64Var(&f.faults.ErrorRate, "error-rate", 0, "share of third-party API requests answered 500")
	fs.Float64Var(&f.faults.ThrottleRate, "throttle-rate", 0, "share of third-party API requests answered 429 (Retry-After 1s)")
	fs.Float64Var(&f.faults.TimeoutRate, "timeout-rate", 0, "share of third-party API requests that never answer (the client times out)")
	fs.DurationVar(&f.faults.Latency, "latency", 0, "latency added to every third-party API request")
	fs.IntVar(&f.faults.Kills, "kills", 0, "times a consumer process is killed (SIGKILL) mid-batch and restarted")
	fs.IntVar(&f.faults.BrokenPeriods, "broken-periods", 0, "periods (chosen by -seed among those the events use; the report names them) whose every third-party request is answered 503, from the start of delivery: a period-specific failure")
	fs.DurationVar(&f.faults.BrokenFor, "broken-until", 0, "the broken periods recover this long after the start of delivery (0: broken for good; a run that isolated events then fixes them before its redrive)")
	fs.StringVar(&f.outage, "outage", "", "a vendor outage, DURATION@START (e.g. 3m@1m): every third-party request answered 503 for DURATION, from START after the start of delivery")
	fs.Var(&f.functionEnv, "function-env", "NAME=VALUE set in the consumer's environment over the synthesized one (repeatable; NAME= removes it), e.g. ORDERLY_ISOLATE_AFTER_SECONDS=30")
	fs.Float64Var(&f.poisonRate, "poison-rate", 0, "share of events the consumer can never apply (they must reach the poison queue)")
	fs.BoolVar(&f.unordered, "unordered", false, "contrast: deliver every event as its own concurrent invocation, without ordering")
	fs.BoolVar(&f.replay, "replay", false, "after the run, re-send every event in shuffled order as an EventBridge archive replay would, and fail unless the final state is unchanged (`make local` turns it on)")
	fs.BoolVar(&f.skipIdle, "skip-idle", false, "let the SQS FIFO model skip idle queue time once every event is sent (a killed batch's visibility timeout, retry backoff waits): the run takes less time and reports what it skipped")
	fs.BoolVar(&f.compare, "compare", false, "run the classic configurations (Kinesis 1 and 2 shards, FIFO 1 and 2 groups) and print a table")
	fs.BoolVar(&f.compareBackoff, "compare-backoff", false, "run FifoStack without and with the consumer's retry backoff and print a table")
	fs.BoolVar(&f.compareCatchup, "compare-catchup", false, fmt.Sprintf(
		"drain a backlog (every event in KinesisStack's stream before the consumer starts, as after an outage; %s) with coalescing off, with chunks that end at a repeated entity (an older consumer, built from git history) and with superseded changes merged, and print a table; unless given: -events %d -partitions %d -entities %d -timeout %s",
		catchupContext, catchupEvents, catchupPartitions, catchupEntities, catchupTimeout))
	fs.BoolVar(&f.compareIsolation, "compare-isolation", false, fmt.Sprintf(
		"the blast radius of a broken period on KinesisStack (%s, %d periods, %d events at %d/s, one period broken for good): fault-free, isolation after %d s and isolation off; then a %s vendor outage on both stacks (%d events at %d/s), and FifoStack with the defaults before issue 17; prints tables, acceptance lines and JSON lines",
		isolationContext, isolationPeriods, isolationEvents, isolationRate, isolationAfter, outageWindowString, outageEvents, outageRate))
	fs.StringVar(&f.isolationTables, "isolation-tables", "", "with -compare-isolation: which tables to run, isolation, outage or both (comma-separated; default both)")
	fs.IntVar(&f.concurrency, "concurrency", pipeline.DefaultMaxConcurrency, "cap on concurrent consumer instances (each is an emulator plus qemu)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the events and of the fault dice")
	fs.DurationVar(&f.timeout, "timeout", pipeline.DefaultTimeout, "bound on one run")
	fs.BoolVar(&f.keepLogs, "keep-logs", false, "keep the processes' logs even when the run passes")
	fs.StringVar(&f.bus, "bus", "", "send the events to this deployed event bus with PutEvents instead of running locally")
	fs.StringVar(&f.source, "source", "com.example.scheduling", "event source (with -bus; local runs take it from the synthesized rule)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments %q: load takes flags only", fs.Args())
	}
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	var err error
	if f.faults.Outage, err = fakeapi.ParseWindow(f.outage); err != nil {
		return f, fmt.Errorf("-outage: %w", err)
	}
	switch {
	case f.faults.BrokenPeriods < 0:
		return f, fmt.Errorf("-broken-periods %d: want 0 or more", f.faults.BrokenPeriods)
	case f.faults.BrokenFor < 0:
		return f, fmt.Errorf("-broken-until %s: want 0 (for good) or a positive duration", f.faults.BrokenFor)
	case f.faults.BrokenFor > 0 && f.faults.BrokenPeriods == 0:
		return f, errors.New("-broken-until says when the broken periods recover: give -broken-periods too")
	case f.faults.BrokenPeriods > 0 && f.faults.BrokenPeriods >= f.partitions:
		return f, fmt.Errorf("-broken-periods %d of -partitions %d: at least one period must stay healthy (every period failing is -outage)", f.faults.BrokenPeriods, f.partitions)
	}
	if f.stack != pipeline.StackKinesis && f.stack != pipeline.StackFifo {
		return f, fmt.Errorf("-stack %q: want %q or %q", f.stack, pipeline.StackKinesis, pipeline.StackFifo)
	}
	if f.concurrency < 1 || f.concurrency > 16 {
		return f, fmt.Errorf("-concurrency %d: want 1 to 16", f.concurrency)
	}
	if f.replay && (f.unordered || f.compare || f.bus != "") {
		return f, errors.New("-replay re-sends a local ordered run's events: it does not combine with -unordered, -compare or -bus")
	}
	if f.compare && (f.assembly != "" || f.unordered || f.bus != "") {
		return f, errors.New("-compare synthesizes its own four configurations: it does not combine with -assembly, -unordered or -bus")
	}
	if f.skipIdle && (f.compare || f.compareBackoff || f.compareCatchup || f.compareIsolation || f.bus != "") {
		return f, errors.New("-skip-idle shortens the waits that -compare, -compare-backoff and -compare-catchup measure, and -bus runs nothing locally: it combines with none of them")
	}
	if f.compareBackoff && (f.compare || f.assembly != "" || f.unordered || f.bus != "") {
		return f, errors.New("-compare-backoff synthesizes its own two configurations: it does not combine with -compare, -assembly, -unordered or -bus")
	}
	if f.compareCatchup {
		return f, catchupFlags(&f, given)
	}
	if f.compareIsolation {
		return f, isolationFlags(&f, given)
	}
	if f.isolationTables != "" {
		return f, errors.New("-isolation-tables picks -compare-isolation's tables: give -compare-isolation too")
	}
	return f, nil
}

// catchupFlags checks -compare-catchup's combinations and fills in the
// catch-up workload where the command line leaves it open.
func catchupFlags(f *flags, given map[string]bool) error {
	switch {
	case f.compare || f.compareBackoff || f.assembly != "" || f.unordered || f.bus != "" || f.replay:
		return errors.New("-compare-catchup synthesizes its own three configurations: it does not combine with -compare, -compare-backoff, -assembly, -unordered, -bus or -replay")
	case given["stack"] && f.stack != pipeline.StackKinesis:
		return fmt.Errorf("-compare-catchup -stack %q: the backlog waits in a Kinesis stream, so the stack is %q", f.stack, pipeline.StackKinesis)
	case f.rate != 0:
		return fmt.Errorf("-compare-catchup -rate %g: the backlog is in the stream before the consumer starts, so it is sent at once (-rate 0)", f.rate)
	}
	if !given["events"] {
		f.events = catchupEvents
	}
	if !given["partitions"] {
		f.partitions = catchupPartitions
	}
	if !given["entities"] {
		f.entities = catchupEntities
	}
	if !given["timeout"] {
		f.timeout = catchupTimeout
	}
	return nil
}

// envFlag collects repeated NAME=VALUE flags.
type envFlag struct{ m map[string]string }

func (e *envFlag) String() string {
	var parts []string
	for k, v := range e.m {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

func (e *envFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return fmt.Errorf("%q: want NAME=VALUE (NAME= removes the variable)", s)
	}
	if e.m == nil {
		e.m = map[string]string{}
	}
	e.m[name] = value
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return exitError
	}
	switch {
	case f.bus != "":
		err = sendToBus(ctx, f, stdout, stderr)
		return exitFor(ctx, err, true, stderr)
	case f.compare:
		ok, err := compare(ctx, f, classicComparison, stdout, stderr)
		return exitFor(ctx, err, ok, stderr)
	case f.compareBackoff:
		ok, err := compare(ctx, f, backoffComparison, stdout, stderr)
		return exitFor(ctx, err, ok, stderr)
	case f.compareCatchup:
		ok, err := compare(ctx, f, catchupComparison, stdout, stderr)
		return exitFor(ctx, err, ok, stderr)
	case f.compareIsolation:
		ok, err := compareIsolation(ctx, f, stdout, stderr)
		return exitFor(ctx, err, ok, stderr)
	default:
		rep, err := runOnce(ctx, f, f.context, stderr)
		if rep != nil && err == nil {
			rep.WriteText(stdout)
			fmt.Fprintln(stdout, rep.JSON())
		}
		return exitFor(ctx, err, rep != nil && rep.OK, stderr)
	}
}

func exitFor(ctx context.Context, err error, ok bool, stderr io.Writer) int {
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "load: interrupted; every started process was stopped")
		return exitInterrupted
	case err != nil:
		fmt.Fprintln(stderr, "load:", err)
		return exitError
	case !ok:
		return exitViolations
	}
	return exitOK
}

// runOnce synthesizes (unless -assembly) and runs the pipeline once.
func runOnce(ctx context.Context, f flags, contextString string, stderr io.Writer) (*pipeline.Report, error) {
	root, err := repo.WorkingRoot()
	if err != nil {
		return nil, err
	}
	dir := f.assembly
	if dir == "" {
		contextArgs, err := synth.ContextArgs(contextString)
		if err != nil {
			return nil, err
		}
		if dir, err = os.MkdirTemp("", "orderly-synth-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		fmt.Fprintf(stderr, "synthesizing env %s %s\n", f.env, contextString)
		if err := synth.Run(ctx, root, f.env, contextArgs, dir); err != nil {
			return nil, err
		}
	}
	settings, err := pipeline.LoadSettings(dir, f.stack)
	if err != nil {
		return nil, err
	}
	if f.consumer != nil {
		if unread := f.consumer.unread(settings.Function.Environment); len(unread) > 0 {
			return nil, fmt.Errorf("the consumer of commit %s does not read %s, which the synthesized function sets: it would not run the configuration the other rows run",
				f.consumer.rev, strings.Join(unread, ", "))
		}
		settings.Bootstrap = f.consumer.bin
	}
	logDir, err := os.MkdirTemp("", "orderly-local-")
	if err != nil {
		return nil, err
	}
	rep, err := pipeline.Run(ctx, pipeline.Options{
		Root:     root,
		Settings: settings,
		Workload: pipeline.Workload{
			Events: f.events, Partitions: f.partitions, EntitiesPerPartition: f.entities,
			PoisonRate: f.poisonRate, Seed: f.seed,
		},
		Rate:           f.rate,
		Faults:         f.faults,
		FunctionEnv:    f.functionEnv.m,
		Unordered:      f.unordered,
		Replay:         f.replay,
		SkipIdleTime:   f.skipIdle,
		Backlog:        f.backlog,
		MaxConcurrency: f.concurrency,
		Timeout:        f.timeout,
		LogDir:         logDir,
		Progress:       stderr,
	})
	if rep != nil && f.consumer != nil {
		// The assembly's settings, another commit's consumer.
		rep.Config += " consumer=" + f.consumer.rev[:min(7, len(f.consumer.rev))]
	}
	if err == nil && rep.OK && !f.keepLogs {
		os.RemoveAll(logDir)
	} else {
		fmt.Fprintf(stderr, "logs of the consumer and kinesalite: %s\n", logDir)
	}
	return rep, err
}
