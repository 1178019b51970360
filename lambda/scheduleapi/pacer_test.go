package scheduleapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/scheduleapi"
)

// TestRequestRateCapSpacesEveryAttempt: at 4 requests per second, the
// requests of one client, retries included, are spaced 250 ms apart; a
// Retry-After longer than the spacing wins.
func TestRequestRateCapSpacesEveryAttempt(t *testing.T) {
	clock := newFakeClock()
	srv := &scripted{t: t, responses: []responder{
		body(http.StatusOK, doc),                               // fetch 1
		status(http.StatusTooManyRequests, "Retry-After", "1"), // fetch 2, first attempt
		body(http.StatusOK, doc),                               // fetch 2, retry
		body(http.StatusOK, doc),                               // fetch 3
	}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c, err := scheduleapi.New(scheduleapi.Options{
		BaseURL: ts.URL, APIKey: func(context.Context) (string, error) { return testKey, nil },
		Limits: scheduleapi.Limits{RequestsPerSecond: 4},
		Now:    clock.Now, Sleep: clock.Sleep, Jitter: halfJitter,
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.Fetch(context.Background(), "2026-11-28"); err != nil {
			t.Fatal(err)
		}
	}
	// fetch 1 at once; fetch 2 a slot later (250 ms); its retry after the
	// Retry-After (1 s), which is past the next slot; fetch 3 a slot later.
	want := []time.Duration{250 * time.Millisecond, time.Second, 250 * time.Millisecond}
	if got := clock.Sleeps(); !equalDurations(got, want) {
		t.Errorf("sleeps %v, want %v", got, want)
	}
}

func TestRequestRateCapMustLeaveASlotWithinTheBudget(t *testing.T) {
	_, err := scheduleapi.New(scheduleapi.Options{
		BaseURL: "https://api.example.com", APIKey: func(context.Context) (string, error) { return testKey, nil },
		Limits: scheduleapi.Limits{CallTimeout: time.Second, RetryBudget: 2 * time.Second, RequestsPerSecond: 0.25},
	})
	if err == nil || !strings.Contains(err.Error(), "beyond its 2s retry budget") {
		t.Errorf("0.25 requests per second with a 2 s budget: %v, want a refusal naming the budget", err)
	}
}
