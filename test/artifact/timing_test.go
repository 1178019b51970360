package artifact_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/infra/synth"
	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/lambdaemu"
	"github.com/orderly-dev/orderly/sim/payloads"
	"github.com/orderly-dev/orderly/sim/pipeline"
)

// The timing guarantees of the consumer, checked on the bundled bootstrap
// with the function timeout and the api.* limits exactly as a stack
// deploys them: both come from a synthesized KinesisStack, not from
// constants repeated here.

// slowAPI is the fake third-party API answering every request after
// latency, behind a loopback server, and a loopback SQS for the poison
// queue.
func slowAPI(t *testing.T, latency time.Duration) (*fakeapi.Server, map[string]string) {
	t.Helper()
	api, err := fakeapi.New(fakeapi.Options{APIKey: apiKey, Faults: fakeapi.Faults{Latency: latency}})
	if err != nil {
		t.Fatal(err)
	}
	apiSrv := httptest.NewServer(api)
	t.Cleanup(func() { api.Close(); apiSrv.Close() })
	return api, localEnv(apiSrv.URL, sqsFake(t).URL())
}

// deployed synthesizes env dev with context (the CDK CLI, as `make synth`)
// and starts KinesisStack's bundled bootstrap under the emulator with the
// synthesized function's environment and timeout, local endpoints in place
// of what only a deployment knows.
func deployed(t *testing.T, context string, local map[string]string) (*consumer, pipeline.Settings) {
	t.Helper()
	tools := emulatorTools(t)
	root, err := repo.WorkingRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "cdk")); err != nil {
		lambdaemu.Precondition(t, fmt.Errorf("the pinned CDK CLI is missing: run `make deps`"))
	}
	args, err := synth.ContextArgs(context)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := synth.Run(t.Context(), root, "dev", args, dir); err != nil {
		t.Fatal(err)
	}
	s, err := pipeline.LoadSettings(dir, pipeline.StackKinesis)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for k, v := range s.Function.Environment {
		env[k] = v
	}
	for k, v := range local {
		env[k] = v
	}
	timeout := time.Duration(s.Function.TimeoutSeconds) * time.Second
	return startFunction(t, tools, s.Bootstrap, env, timeout), s
}

// batchOfOnePeriod is n successive versions of one entity of period.
// Coalesced, they would be one chunk (each version supersedes the one
// before); one record at a time, each takes a read and a write.
func batchOfOnePeriod(period string, n int) ([]payloads.Message, []string) {
	msgs := make([]payloads.Message, n)
	ids := make([]string, n)
	for i := range msgs {
		ids[i] = fmt.Sprintf("t%d", i)
		msgs[i] = payloads.Message{Partition: period, ID: kinesisSequence(i), Data: upsert(ids[i], period, "driver/d-1", i+1)}
	}
	return msgs, ids
}

// invokeTimed invokes and returns the response body and how long the
// invocation took; a function error, the emulator's "Task timed out"
// included, fails the test.
func invokeTimed(t *testing.T, c *consumer, payload []byte) ([]byte, time.Duration) {
	t.Helper()
	began := time.Now()
	body := c.invoke(t, payload)
	return body, time.Since(began)
}

func appliedIn(api *fakeapi.Server, period string) []string {
	applied := []string{}
	for _, w := range api.History(period) {
		applied = append(applied, w.Applied...)
	}
	return applied
}

// With the default api.* limits, an API that takes 2.5 s per call (beyond
// the 2 s the client once allowed) still gets a record applied.
func TestSlowAPIStillAppliesTheRecord(t *testing.T) {
	const latency = 2500 * time.Millisecond
	api, local := slowAPI(t, latency)
	emu, s := deployed(t, "-c function.timeoutSeconds=60", local)
	if s.Function.TimeoutSeconds != 60 {
		t.Fatalf("synthesized function timeout %d s, want 60", s.Function.TimeoutSeconds)
	}
	const period = "2026-12-03"
	msgs, ids := batchOfOnePeriod(period, 1)
	body, took := invokeTimed(t, emu, payloads.KinesisPayload(msgs...))

	assertFailures(t, body, nil)
	if got := appliedIn(api, period); !reflect.DeepEqual(got, ids) {
		t.Errorf("applied %v, want %v", got, ids)
	}
	// One read and one write, each answered after the latency: no attempt
	// timed out and was retried.
	if st := api.Stats(); st.Gets != 1 || st.Puts != 1 || st.Abandoned != 0 {
		t.Errorf("fake API stats %+v: want one read, one write, nothing abandoned", st)
	}
	if took < 2*latency {
		t.Errorf("the invocation took %s, less than two calls of %s: the latency was not applied", took, latency)
	}
}

// With a 10 s function timeout and the smallest margin its api.* limits
// allow, an API at 1.9 s per call gets a prefix of the batch applied and the
// rest reported for retry: no timeout, no call cut off mid-flight.
func TestDeadlineMarginStopsBeforeTheTimeout(t *testing.T) {
	const latency = 1900 * time.Millisecond
	api, local := slowAPI(t, latency)
	// One record at a time: the margin is checked before each record, and a
	// chunk of them would be one read and one write.
	emu, s := deployed(t, "-c function.timeoutSeconds=10 -c api.callTimeoutSeconds=2 -c function.coalesce=false", local)
	timeout := time.Duration(s.Function.TimeoutSeconds) * time.Second
	marginMs, err := strconv.Atoi(s.Function.Environment[envvar.DeadlineMarginMs])
	if err != nil || timeout != 10*time.Second {
		t.Fatalf("synthesized timeout %s and %s=%q: want 10s and a margin", timeout, envvar.DeadlineMarginMs, s.Function.Environment[envvar.DeadlineMarginMs])
	}
	margin := time.Duration(marginMs) * time.Millisecond
	// A record starts only while at least the margin is left; each takes a
	// read and a write. From a warm start, records start at 0, 3.8 s,
	// 7.6 s, ...: those starting within timeout-margin run.
	perRecord := 2 * latency
	wantApplied := int((timeout-margin)/perRecord) + 1
	const period = "2026-12-04"
	const batch = 5
	if wantApplied >= batch {
		t.Fatalf("margin %s lets %d records of %s run in %s: the batch of %d would not be cut", margin, wantApplied, perRecord, timeout, batch)
	}
	msgs, ids := batchOfOnePeriod(period, batch)
	body, took := invokeTimed(t, emu, payloads.KinesisPayload(msgs...))
	t.Logf("margin %s (%s=%d), %d of %d records applied, invocation %s", margin, envvar.DeadlineMarginMs, marginMs, wantApplied, batch, took.Round(time.Millisecond))

	if took >= timeout {
		t.Errorf("the invocation took %s, not within the %s timeout", took, timeout)
	}
	// Kinesis checkpoints at the first unapplied record.
	assertFailures(t, body, []string{kinesisSequence(wantApplied)})
	if got := appliedIn(api, period); !reflect.DeepEqual(got, ids[:wantApplied]) {
		t.Errorf("applied %v, want the prefix %v", got, ids[:wantApplied])
	}
	// The entity holds the last applied version: the first reported record
	// (version wantApplied+1) did not take effect.
	doc, _ := api.Document(period)
	if e, ok := doc.Entities[schedule.EntityKey{Type: schedule.Driver, ID: "d-1"}]; !ok || e.Stamp.Version != int64(wantApplied) {
		t.Errorf("document %+v: want driver/d-1 at version %d, the last applied one", doc, wantApplied)
	}
	// Every request ran to its answer: none was abandoned by a client cut
	// off at the deadline.
	if st := api.Stats(); st.Gets != int64(wantApplied) || st.Puts != int64(wantApplied) || st.Abandoned != 0 {
		t.Errorf("fake API stats %+v: want %d reads and writes, nothing abandoned", st, wantApplied)
	}
	if lines := emu.lines("Task timed out"); len(lines) > 0 {
		t.Errorf("the emulator reports a timeout: %q", lines)
	}
}
