package fakeapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Faults configures the failures the server injects into /schedules
// requests. Faults are decided before a request touches any state, so a
// faulted PUT never half-applies.
type Faults struct {
	// Latency delays every request. A client giving up during the delay
	// leaves the state untouched.
	Latency time.Duration
	// ErrorRate is the probability of answering 500.
	ErrorRate float64
	// ThrottleRate is the probability of answering 429 with Retry-After.
	ThrottleRate float64
	// RetryAfter is sent on 429, rounded up to whole seconds.
	RetryAfter time.Duration
	// TimeoutRate is the probability of never answering: the request hangs
	// until the client gives up (or the server closes).
	TimeoutRate float64
	// Seed seeds the fault dice; the same seed and request order give the
	// same faults.
	Seed uint64
}

// Validate checks that the rates are probabilities that add up to at most 1.
func (f Faults) Validate() error {
	rates := []struct {
		name string
		v    float64
	}{{"errorRate", f.ErrorRate}, {"throttleRate", f.ThrottleRate}, {"timeoutRate", f.TimeoutRate}}
	sum := 0.0
	for _, r := range rates {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			return fmt.Errorf("fault %s %v: want a probability in [0, 1]", r.name, r.v)
		}
		sum += r.v
	}
	if sum > 1 {
		return fmt.Errorf("fault rates add up to %v: want at most 1", sum)
	}
	if f.Latency < 0 || f.RetryAfter < 0 {
		return fmt.Errorf("fault latency %s, retryAfter %s: want non-negative durations", f.Latency, f.RetryAfter)
	}
	return nil
}

// faultsJSON is the wire form of Faults for the /_faults endpoint, with
// durations in milliseconds so that shell scripts can write them.
type faultsJSON struct {
	LatencyMS    int64   `json:"latencyMs"`
	ErrorRate    float64 `json:"errorRate"`
	ThrottleRate float64 `json:"throttleRate"`
	RetryAfterMS int64   `json:"retryAfterMs"`
	TimeoutRate  float64 `json:"timeoutRate"`
	Seed         uint64  `json:"seed"`
}

// MarshalJSON writes the /_faults wire form.
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsJSON{
		LatencyMS:    f.Latency.Milliseconds(),
		ErrorRate:    f.ErrorRate,
		ThrottleRate: f.ThrottleRate,
		RetryAfterMS: f.RetryAfter.Milliseconds(),
		TimeoutRate:  f.TimeoutRate,
		Seed:         f.Seed,
	})
}

// UnmarshalJSON reads the /_faults wire form; absent fields are zero.
// Unknown fields are rejected, so that a typo ("latency" for "latencyMs")
// fails loudly instead of silently injecting nothing.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var w faultsJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	*f = Faults{
		Latency:      time.Duration(w.LatencyMS) * time.Millisecond,
		ErrorRate:    w.ErrorRate,
		ThrottleRate: w.ThrottleRate,
		RetryAfter:   time.Duration(w.RetryAfterMS) * time.Millisecond,
		TimeoutRate:  w.TimeoutRate,
		Seed:         w.Seed,
	}
	return nil
}

type fault int

const (
	noFault fault = iota
	faultTimeout
	faultServerError
	faultThrottle
)

// roll maps one uniform draw onto a fault, so each request consumes exactly
// one number from the seeded source whatever the outcome.
func (f Faults) roll(u float64) fault {
	switch {
	case u < f.TimeoutRate:
		return faultTimeout
	case u < f.TimeoutRate+f.ErrorRate:
		return faultServerError
	case u < f.TimeoutRate+f.ErrorRate+f.ThrottleRate:
		return faultThrottle
	default:
		return noFault
	}
}
