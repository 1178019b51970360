package lambdaemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/orderly-dev/orderly/infra/session"
)

// Config describes the function every instance runs.
type Config struct {
	Tools Tools
	// Bootstrap is the function's executable (the bundled asset's bootstrap).
	Bootstrap string
	// Env is the function's environment. The emulator passes its own
	// environment on to the runtime, so these become the emulator's.
	Env map[string]string
	// Timeout is the function timeout, rounded up to whole seconds as in
	// Lambda. Default 60s.
	Timeout time.Duration
	// MemoryMiB is reported to the function. Default 128.
	MemoryMiB int
	// LogDir receives one log file per instance with the emulator's and the
	// function's output.
	LogDir string
	// Output also receives that output (a test can search it for log
	// lines). With neither LogDir nor Output, the output is discarded. It
	// must be safe for concurrent use when several instances share it.
	Output io.Writer
	// StartTimeout bounds starting an instance including the function's
	// init (the first, empty invocation). Default 30s: qemu is slow.
	StartTimeout time.Duration
}

// WarmUpPayload is the invocation that initializes a new instance: an empty
// batch, which the consumer answers without doing anything.
var WarmUpPayload = []byte(`{"Records":[]}`)

// invokePath is the emulator's invoke API.
const invokePath = "/2015-03-31/functions/function/invocations"

// Response is the emulator's answer to an invocation.
type Response struct {
	// Status is the HTTP status of the invoke API.
	Status int
	Body   []byte
	// FunctionError is set when the function failed as a whole: it
	// returned an error, crashed, or timed out.
	FunctionError *FunctionError
}

// FunctionError describes a failed invocation.
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Instance is one emulator running the function: one execution environment.
type Instance struct {
	cfg Config
	id  int

	mu        sync.Mutex
	proc      *session.Process
	client    *http.Client
	invokeURL string
	log       *os.File
	killed    bool
	pids      map[int]bool
	starts    int
	initTime  time.Duration
}

// Start starts an instance and initializes the function with one empty
// invocation, so that the first real invocation does not pay the cold start
// (and a function that cannot initialize fails here, with its log).
func Start(ctx context.Context, cfg Config, id int) (*Instance, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MemoryMiB <= 0 {
		cfg.MemoryMiB = 128
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.Tools.RIE == "" || cfg.Bootstrap == "" {
		return nil, errors.New("lambdaemu: Config needs Tools.RIE and Bootstrap")
	}
	in := &Instance{cfg: cfg, id: id, pids: map[int]bool{}}
	if err := in.start(ctx); err != nil {
		return nil, err
	}
	return in, nil
}

// ID is the instance's number in its pool.
func (in *Instance) ID() int { return in.id }

// InitDuration is how long the last start's init invocation took.
func (in *Instance) InitDuration() time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.initTime
}

// Starts counts how often the instance was started (1 + restarts).
func (in *Instance) Starts() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.starts
}

func (in *Instance) start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, in.cfg.StartTimeout)
	defer cancel()
	// A free port can be taken by another process between choosing and
	// binding it. The emulator then exits, but the port answers, so the
	// readiness probe and even the first invoke may reach the other
	// process (seen as "connection reset by peer"). Only an answer from
	// the function proves the instance is ours: until then, choose new
	// ports and launch again, a few times.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if err := in.launch(); err != nil {
			return err
		}
		if lastErr = in.waitReady(ctx); lastErr != nil {
			in.stopProcess()
			if ctx.Err() != nil {
				break
			}
			continue
		}
		began := time.Now()
		resp, err := in.Invoke(ctx, WarmUpPayload)
		if err == nil && resp.FunctionError != nil {
			// The function itself failed its init: launching again
			// would fail the same way.
			in.stopProcess()
			return fmt.Errorf("instance %d: function init (empty invocation): %w%s", in.id, resp.FunctionError, in.logTail())
		}
		if err == nil {
			in.mu.Lock()
			in.initTime = time.Since(began)
			in.mu.Unlock()
			return nil
		}
		lastErr = fmt.Errorf("function init (empty invocation): %w", err)
		in.stopProcess()
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("instance %d: %w%s", in.id, lastErr, in.logTail())
}

func (in *Instance) launch() error {
	addrs, err := freeLoopbackAddrs(2)
	if err != nil {
		return err
	}
	invokeAddr, runtimeAddr := addrs[0], addrs[1]
	args := []string{
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
	}
	if in.cfg.Tools.QEMU != "" {
		args = append(args, in.cfg.Tools.QEMU)
	}
	args = append(args, in.cfg.Bootstrap)
	cmd := exec.Command(in.cfg.Tools.RIE, args...)
	cmd.Dir = filepath.Dir(in.cfg.Bootstrap)
	cmd.Env = in.environment()
	logFile, err := in.openLog()
	if err != nil {
		return err
	}
	switch {
	case logFile != nil && in.cfg.Output != nil:
		w := io.MultiWriter(logFile, in.cfg.Output)
		cmd.Stdout, cmd.Stderr = w, w
	case logFile != nil:
		cmd.Stdout, cmd.Stderr = logFile, logFile
	case in.cfg.Output != nil:
		cmd.Stdout, cmd.Stderr = in.cfg.Output, in.cfg.Output
	}
	proc, err := session.Start(cmd)
	if err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return fmt.Errorf("instance %d: %w", in.id, err)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
	in.mu.Lock()
	in.proc = proc
	in.log = logFile
	in.killed = false
	in.starts++
	in.pids[proc.Pid()] = true
	in.invokeURL = "http://" + invokeAddr + invokePath
	in.client = &http.Client{Transport: transport}
	in.mu.Unlock()
	return nil
}

// environment is the emulator's environment: a minimal base (no variables
// of the calling process leak into the function, in particular no AWS
// credentials or profiles), then the function's variables.
func (in *Instance) environment() []string {
	env := map[string]string{
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"LANG":                            "C.UTF-8",
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(int((in.cfg.Timeout + time.Second - 1) / time.Second)),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(in.cfg.MemoryMiB),
		// The emulator's own log level; the function's is separate.
		"LOG_LEVEL": "warn",
	}
	for k, v := range in.cfg.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (in *Instance) openLog() (*os.File, error) {
	if in.cfg.LogDir == "" {
		return nil, nil
	}
	path := filepath.Join(in.cfg.LogDir, fmt.Sprintf("consumer-%d.log", in.id))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("instance %d log: %w", in.id, err)
	}
	fmt.Fprintf(f, "---- instance %d started %s ----\n", in.id, time.Now().Format(time.RFC3339Nano))
	return f, nil
}

// LogPath is where the instance's output goes, or "" if discarded.
func (in *Instance) LogPath() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.log == nil {
		return ""
	}
	return in.log.Name()
}

func (in *Instance) logTail() string {
	path := in.LogPath()
	if path == "" {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	const tail = 2000
	if len(data) > tail {
		data = data[len(data)-tail:]
	}
	return fmt.Sprintf("\n--- last output of %s ---\n%s", path, data)
}

// waitReady waits until the invoke API accepts connections, failing early
// if the emulator exits (a port taken, a bad argument).
func (in *Instance) waitReady(ctx context.Context) error {
	in.mu.Lock()
	proc, url := in.proc, in.invokeURL
	in.mu.Unlock()
	addr := url[len("http://") : len(url)-len(invokePath)]
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-proc.Done():
			return fmt.Errorf("aws-lambda-rie exited before listening on %s: %v", addr, proc.Err())
		case <-ctx.Done():
			return fmt.Errorf("aws-lambda-rie not listening on %s: %w", addr, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Invoke sends payload to the function and waits for its answer. An error
// means there was no answer (the instance was killed or crashed, or ctx
// ended); the invocation may still have had effects, as with a Lambda
// execution environment that dies mid-batch.
func (in *Instance) Invoke(ctx context.Context, payload []byte) (Response, error) {
	in.mu.Lock()
	client, url := in.client, in.invokeURL
	in.mu.Unlock()
	// The emulator enforces the function timeout itself; this only guards
	// against an emulator that stops answering.
	ctx, cancel := context.WithTimeout(ctx, in.cfg.Timeout+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return Response{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("instance %d: invoke: %w", in.id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("instance %d: read invoke response: %w", in.id, err)
	}
	return Response{Status: resp.StatusCode, Body: body, FunctionError: functionError(resp.StatusCode, body)}, nil
}

// functionError classifies an invoke API answer. The emulator answers 200
// with {"errorType","errorMessage"} when the handler returns an error, a
// plain-text 200 "Task timed out after N.00 seconds" on timeout, and 5xx
// when the runtime crashed.
func functionError(status int, body []byte) *FunctionError {
	if status != http.StatusOK {
		return &FunctionError{Type: "Runtime.Failure", Message: fmt.Sprintf("invoke API status %d: %s", status, truncate(body))}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		if bytes.HasPrefix(body, []byte("Task timed out")) {
			return &FunctionError{Type: "Sandbox.Timedout", Message: string(body)}
		}
		// A handler may return a non-object; the consumer never does.
		if json.Valid(body) {
			return nil
		}
		return &FunctionError{Type: "Runtime.InvalidResponse", Message: truncate(body)}
	}
	if _, ok := obj["errorMessage"]; ok {
		var fe FunctionError
		_ = json.Unmarshal(body, &fe)
		if fe.Type == "" {
			fe.Type = "Unhandled"
		}
		return &fe
	}
	return nil
}

func truncate(b []byte) string {
	const limit = 300
	if len(b) > limit {
		return string(b[:limit]) + "..."
	}
	return string(b)
}

// Kill ends the instance abruptly (SIGKILL to every process of its
// session): a crash of the execution environment, mid-invocation if one is
// running.
func (in *Instance) Kill() error {
	in.mu.Lock()
	proc := in.proc
	in.killed = true
	in.mu.Unlock()
	if proc == nil {
		return nil
	}
	in.remember(proc)
	return proc.Kill(10 * time.Second)
}

// Healthy reports whether the instance can take an invocation: not killed,
// and the emulator and the function's runtime still running.
func (in *Instance) Healthy() bool {
	in.mu.Lock()
	proc, killed := in.proc, in.killed
	in.mu.Unlock()
	if proc == nil || killed {
		return false
	}
	select {
	case <-proc.Done():
		return false
	default:
	}
	// The runtime (qemu or bootstrap) is the emulator's only child; if it
	// died, the emulator would answer every invocation with an error.
	return len(in.remember(proc)) >= 2
}

// Restart replaces the instance's processes with fresh ones.
func (in *Instance) Restart(ctx context.Context) error {
	in.stopProcess()
	return in.start(ctx)
}

// Stop ends the instance. It is safe to call more than once.
func (in *Instance) Stop() error {
	return in.stopProcess()
}

func (in *Instance) stopProcess() error {
	in.mu.Lock()
	proc, logFile, client := in.proc, in.log, in.client
	in.proc, in.log = nil, nil
	in.mu.Unlock()
	var err error
	if proc != nil {
		in.remember(proc)
		err = proc.Kill(10 * time.Second)
	}
	if client != nil {
		client.CloseIdleConnections()
	}
	if logFile != nil {
		logFile.Close()
	}
	return err
}

func (in *Instance) remember(proc *session.Process) []int {
	members := proc.Members()
	in.mu.Lock()
	for _, pid := range proc.Pids() {
		in.pids[pid] = true
	}
	in.mu.Unlock()
	return members
}

// Pids returns every process the instance ever ran, for checks that none
// survives.
func (in *Instance) Pids() []int {
	in.mu.Lock()
	proc := in.proc
	in.mu.Unlock()
	if proc != nil {
		in.remember(proc)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]int, 0, len(in.pids))
	for pid := range in.pids {
		out = append(out, pid)
	}
	sort.Ints(out)
	return out
}

// freeLoopbackAddr returns a 127.0.0.1 address with a port that was free a
// moment ago.
// handedOut remembers the ports this process gave an emulator, so that two
// instances starting at once never get the same one: the kernel may hand a
// port out again as soon as the probe closes it.
var handedOut = struct {
	sync.Mutex
	ports map[string]bool
}{ports: map[string]bool{}}

// freeLoopbackAddrs returns n distinct free loopback addresses, none handed
// out before by this process. The probes stay open together, so the n are
// distinct; another process can still take one before the emulator binds
// it (start launches again then).
func freeLoopbackAddrs(n int) ([]string, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	var probes []net.Listener
	defer func() {
		for _, ln := range probes {
			ln.Close()
		}
	}()
	var addrs []string
	for len(addrs) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free loopback port: %w", err)
		}
		probes = append(probes, ln)
		addr := ln.Addr().String()
		if handedOut.ports[addr] {
			continue
		}
		handedOut.ports[addr] = true
		addrs = append(addrs, addr)
	}
	return addrs, nil
}
