package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRequireLoopback(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"127.0.0.53:8080", true},
		{"[::1]:0", true},
		{"localhost:0", true},
		{":0", false},
		{"0.0.0.0:8080", false},
		{"[::]:0", false},
		{"192.168.1.10:80", false},
		{"example.com:80", false},
		{"127.0.0.1", false},
	}
	for _, tc := range tests {
		err := requireLoopback(tc.addr)
		if (err == nil) != tc.ok {
			t.Errorf("requireLoopback(%q) = %v, want ok=%v", tc.addr, err, tc.ok)
		}
	}
}

// started runs the command in-process and returns its announced URL.
func started(t *testing.T, args []string, env map[string]string) (url string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] }, w, io.Discard, slog.New(slog.DiscardHandler))
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no URL line on stdout: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, out)
	var announced struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(line), &announced); err != nil || !strings.HasPrefix(announced.URL, "http://127.0.0.1:") {
		cancel()
		t.Fatalf("stdout line %q: want {\"url\":\"http://127.0.0.1:<port>\"}", line)
	}
	return announced.URL, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("run did not return after cancellation")
			return nil
		}
	}
}

func get(t *testing.T, url string, headers ...string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestRunServesAndStops(t *testing.T) {
	url, stop := started(t, []string{"-throttle-rate", "1", "-retry-after", "3s", "-seed", "9"}, map[string]string{APIKeyEnv: "k"})
	if code := get(t, url+"/schedules/2026-11-28"); code != http.StatusUnauthorized {
		t.Errorf("request without key: %d, want 401", code)
	}
	if code := get(t, url+"/schedules/2026-11-28", "x-api-key", "k"); code != http.StatusTooManyRequests {
		t.Errorf("request with key under -throttle-rate 1: %d, want 429", code)
	}
	if code := get(t, url+"/_stats"); code != http.StatusOK {
		t.Errorf("GET /_stats: %d, want 200", code)
	}
	if err := stop(); err != nil {
		t.Fatalf("run returned %v after cancellation, want a clean stop", err)
	}
	if _, err := http.Get(url + "/_stats"); err == nil {
		t.Error("server still answers after stop")
	}
}

// A request hanging in a timeout fault must not hold up shutdown.
func TestRunStopsWithHangingRequest(t *testing.T) {
	url, stop := started(t, []string{"-timeout-rate", "1"}, nil)
	hung := make(chan struct{})
	go func() {
		defer close(hung)
		res, err := http.Get(url + "/schedules/2026-11-28")
		if err == nil {
			res.Body.Close()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(statsBody(t, url), `"timeouts":1`) {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the timeout fault")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatalf("run returned %v, want a clean stop", err)
	}
	<-hung
}

func statsBody(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url + "/_stats")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return string(data)
}

func TestRunRejectsBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-addr", "0.0.0.0:0"}, "want a loopback address"},
		{[]string{"-error-rate", "2"}, "want a probability"},
		{[]string{"-error-rate", "0.7", "-throttle-rate", "0.7"}, "want at most 1"},
		{[]string{"stray"}, "flags only"},
		{[]string{"-nope"}, "not defined"},
	}
	for _, tc := range tests {
		err := run(context.Background(), tc.args, func(string) string { return "" }, io.Discard, io.Discard, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
}
