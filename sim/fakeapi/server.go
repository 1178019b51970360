// Package fakeapi is an in-memory stand-in for the third-party schedule API
// (see package schedule for the contract), for tests and local runs. Unlike
// the real API it detects lost updates: every stored document has a
// revision, and a PUT based on an older revision that overwrites different
// content is counted, though still accepted, exactly like the race it
// models. It also injects faults (latency, 500, 429 with Retry-After,
// hanging requests) from a seeded source, and content faults that depend on
// what a request carries, not on its arrival order (ContentFaults: an
// unavailable period, a refused event, a throttled first try), and a
// Breakdown timed from a start (broken periods, a vendor outage); and it keeps
// a per-period history of which events each write made take effect.
//
// Besides the API it serves, without authentication:
//
//	GET  /_stats            Stats as JSON
//	POST /_reset            forget documents, history and stats
//	GET  /_faults           current Faults as JSON
//	PUT  /_faults           replace Faults (and reseed) from JSON
//	GET  /_history/{period} the period's []Write as JSON
package fakeapi

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/orderly-dev/orderly/lambda/schedule"
)

// maxHang bounds a timeout fault for clients that never give up, so that
// the server cannot leak goroutines forever.
const maxHang = 2 * time.Minute

// Options configure a Server.
type Options struct {
	// APIKey, when set, must arrive in the x-api-key header of every
	// /schedules request; otherwise the server answers 401.
	APIKey string
	// Faults is the initial fault configuration.
	Faults Faults
	// Content is the initial content fault configuration.
	Content ContentFaults
	// Now is the clock a Breakdown is timed by; time.Now by default.
	Now func() time.Time
}

// Server is the fake API. It is an http.Handler; serve it with
// httptest.NewServer or http.Server. All methods are safe for concurrent use.
type Server struct {
	mux *http.ServeMux

	closeOnce sync.Once
	closed    chan struct{}

	mu      sync.Mutex
	apiKey  string
	faults  Faults
	dice    *rand.Rand
	docs    map[string]schedule.Schedule
	history map[string][]Write
	stats   Stats
	rate    window

	content   ContentFaults
	throttled map[string]bool // ThrottleFirst events already throttled

	now            func() time.Time
	breakdown      Breakdown
	breakdownStart time.Time // zero: no breakdown set
}

// New returns a Server, or an error if opts.Faults is invalid.
func New(opts Options) (*Server, error) {
	if err := opts.Faults.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		apiKey: opts.APIKey,
		mux:    http.NewServeMux(),
		closed: make(chan struct{}),
		now:    opts.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.resetLocked()
	s.setFaultsLocked(opts.Faults)
	s.content, s.throttled = opts.Content, map[string]bool{}
	s.mux.HandleFunc("GET /schedules/{period}", s.guard(s.get))
	s.mux.HandleFunc("PUT /schedules/{period}", s.guard(s.put))
	s.mux.HandleFunc("GET /_stats", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Stats()) })
	s.mux.HandleFunc("POST /_reset", func(w http.ResponseWriter, _ *http.Request) { s.Reset(); w.WriteHeader(http.StatusNoContent) })
	s.mux.HandleFunc("GET /_faults", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Faults()) })
	s.mux.HandleFunc("PUT /_faults", s.putFaults)
	s.mux.HandleFunc("GET /_history/{period}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.History(r.PathValue("period")))
	})
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close releases requests hanging in a timeout fault or in latency, so that
// http.Server.Shutdown and httptest.Server.Close do not wait for them.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.closed) }) }

// SetFaults replaces the fault configuration and reseeds the dice.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFaultsLocked(f)
	return nil
}

func (s *Server) setFaultsLocked(f Faults) {
	s.faults = f
	s.dice = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
}

// Faults returns the current fault configuration.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// RotateAPIKey makes the server accept only key from now on, as the real
// API does after the key is rotated on its side.
func (s *Server) RotateAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKey = key
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// History returns a copy of the accepted writes of period, oldest first.
func (s *Server) History(period string) []Write {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Write, len(s.history[period]))
	for i, w := range s.history[period] {
		w.Applied = slices.Clone(w.Applied)
		w.Dropped = slices.Clone(w.Dropped)
		out[i] = w
	}
	return out
}

// Document returns a copy of the stored document of period.
func (s *Server) Document(period string) (schedule.Schedule, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc, ok := s.docs[period]
	if !ok {
		return schedule.Schedule{}, false
	}
	return doc.Clone(), true
}

// Periods returns the periods that have a document, sorted.
func (s *Server) Periods() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.docs))
	for p := range s.docs {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Reset forgets all documents, history and counters; faults stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.docs = map[string]schedule.Schedule{}
	s.history = map[string][]Write{}
	s.stats = Stats{}
	s.rate = window{}
}
