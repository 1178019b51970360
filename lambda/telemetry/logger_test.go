package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/telemetry"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{"", slog.LevelInfo, false},
		{"info", slog.LevelInfo, false},
		{"TRACE", slog.LevelDebug, false},
		{"DEBUG", slog.LevelDebug, false},
		{" warn ", slog.LevelWarn, false},
		{"FATAL", slog.LevelError, false},
		{"loud", slog.LevelInfo, true},
	}
	for _, tc := range tests {
		got, err := telemetry.ParseLevel(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "want one of") {
			t.Errorf("error %q does not list the allowed levels", err)
		}
	}
}

type requestIDKey struct{}

func TestLoggerWritesJSONWithContextAttrs(t *testing.T) {
	var out bytes.Buffer
	logger := telemetry.NewLogger(telemetry.NewSyncWriter(&out), slog.LevelInfo, func(ctx context.Context) []slog.Attr {
		if id, ok := ctx.Value(requestIDKey{}).(string); ok {
			return []slog.Attr{slog.String("requestId", id)}
		}
		return nil
	})
	ctx := context.WithValue(context.Background(), requestIDKey{}, "req-1")
	logger.With("component", "test").InfoContext(ctx, "hello", "n", 1)
	logger.DebugContext(ctx, "hidden")
	logger.Info("no context attrs")

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2 (debug is below the level):\n%s", len(lines), out.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["msg"] != "hello" || first["requestId"] != "req-1" || first["component"] != "test" || first["n"] != float64(1) {
		t.Errorf("first line %v", first)
	}
	if _, has := second["requestId"]; has {
		t.Errorf("second line %v carries a request id it was not given", second)
	}
}

func TestLagTrackerKeepsTheLargestLag(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	ctx, tracker := telemetry.WithLagTracker(context.Background(), func() time.Time { return now })
	if _, known := tracker.Max(); known {
		t.Fatal("fresh tracker claims a lag")
	}
	var wg sync.WaitGroup
	for _, ago := range []time.Duration{3 * time.Second, 90 * time.Second, time.Second, 0} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			telemetry.ObserveEventTime(ctx, now.Add(-ago))
		}()
	}
	wg.Wait()
	telemetry.ObserveEventTime(ctx, time.Time{})                          // missing time: ignored
	telemetry.ObserveEventTime(context.Background(), now.Add(-time.Hour)) // no tracker: ignored
	if lag, known := tracker.Max(); !known || lag != 90*time.Second {
		t.Fatalf("Max = %v, %v; want 90s, true", lag, known)
	}
}
