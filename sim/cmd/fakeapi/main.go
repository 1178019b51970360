// Command fakeapi serves the fake third-party schedule API (package
// lambda/schedule/fakeapi) on a loopback address, for local runs and
// end-to-end tests in other processes.
//
// It prints one JSON line on stdout once it listens, e.g.
//
//	{"url":"http://127.0.0.1:41234"}
//
// and stops cleanly on SIGINT or SIGTERM. If the environment variable
// FAKEAPI_API_KEY is set, requests must carry that key in x-api-key (an
// environment variable rather than a flag keeps the key out of ps).
//
// Usage:
//
//	fakeapi [-addr 127.0.0.1:0] [-latency 0s] [-error-rate 0] [-throttle-rate 0]
//	        [-retry-after 1s] [-timeout-rate 0] [-seed 1]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/orderly-dev/orderly/sim/fakeapi"
)

// APIKeyEnv names the environment variable holding the required API key.
const APIKeyEnv = "FAKEAPI_API_KEY"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, log)
	switch {
	case errors.Is(err, flag.ErrHelp):
		// Usage was printed; asking for help is not a failure.
	case err != nil:
		log.Error("fakeapi failed", "error", err.Error())
		stop()
		os.Exit(2)
	}
}

// run serves until ctx is done. It is main without the process globals, so
// tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("fakeapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `host:port` to listen on (port 0 picks a free port)")
	var f fakeapi.Faults
	fs.DurationVar(&f.Latency, "latency", 0, "delay added to every /schedules request")
	fs.Float64Var(&f.ErrorRate, "error-rate", 0, "probability of answering 500")
	fs.Float64Var(&f.ThrottleRate, "throttle-rate", 0, "probability of answering 429")
	fs.DurationVar(&f.RetryAfter, "retry-after", time.Second, "Retry-After sent with 429 (rounded up to seconds)")
	fs.Float64Var(&f.TimeoutRate, "timeout-rate", 0, "probability of hanging until the client gives up")
	fs.Uint64Var(&f.Seed, "seed", 1, "seed of the fault dice")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: fakeapi takes flags only", fs.Args())
	}
	if err := requireLoopback(*addr); err != nil {
		return err
	}
	srv, err := fakeapi.New(fakeapi.Options{APIKey: getenv(APIKeyEnv), Faults: f})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	url := "http://" + ln.Addr().String()
	if err := json.NewEncoder(stdout).Encode(map[string]string{"url": url}); err != nil {
		ln.Close()
		return fmt.Errorf("announce URL: %w", err)
	}
	log.Info("fakeapi listening", "url", url, "apiKeyRequired", getenv(APIKeyEnv) != "", "faults", f)

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Release hanging fault requests first, or Shutdown would wait for them.
	srv.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	stats := srv.Stats()
	log.Info("fakeapi stopped", "requests", stats.Requests, "puts", stats.Puts, "lostUpdates", stats.LostUpdates)
	return nil
}

// requireLoopback refuses addresses other processes on the network could
// reach: the fake has no real authentication and must stay on this machine.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-addr %q: want a loopback address such as 127.0.0.1:0, [::1]:0 or localhost:0", addr)
}
