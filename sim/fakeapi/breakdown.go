package fakeapi

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Breakdown is the vendor failing for a while rather than at random: some
// periods answered 503 on every request (a period-specific failure: one
// schedule's data is broken on the vendor's side), and a window in which
// every request is answered 503 (a vendor-wide outage). Both are measured
// from a start the caller sets (Server.SetBreakdown), so that a run can
// place them on its own timeline; the fault dice are not consumed.
type Breakdown struct {
	// BrokenPeriods are answered 503 from the start until BrokenFor after
	// it, or for good when BrokenFor is 0.
	BrokenPeriods []string
	BrokenFor     time.Duration
	// Outage answers every request 503 while it lasts; the zero Window
	// is no outage.
	Outage Window
}

// Window is a stretch of time after a start: From after it, lasting For.
type Window struct {
	For, From time.Duration
}

// IsZero reports whether the window is empty (no outage).
func (w Window) IsZero() bool { return w.For <= 0 }

// Contains reports whether elapsed (time since the start) falls in w.
func (w Window) Contains(elapsed time.Duration) bool {
	return !w.IsZero() && elapsed >= w.From && elapsed < w.From+w.For
}

// End is when the window closes, after the start.
func (w Window) End() time.Duration { return w.From + w.For }

// String is the form ParseWindow reads, "3m0s@1m0s"; "" for no window.
func (w Window) String() string {
	if w.IsZero() {
		return ""
	}
	return w.For.String() + "@" + w.From.String()
}

// ParseWindow reads "DURATION@START", e.g. "3m@1m": lasting DURATION,
// starting START after the run's start. "" is no window.
func ParseWindow(s string) (Window, error) {
	if s == "" {
		return Window{}, nil
	}
	forS, fromS, ok := strings.Cut(s, "@")
	if !ok {
		return Window{}, fmt.Errorf("outage %q: want DURATION@START, e.g. 3m@1m (3 minutes, starting 1 minute after the run's start)", s)
	}
	d, err := time.ParseDuration(forS)
	if err != nil || d <= 0 {
		return Window{}, fmt.Errorf("outage %q: duration %q: want a positive Go duration such as 3m", s, forS)
	}
	from, err := time.ParseDuration(fromS)
	if err != nil || from < 0 {
		return Window{}, fmt.Errorf("outage %q: start %q: want a Go duration of 0 or more, such as 1m", s, fromS)
	}
	return Window{For: d, From: from}, nil
}

// Validate checks the durations.
func (b Breakdown) Validate() error {
	if b.BrokenFor < 0 {
		return fmt.Errorf("broken periods last %s: want 0 (for good) or a positive duration", b.BrokenFor)
	}
	if b.Outage.For < 0 || b.Outage.From < 0 {
		return fmt.Errorf("outage %s@%s: want a positive duration and a start of 0 or more", b.Outage.For, b.Outage.From)
	}
	return nil
}

// cause says why a request for period, elapsed after the
// breakdown's start, is answered 503; "" when it is not.
func (b Breakdown) cause(period string, elapsed time.Duration) string {
	switch {
	case b.Outage.Contains(elapsed):
		return "vendor outage (breakdown)"
	case slices.Contains(b.BrokenPeriods, period) && (b.BrokenFor == 0 || elapsed < b.BrokenFor):
		return "period broken (breakdown)"
	}
	return ""
}

// SetBreakdown makes b apply from start on, replacing any earlier one. The
// zero Breakdown lifts it, as a vendor that fixed a broken period would.
func (s *Server) SetBreakdown(b Breakdown, start time.Time) error {
	if err := b.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b.BrokenPeriods = slices.Clone(b.BrokenPeriods)
	s.breakdown, s.breakdownStart = b, start
	return nil
}

// brokenLocked is breakdown's cause for a request for period now; s.mu is
// held.
func (s *Server) brokenLocked(period string) string {
	if s.breakdownStart.IsZero() {
		return ""
	}
	return s.breakdown.cause(period, s.now().Sub(s.breakdownStart))
}
