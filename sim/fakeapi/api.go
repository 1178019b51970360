package fakeapi

import (
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
)

// maxDocument bounds a PUT body, like any real API would.
const maxDocument = 8 << 20

// guard authenticates, validates the period and injects faults before next
// runs, so that next only ever sees requests that should succeed.
func (s *Server) guard(next func(w http.ResponseWriter, r *http.Request, period string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats.Requests++
		s.rate.add(time.Now())
		s.stats.PeakPerSecond = int64(s.rate.peak)
		faults := s.faults
		f := faults.roll(s.dice.Float64())
		apiKey := s.apiKey
		broken := s.brokenLocked(r.PathValue("period"))
		s.mu.Unlock()

		if apiKey != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(scheduleapi.APIKeyHeader)), []byte(apiKey)) != 1 {
			s.count(func(st *Stats) { st.Unauthorized++ })
			writeError(w, http.StatusUnauthorized, "missing or wrong x-api-key")
			return
		}
		period := r.PathValue("period")
		if err := schedule.ValidatePeriod(period); err != nil {
			s.count(func(st *Stats) { st.BadRequests++ })
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		if broken != "" {
			s.count(func(st *Stats) { st.Faults.ServerErrors++; st.Faults.Breakdown++ })
			writeError(w, http.StatusServiceUnavailable, broken)
			return
		}
		if s.unavailable(period) {
			s.count(func(st *Stats) { st.Faults.ServerErrors++ })
			writeError(w, http.StatusServiceUnavailable, "period unavailable (content fault)")
			return
		}
		if !s.wait(r, faults.Latency) {
			s.count(func(st *Stats) { st.Abandoned++ })
			return
		}
		switch f {
		case faultTimeout:
			s.count(func(st *Stats) { st.Faults.Timeouts++ })
			s.wait(r, maxHang)
			writeError(w, http.StatusServiceUnavailable, "injected timeout")
			return
		case faultServerError:
			s.count(func(st *Stats) { st.Faults.ServerErrors++ })
			writeError(w, http.StatusInternalServerError, "injected server error")
			return
		case faultThrottle:
			s.count(func(st *Stats) { st.Faults.Throttles++ })
			secs := (faults.RetryAfter + time.Second - 1) / time.Second
			w.Header().Set("Retry-After", fmt.Sprint(int64(secs)))
			writeError(w, http.StatusTooManyRequests, "injected throttle")
			return
		}
		next(w, r, period)
	}
}

// wait sleeps d; false means the client gave up or the server closed.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.closed:
	}
	return false
}

func (s *Server) count(update func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	update(&s.stats)
}

func (s *Server) get(w http.ResponseWriter, _ *http.Request, period string) {
	s.mu.Lock()
	doc, ok := s.docs[period]
	s.stats.Gets++
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "no schedule for "+period)
		return
	}
	// Stored documents are never mutated, only replaced, so doc can be
	// encoded outside the lock.
	writeJSON(w, http.StatusOK, doc)
}

func (s *Server) put(w http.ResponseWriter, r *http.Request, period string) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDocument))
	if err != nil {
		s.count(func(st *Stats) { st.BadRequests++ })
		writeError(w, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	doc, err := schedule.DecodeDocument(data)
	if err == nil && doc.Period != period {
		err = fmt.Errorf("scheduleDate %q does not match the URL period %q", doc.Period, period)
	}
	if err != nil {
		s.count(func(st *Stats) { st.BadRequests++ })
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	s.mu.Lock()
	cur, exists := s.docs[period]
	if !exists {
		cur = schedule.Empty(period)
	}
	write := diff(cur, doc)
	if status := s.refuseLocked(write.Applied); status != 0 {
		s.mu.Unlock()
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, status, "change refused (content fault)")
		return
	}
	// Identical content based on an old revision is a replayed write (for
	// example a retry after a lost response): it overwrites nothing.
	write.LostUpdate = doc.Revision < cur.Revision && !schedule.SameEntities(doc, cur)
	write.Revision = cur.Revision + 1
	doc.Revision = write.Revision
	s.docs[period] = doc
	s.history[period] = append(s.history[period], write)
	s.stats.Puts++
	if write.LostUpdate {
		s.stats.LostUpdates++
	}
	s.mu.Unlock()

	writeJSON(w, http.StatusOK, map[string]any{"scheduleDate": period, "version": write.Revision})
}

// diff lists the events whose stamps next introduced over cur, and the
// entities next dropped.
func diff(cur, next schedule.Schedule) Write {
	w := Write{BaseRevision: next.Revision, Applied: []string{}}
	keys := make([]schedule.EntityKey, 0, len(next.Entities))
	for k := range next.Entities {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b schedule.EntityKey) int { return strings.Compare(a.String(), b.String()) })
	for _, k := range keys {
		old, ok := cur.Entities[k]
		if !ok || old.Stamp.Compare(next.Entities[k].Stamp) != 0 {
			w.Applied = append(w.Applied, next.Entities[k].Stamp.EventID)
		}
	}
	for k := range cur.Entities {
		if _, ok := next.Entities[k]; !ok {
			w.Dropped = append(w.Dropped, k.String())
		}
	}
	slices.Sort(w.Dropped)
	return w
}
