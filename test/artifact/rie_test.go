package artifact_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a child's output while it runs.
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

// emulator is a running aws-lambda-rie with the bootstrap behind it.
type emulator struct {
	invokeURL string
	output    *lockedBuffer
}

// freeLoopbackPort asks the kernel for an unused port. Another process
// could take it before the emulator binds it; startEmulator then fails
// loudly rather than talking to a stranger.
func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startEmulator runs `aws-lambda-rie [qemu-aarch64] bootstrap` with env as
// the whole environment (nothing leaks in from the host, credentials in
// particular), and kills its process group when the test ends.
func startEmulator(t *testing.T, env map[string]string) *emulator {
	t.Helper()
	rie, err := findTool(t, "aws-lambda-rie")
	if err != nil {
		missing(t, "aws-lambda-rie (`make tools`) is needed to run the bootstrap: %v", err)
	}
	prefix := runner(t)
	boot := bootstrap(t)

	invokeAddr, runtimeAddr := freeLoopbackPort(t), freeLoopbackPort(t)
	args := []string{
		// The RIE's own flags come first: it parses flags anywhere on the
		// command line and ignores unknown ones.
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		"--log-level", "warn",
	}
	args = append(append(args, prefix...), boot)
	cmd := exec.Command(rie, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + cmd.Dir}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// A process group of its own, so that cleanup also ends the bootstrap
	// (and qemu) the emulator started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("emulator and bootstrap output:\n%s", out.String())
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", invokeAddr, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("emulator exited before listening on %s: %v\n%s", invokeAddr, err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("emulator not listening on %s after 30s:\n%s", invokeAddr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &emulator{invokeURL: "http://" + invokeAddr + "/2015-03-31/functions/function/invocations", output: out}
}

// invoke posts payload and returns the function's response body. The
// first invocation also runs init, under emulation, so it gets time.
func (e *emulator) invoke(t *testing.T, payload []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.invokeURL, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read invoke response: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke: HTTP %d: %s", resp.StatusCode, body)
	}
	return body
}

// lines returns the emulator's output lines that contain substr.
func (e *emulator) lines(substr string) []string {
	var out []string
	for _, l := range bytes.Split([]byte(e.output.String()), []byte("\n")) {
		if bytes.Contains(l, []byte(substr)) {
			out = append(out, string(l))
		}
	}
	return out
}
