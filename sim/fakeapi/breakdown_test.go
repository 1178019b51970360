package fakeapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/sim/fakeapi"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) now() time.Time   { c.mu.Lock(); defer c.mu.Unlock(); return c.at }
func (c *clock) set(at time.Time) { c.mu.Lock(); c.at = at; c.mu.Unlock() }

func TestBrokenPeriodsAnswer503UntilTheyRecover(t *testing.T) {
	const other = "2026-11-29"
	c := &clock{at: t0}
	srv, ts := start(t, fakeapi.Options{Now: c.now})
	if err := srv.SetBreakdown(fakeapi.Breakdown{BrokenPeriods: []string{period}, BrokenFor: time.Minute}, t0); err != nil {
		t.Fatal(err)
	}
	status := func(p string) int {
		code, _, _ := call(t, ts, http.MethodGet, "/schedules/"+p, "")
		return code
	}
	for _, at := range []time.Duration{0, 30 * time.Second, time.Minute - time.Millisecond} {
		c.set(t0.Add(at))
		if got := status(period); got != http.StatusServiceUnavailable {
			t.Errorf("broken period at %s: status %d, want 503", at, got)
		}
		if got := status(other); got != http.StatusNotFound {
			t.Errorf("healthy period at %s: status %d, want 404 (no document yet)", at, got)
		}
	}
	c.set(t0.Add(time.Minute))
	if got := status(period); got != http.StatusNotFound {
		t.Errorf("broken period after it recovered: status %d, want 404", got)
	}
	if st := srv.Stats().Faults; st.Breakdown != 3 || st.ServerErrors != 3 {
		t.Errorf("breakdown 503s %d, server errors %d: want 3 and 3", st.Breakdown, st.ServerErrors)
	}
}

func TestBrokenForGoodUntilLifted(t *testing.T) {
	c := &clock{at: t0}
	srv, ts := start(t, fakeapi.Options{Now: c.now})
	if err := srv.SetBreakdown(fakeapi.Breakdown{BrokenPeriods: []string{period}}, t0); err != nil {
		t.Fatal(err)
	}
	c.set(t0.Add(1000 * time.Hour))
	if code, _, body := call(t, ts, http.MethodGet, "/schedules/"+period, ""); code != http.StatusServiceUnavailable || !strings.Contains(body, "period broken") {
		t.Errorf("broken for good, much later: %d %s, want 503 period broken", code, body)
	}
	if err := srv.SetBreakdown(fakeapi.Breakdown{}, t0); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := call(t, ts, http.MethodGet, "/schedules/"+period, ""); code != http.StatusNotFound {
		t.Errorf("after lifting the breakdown: status %d, want 404", code)
	}
}

func TestOutageAnswersEveryPeriod503InItsWindow(t *testing.T) {
	c := &clock{at: t0}
	srv, ts := start(t, fakeapi.Options{Now: c.now})
	w, err := fakeapi.ParseWindow("3m@1m")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetBreakdown(fakeapi.Breakdown{Outage: w}, t0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Duration
		want int
	}{
		{0, http.StatusNotFound},
		{time.Minute - time.Millisecond, http.StatusNotFound},
		{time.Minute, http.StatusServiceUnavailable},
		{3 * time.Minute, http.StatusServiceUnavailable},
		{4*time.Minute - time.Millisecond, http.StatusServiceUnavailable},
		{4 * time.Minute, http.StatusNotFound},
	} {
		c.set(t0.Add(tc.at))
		for _, p := range []string{period, "2026-12-24"} {
			if code, _, _ := call(t, ts, http.MethodGet, "/schedules/"+p, ""); code != tc.want {
				t.Errorf("%s at %s: status %d, want %d", p, tc.at, code, tc.want)
			}
		}
	}
	// A PUT in the outage stores nothing.
	c.set(t0.Add(2 * time.Minute))
	if code, _, _ := call(t, ts, http.MethodPut, "/schedules/"+period, document(0, map[string]string{"a": "e1"})); code != http.StatusServiceUnavailable {
		t.Errorf("PUT in the outage: status %d, want 503", code)
	}
	if _, ok := srv.Document(period); ok {
		t.Error("a PUT answered 503 in the outage stored a document")
	}
}

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want fakeapi.Window
		err  string
	}{
		{"", fakeapi.Window{}, ""},
		{"3m@1m", fakeapi.Window{For: 3 * time.Minute, From: time.Minute}, ""},
		{"90s@0s", fakeapi.Window{For: 90 * time.Second}, ""},
		{"3m", fakeapi.Window{}, "want DURATION@START"},
		{"0s@1m", fakeapi.Window{}, "want a positive Go duration"},
		{"3m@-1s", fakeapi.Window{}, "a Go duration of 0 or more"},
		{"3x@1m", fakeapi.Window{}, "want a positive Go duration"},
	} {
		got, err := fakeapi.ParseWindow(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ParseWindow(%q): %v", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseWindow(%q) error %v, want one containing %q", tc.in, err, tc.err)
		case got != tc.want:
			t.Errorf("ParseWindow(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if tc.err == "" && tc.in != "" {
			if back, _ := fakeapi.ParseWindow(got.String()); back != got {
				t.Errorf("ParseWindow(%q).String() = %q does not read back", tc.in, got.String())
			}
		}
	}
}
