package fakeapi

import (
	"testing"
	"time"
)

func TestWindowKeepsThePeakOfAnyOneSecond(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var w window
	// 5 requests in the first 400 ms, 3 in the next second, then 6 within
	// 999 ms: the peak is 6, and requests a full second apart never count
	// together.
	offsets := []time.Duration{0, 100, 200, 300, 400, 1400, 1500, 1600, 3000, 3200, 3400, 3600, 3800, 3999}
	for _, ms := range offsets {
		w.add(t0.Add(ms * time.Millisecond))
	}
	if w.peak != 6 {
		t.Errorf("peak %d, want 6", w.peak)
	}
	if n := w.add(t0.Add(5 * time.Second)); n != 1 {
		t.Errorf("window at 5 s holds %d, want only the new request", n)
	}
}
