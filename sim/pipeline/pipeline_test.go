package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/infra/session"
	"github.com/orderly-dev/orderly/infra/synth"
	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/lambdaemu"
	"github.com/orderly-dev/orderly/sim/pipeline"
)

// These tests run a short version of `make local` for both stacks with the
// real bootstrap under the Lambda emulator, and the contrast and the
// cleanup on cancel. They need aws-lambda-rie and qemu-user (`make tools`)
// and the pinned npm packages (`make deps`).

// The synthesized context: two shards and small batches exercise the
// emulator's lanes and checkpoints; two static FIFO groups (and the
// catch-all) give the model three groups; the shortest function timeout
// allowed (10 s) makes the FIFO visibility timeout 60 s, which is how long
// a killed FIFO batch stays invisible (in the model's time: the runs skip
// idle queue time).
const testContext = "-c kinesis.shardCount=2 -c kinesis.batchSize=20 -c fifo.messageGroups=2 -c function.timeoutSeconds=10 -c api.callTimeoutSeconds=2"

// assembly is one synthesized context, shared by the tests that use it.
type assembly struct {
	once sync.Once
	dir  string
	err  error
}

var (
	assembliesMu sync.Mutex
	assemblies   = map[string]*assembly{}
	// heavy serializes the runs: each keeps both cores busy, and a starved
	// consumer would hit its 10 s timeout.
	heavy sync.Mutex
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, a := range assemblies {
		if a.dir != "" {
			os.RemoveAll(a.dir)
		}
	}
	os.Exit(code)
}

// settings checks the preconditions and returns the stack's settings from
// the assembly of testContext.
func settings(t *testing.T, stack string) (string, pipeline.Settings) {
	t.Helper()
	return settingsOf(t, testContext, stack)
}

// settingsOf returns the stack's settings synthesized with context, each
// context synthesized once.
func settingsOf(t *testing.T, context, stack string) (string, pipeline.Settings) {
	t.Helper()
	lambdaemu.NeedsEmulator(t)
	root, err := repo.WorkingRoot()
	if err != nil {
		t.Fatal(err)
	}
	_, err = lambdaemu.FindTools(root)
	lambdaemu.Precondition(t, err)
	for _, p := range []string{"node_modules/.bin/cdk", "node_modules/.bin/node", "node_modules/kinesalite"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			lambdaemu.Precondition(t, fmt.Errorf("%s is missing: run `make deps`", p))
		}
	}
	assembliesMu.Lock()
	a := assemblies[context]
	if a == nil {
		a = &assembly{}
		assemblies[context] = a
	}
	assembliesMu.Unlock()
	a.once.Do(func() { a.dir, a.err = synthesize(root, context) })
	if a.err != nil {
		t.Fatal(a.err)
	}
	s, err := pipeline.LoadSettings(a.dir, stack)
	if err != nil {
		t.Fatal(err)
	}
	return root, s
}

func synthesize(root, cdkContext string) (string, error) {
	dir, err := os.MkdirTemp("", "orderly-test-synth-")
	if err != nil {
		return "", err
	}
	args, err := synth.ContextArgs(cdkContext)
	if err != nil {
		return dir, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return dir, synth.Run(ctx, root, "dev", args, dir)
}

func run(t *testing.T, ctx context.Context, opts pipeline.Options) (*pipeline.Report, error) {
	t.Helper()
	opts.LogDir = t.TempDir()
	var progress bytes.Buffer
	if opts.Progress == nil {
		opts.Progress = &progress
	}
	rep, err := pipeline.Run(ctx, opts)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("progress:\n%s", progress.String())
			if rep != nil {
				var b strings.Builder
				rep.WriteText(&b)
				t.Logf("report:\n%s", b.String())
			}
			// The local Kinesis's own account of a failure (it once
			// stopped listening during a replay); the log dir goes away
			// with the test.
			if data, err := os.ReadFile(filepath.Join(opts.LogDir, "kinesalite.log")); err == nil {
				t.Logf("kinesalite.log (last 4 KB):\n%s", data[max(0, len(data)-4096):])
			}
		}
	})
	return rep, err
}

// requireAllStopped fails if any process the run started is alive.
func requireAllStopped(t *testing.T, rep *pipeline.Report) {
	t.Helper()
	if rep == nil || len(rep.Pids) == 0 {
		t.Fatal("the run reported no processes")
	}
	for _, pid := range rep.Pids {
		if session.Alive(pid) {
			t.Errorf("process %d survived the run", pid)
		}
	}
}

func TestPipelineUnderFaults(t *testing.T) {
	cases := []struct {
		stack  string
		events int
	}{
		{pipeline.StackKinesis, 400},
		{pipeline.StackFifo, 200},
	}
	for _, tc := range cases {
		t.Run(tc.stack, func(t *testing.T) {
			t.Parallel()
			root, s := settings(t, tc.stack)
			heavy.Lock()
			defer heavy.Unlock()
			const seed = 42
			rep, err := run(t, context.Background(), pipeline.Options{
				Root: root, Settings: s,
				Workload: pipeline.Workload{Events: tc.events, Partitions: 6, PoisonRate: 0.03, Seed: seed},
				Faults:   pipeline.Faults{ErrorRate: 0.05, Kills: 1},
				Replay:   true,
				Timeout:  150 * time.Second,
				// The killed FIFO batch's minute of invisibility passes
				// in the model's time, not the test's.
				SkipIdleTime: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK {
				t.Errorf("not OK (seed %d): %v", seed, rep.Problems())
			}
			if rep.Kills != 1 || rep.Restarts < 1 {
				t.Errorf("kills %d, restarts %d: want one kill and its restart", rep.Kills, rep.Restarts)
			}
			if tc.stack == pipeline.StackFifo && rep.IdleSecondsSkipped == 0 {
				t.Error("no idle queue time skipped: the killed batch should have waited out its visibility timeout")
			}
			if rep.PoisonDeadLettered != rep.PoisonSent {
				t.Errorf("%d of %d poison events reached the poison queue", rep.PoisonDeadLettered, rep.PoisonSent)
			}
			if rep.EventsApplied+rep.Superseded+rep.DeadLettered != rep.EventsSent {
				t.Errorf("applied %d + superseded %d + dead-lettered %d != sent %d", rep.EventsApplied, rep.Superseded, rep.DeadLettered, rep.EventsSent)
			}
			if rep.InjectedFaults.ServerErrors == 0 || rep.DuplicateDeliveries == 0 {
				t.Errorf("injected 5xx %d, duplicate deliveries %d: the faults did not happen", rep.InjectedFaults.ServerErrors, rep.DuplicateDeliveries)
			}
			if r := rep.Replay; r == nil || r.EventsResent != rep.EventsSent || !r.StateUnchanged || r.NewWrites != 0 || r.Invocations == 0 ||
				r.PoisonDeadLettered != rep.PoisonSent {
				t.Errorf("replay %+v: want every event re-sent and processed, the state unchanged, no new write, every poison event dead-lettered again", r)
			}
			requireAllStopped(t, rep)
		})
	}
}

func TestUnorderedDeliveryLosesUpdates(t *testing.T) {
	t.Parallel()
	root, s := settings(t, pipeline.StackKinesis)
	heavy.Lock()
	defer heavy.Unlock()
	rep, err := run(t, context.Background(), pipeline.Options{
		Root: root, Settings: s, Unordered: true,
		Workload: pipeline.Workload{Events: 200, Partitions: 3, Seed: 1},
		Faults:   pipeline.Faults{ErrorRate: 0.05},
		Timeout:  90 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.LostUpdates == 0 || rep.OK {
		t.Errorf("unordered delivery lost %d updates (ok=%v): the contrast must show the race", rep.LostUpdates, rep.OK)
	}
	requireAllStopped(t, rep)
}

// syncWriter lets the test watch the run's progress while it runs.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) contains(s string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Contains(w.buf.String(), s)
}

func TestCancelStopsEveryProcess(t *testing.T) {
	t.Parallel()
	root, s := settings(t, pipeline.StackKinesis)
	heavy.Lock()
	defer heavy.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := &syncWriter{}
	go func() {
		// Cancel (as Ctrl-C does) once kinesalite and the consumers run
		// and events flow.
		for !progress.contains("sending") {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Second)
		cancel()
	}()
	rep, err := run(t, ctx, pipeline.Options{
		Root: root, Settings: s,
		Workload: pipeline.Workload{Events: 5000, Partitions: 4, Seed: 1},
		Rate:     200,
		Timeout:  90 * time.Second,
		Progress: progress,
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	requireAllStopped(t, rep)
	if len(rep.Pids) < 3 {
		t.Errorf("pids %v: want kinesalite and the consumers' emulator and runtime", rep.Pids)
	}
}

// TestRequestRateCapHoldsAcrossTheFleet: api.maxRequestsPerSecond = 20 on
// 4 shards is 5 requests per second for each of the 4 consumer instances;
// together they never pass 20 in any one-second window (10% allowed for
// requests that the network bunches up), and nothing is lost. One record
// at a time, so that the 60 events make 120 calls: six seconds' worth.
func TestRequestRateCapHoldsAcrossTheFleet(t *testing.T) {
	t.Parallel()
	const capPerSecond = 20
	root, s := settingsOf(t, fmt.Sprintf("-c kinesis.shardCount=4 -c api.maxRequestsPerSecond=%d -c function.coalesce=false", capPerSecond), pipeline.StackKinesis)
	heavy.Lock()
	defer heavy.Unlock()
	rep, err := run(t, context.Background(), pipeline.Options{
		Root: root, Settings: s, MaxConcurrency: 4,
		Workload: pipeline.Workload{Events: 60, Partitions: 12, EntitiesPerPartition: 10, Seed: 9},
		Timeout:  2 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.LostUpdates != 0 {
		t.Errorf("not OK: %v", rep.Problems())
	}
	if rep.Concurrency != 4 {
		t.Errorf("%d consumer instances, want 4 (one per shard)", rep.Concurrency)
	}
	if limit := capPerSecond * 11 / 10; rep.PeakAPICallsPerSecond > int64(limit) || rep.PeakAPICallsPerSecond == 0 {
		t.Errorf("peak %d API calls in one second, want 1 to %d", rep.PeakAPICallsPerSecond, limit)
	}
	// The cap bit: the calls took at least the time the rate allows.
	if least := float64(rep.APICalls)/capPerSecond - 1; rep.DurationSeconds < least {
		t.Errorf("%d API calls in %.1f s: faster than %d per second allows (%.1f s)", rep.APICalls, rep.DurationSeconds, capPerSecond, least)
	}
	t.Logf("%d API calls, at most %d in one second, %.1f s", rep.APICalls, rep.PeakAPICallsPerSecond, rep.DurationSeconds)
}

func TestBacklogNeedsOrderedKinesis(t *testing.T) {
	for _, opts := range []pipeline.Options{
		{Settings: pipeline.Settings{Stack: pipeline.StackFifo}, Backlog: true, LogDir: t.TempDir()},
		{Settings: pipeline.Settings{Stack: pipeline.StackKinesis}, Backlog: true, Unordered: true, LogDir: t.TempDir()},
	} {
		rep, err := pipeline.Run(context.Background(), opts)
		if err == nil || !strings.Contains(err.Error(), "Options.Backlog") || rep != nil {
			t.Errorf("stack %s, unordered %v: error %v, want Options.Backlog refused before anything starts", opts.Settings.Stack, opts.Unordered, err)
		}
	}
}

func TestSkipIdleTimeRefusesABreakdownOnFifo(t *testing.T) {
	for _, f := range []pipeline.Faults{{BrokenPeriods: 1}, {Outage: fakeapi.Window{For: time.Minute}}} {
		rep, err := pipeline.Run(context.Background(), pipeline.Options{Settings: pipeline.Settings{Stack: pipeline.StackFifo}, SkipIdleTime: true, Faults: f, LogDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "SkipIdleTime") || rep != nil {
			t.Errorf("faults %+v: error %v, want SkipIdleTime refused before anything starts", f, err)
		}
	}
}

func TestBacklogDrainsOnceEverythingIsSent(t *testing.T) {
	t.Parallel()
	root, s := settings(t, pipeline.StackKinesis)
	heavy.Lock()
	defer heavy.Unlock()
	progress := &syncWriter{}
	rep, err := run(t, context.Background(), pipeline.Options{
		Root: root, Settings: s, Backlog: true,
		Workload: pipeline.Workload{Events: 200, Partitions: 4, EntitiesPerPartition: 3, Seed: 1},
		Timeout:  90 * time.Second,
		Progress: progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Errorf("not OK: %v", rep.Problems())
	}
	if !progress.contains("200 records wait in the stream: starting the event source mapping") {
		t.Errorf("the mapping did not start on the whole backlog:\n%s", progress.buf.String())
	}
	if rep.DrainSeconds <= 0 || rep.DrainSeconds >= rep.DurationSeconds {
		t.Errorf("drain %.2f s of a %.2f s run: want the drain measured from the consumer's start, after the sending", rep.DrainSeconds, rep.DurationSeconds)
	}
	// Three entities per period repeat within each chunk of the backlog.
	if rep.Superseded == 0 {
		t.Error("nothing superseded: the backlog's chunks did not merge repeated entities")
	}
	requireAllStopped(t, rep)
}
