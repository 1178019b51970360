package lambdaemu

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/repo"
	"github.com/orderly-dev/orderly/infra/session"
	"github.com/orderly-dev/orderly/lambda/buildspec"
)

// consumerConfig builds the real consumer and returns a Config that starts
// it with a local configuration; nothing it talks to needs to exist for
// empty invocations.
func consumerConfig(t *testing.T) Config {
	t.Helper()
	NeedsEmulator(t)
	root, err := repo.WorkingRoot()
	if err != nil {
		t.Fatal(err)
	}
	tools, err := FindTools(root)
	Precondition(t, err)
	dir := t.TempDir()
	bootstrap := filepath.Join(dir, buildspec.BinaryName)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := buildspec.Command(ctx, root, bootstrap).CombinedOutput(); err != nil {
		t.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	logDir := filepath.Join(dir, "logs")
	if err := os.Mkdir(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return Config{
		Tools:     tools,
		Bootstrap: bootstrap,
		Timeout:   10 * time.Second,
		LogDir:    logDir,
		Env: map[string]string{
			"SCHEDULE_API_BASE_URL": "http://127.0.0.1:9",
			"SCHEDULE_API_KEY":      "local",
			"POISON_QUEUE_URL":      "http://127.0.0.1:9/000000000000/poison",
			"AWS_REGION":            "eu-west-1",
			"AWS_ACCESS_KEY_ID":     "local",
			"AWS_SECRET_ACCESS_KEY": "local",
		},
	}
}

// lockedBuffer collects the instances' output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
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

func TestPoolRunsConcurrentInvocationsAndReplacesAKilledInstance(t *testing.T) {
	cfg := consumerConfig(t)
	output := &lockedBuffer{}
	cfg.Output = output
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool, err := NewPool(ctx, cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// Both instances answer at the same time: they hold one each.
	a, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, in := range []*Instance{a, b} {
		wg.Go(func() {
			resp, err := in.Invoke(ctx, WarmUpPayload)
			if err != nil || resp.FunctionError != nil {
				t.Errorf("instance %d: %v %v", in.ID(), err, resp.FunctionError)
			}
		})
	}
	wg.Wait()

	// A killed instance is restarted on release and answers again.
	before := a.Pids()
	if err := a.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Invoke(ctx, WarmUpPayload); err == nil {
		t.Error("a killed instance answered")
	}
	for _, in := range []*Instance{a, b} {
		if err := pool.Release(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if pool.Restarts() != 1 || a.Starts() != 2 {
		t.Errorf("restarts %d, starts of the killed instance %d; want 1 and 2", pool.Restarts(), a.Starts())
	}
	for _, pid := range before {
		if session.Alive(pid) {
			t.Errorf("pid %d of the killed instance survived", pid)
		}
	}
	for range 2 {
		resp, err := pool.Invoke(ctx, WarmUpPayload)
		if err != nil || resp.FunctionError != nil {
			t.Fatalf("after restart: %v %v", err, resp.FunctionError)
		}
	}

	// The emulator reports each invocation, and the consumer logs JSON.
	if out := output.String(); !strings.Contains(out, "START RequestId") || !strings.Contains(out, `"msg":"consumer ready"`) {
		t.Errorf("output lacks the emulator's or the consumer's lines:\n%s", out)
	}
	if logs, err := os.ReadDir(cfg.LogDir); err != nil || len(logs) != 2 {
		t.Errorf("log dir holds %v (%v), want one log per instance", logs, err)
	}

	all := pool.Pids()
	if len(all) < 6 {
		// Three starts, each an emulator plus its runtime.
		t.Errorf("pool ran pids %v, want at least 6", all)
	}
	if err := pool.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range all {
		if session.Alive(pid) {
			t.Errorf("pid %d survived Close", pid)
		}
	}
}
