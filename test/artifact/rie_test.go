package artifact_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/infra/session"
	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/lambdaemu"
)

// lockedBuffer collects the emulator's and the function's output while they
// run: the emulator writes from its own goroutines, the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// consumer is the bootstrap running under aws-lambda-rie.
type consumer struct {
	inst   *lambdaemu.Instance
	output *lockedBuffer
}

// functionTimeout is generous: init and processing run under instruction
// emulation.
const functionTimeout = 120 * time.Second

// startConsumer runs the bootstrap as bundled under aws-lambda-rie (through
// qemu-aarch64 on hosts that are not arm64) with env as the function's
// environment; rie adds nothing from the host, credentials in particular.
// The function is initialized before it returns. When the test ends, the
// emulator's whole session is stopped, including the runtime it started in
// a process group of its own, and the test fails if any process survives.
func startConsumer(t *testing.T, env map[string]string) *consumer {
	t.Helper()
	// Tools first: a missing tool should skip before a minute-long build.
	tools := emulatorTools(t)
	return startFunction(t, tools, bootstrap(t), env, functionTimeout)
}

// emulatorTools finds aws-lambda-rie (and qemu), or skips.
func emulatorTools(t *testing.T) lambdaemu.Tools {
	t.Helper()
	lambdaemu.NeedsEmulator(t)
	root, err := repo.WorkingRoot()
	if err != nil {
		t.Fatal(err)
	}
	tools, err := lambdaemu.FindTools(root)
	lambdaemu.Precondition(t, err)
	return tools
}

// startFunction is startConsumer for a given bootstrap and function
// timeout: the emulator ends an invocation at the timeout, as Lambda does.
func startFunction(t *testing.T, tools lambdaemu.Tools, bootstrap string, env map[string]string, timeout time.Duration) *consumer {
	t.Helper()
	out := &lockedBuffer{}
	inst, err := lambdaemu.Start(t.Context(), lambdaemu.Config{
		Tools:     tools,
		Bootstrap: bootstrap,
		Env:       env,
		Timeout:   timeout,
		Output:    out,
	}, 0)
	if err != nil {
		t.Fatalf("start the bootstrap under the emulator: %v\n%s", err, out.String())
	}
	t.Cleanup(func() {
		if err := inst.Stop(); err != nil {
			t.Errorf("stop the emulator: %v", err)
		}
		for _, pid := range inst.Pids() {
			if session.Alive(pid) {
				t.Errorf("process %d of the emulator's session survived Stop", pid)
			}
		}
		if t.Failed() {
			t.Logf("emulator and bootstrap output:\n%s", out.String())
		}
	})
	return &consumer{inst: inst, output: out}
}

// localEnv points the function at loopback fakes of the third-party API
// and of SQS (the poison and isolated queues), with the API key in the environment and
// static credentials: everything only a deployment would know.
// startFakes serves a fake schedule API (with the outage period) and a fake
// SQS on loopback for the test, and returns them with the function's
// environment pointing at them.
func startFakes(t *testing.T) (*fakeapi.Server, *fakeaws.Server, map[string]string) {
	t.Helper()
	api, err := fakeapi.New(fakeapi.Options{APIKey: apiKey})
	if err != nil {
		t.Fatal(err)
	}
	apiSrv := httptest.NewServer(fakeapi.Outage(api, outagePeriod))
	t.Cleanup(func() { api.Close(); apiSrv.Close() })
	queue := sqsFake(t)
	return api, queue, localEnv(apiSrv.URL, queue.URL())
}

// sqsFake serves SQS on loopback with the poison queue, and the event
// queue, whose records the tests make by hand: it takes the retry
// backoff's visibility changes and nothing else.
func sqsFake(t *testing.T) *fakeaws.Server {
	t.Helper()
	fake := fakeaws.New()
	t.Cleanup(fake.Close)
	fake.AddQueue(poisonQueueURL)
	fake.AddQueue(isolatedQueueURL)
	fake.Attach(path.Base(eventQueueURL), fakeaws.AcceptVisibility)
	return fake
}

func localEnv(apiURL, sqsURL string) map[string]string {
	return map[string]string{
		envvar.APIBaseURL:             apiURL,
		envvar.APIKey:                 apiKey,
		envvar.PoisonQueueURL:         poisonQueueURL,
		envvar.IsolatedQueueURL:       isolatedQueueURL,
		envvar.SQSEndpoint:            sqsURL,
		"AWS_REGION":                  "eu-west-1",
		"AWS_ACCESS_KEY_ID":           "AKIDARTIFACTTEST",
		"AWS_SECRET_ACCESS_KEY":       "artifact-test-secret",
		"AWS_SESSION_TOKEN":           "artifact-test-token",
		"AWS_CONFIG_FILE":             "/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_LAMBDA_LOG_LEVEL":        "INFO",
	}
}

// invoke sends payload and returns the function's response body; an
// invocation the function failed as a whole fails the test.
func (c *consumer) invoke(t *testing.T, payload []byte) []byte {
	t.Helper()
	resp, err := c.inst.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if resp.FunctionError != nil || resp.Status != http.StatusOK {
		t.Fatalf("invoke: HTTP %d, function error %v: %s", resp.Status, resp.FunctionError, resp.Body)
	}
	return resp.Body
}

// lines returns the output lines that contain substr.
func (c *consumer) lines(substr string) []string {
	var out []string
	for _, l := range bytes.Split([]byte(c.output.String()), []byte("\n")) {
		if bytes.Contains(l, []byte(substr)) {
			out = append(out, string(l))
		}
	}
	return out
}

// awaitLines waits until at least n output lines contain substr, then
// returns how many do. The emulator forwards the function's stdout on its
// own schedule, so a line written before the response can arrive after it.
func (c *consumer) awaitLines(substr string, n int) int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := len(c.lines(substr))
		if got >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}
