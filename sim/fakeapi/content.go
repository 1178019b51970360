package fakeapi

import (
	"net/http"
	"slices"
)

// ContentFaults are failures decided by what a request carries rather than
// by the seeded dice, so that a request fails the same way whatever order
// requests arrive in. A test that compares two request patterns for the
// same events (one push per record, or one per run of a period's records)
// needs exactly that.
type ContentFaults struct {
	// UnavailablePeriods are answered 503 on every request.
	UnavailablePeriods []string
	// RejectEvents: a PUT that would make one of these events take effect
	// (introduce its stamp on an entity) is answered 400, as an API that
	// refuses one entity's change does. Nothing is stored.
	RejectEvents []string
	// ThrottleFirst: the first PUT that would make each of these events take
	// effect is answered 429 with Retry-After: 1, and later ones are not.
	ThrottleFirst []string
}

// SetContentFaults replaces the content faults; the ThrottleFirst events
// count as not yet throttled.
func (s *Server) SetContentFaults(f ContentFaults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.content = f
	s.throttled = map[string]bool{}
}

// unavailable reports whether every request for period is answered 503.
func (s *Server) unavailable(period string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.content.UnavailablePeriods, period)
}

// refuseLocked returns the status to answer a PUT whose write would make
// the events applied take effect, or 0 to accept it. s.mu is held.
func (s *Server) refuseLocked(applied []string) int {
	for _, id := range applied {
		if slices.Contains(s.content.RejectEvents, id) {
			s.stats.Faults.Rejections++
			return http.StatusBadRequest
		}
	}
	for _, id := range applied {
		if slices.Contains(s.content.ThrottleFirst, id) && !s.throttled[id] {
			s.throttled[id] = true
			s.stats.Faults.Throttles++
			return http.StatusTooManyRequests
		}
	}
	return 0
}
