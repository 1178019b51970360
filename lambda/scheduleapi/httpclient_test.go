package scheduleapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/failure"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
)

const period = "2026-11-28"

var (
	t0     = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	driver = schedule.EntityKey{Type: schedule.Driver, ID: "d-42"}
)

func upsert(key schedule.EntityKey, version int64, at time.Time, id, attrs string) schedule.Change {
	return schedule.Change{Op: schedule.Upsert, Period: period, Key: key, Attributes: json.RawMessage(attrs),
		Stamp: schedule.Stamp{Version: version, Time: at, EventID: id}}
}

const testKey = "k-secret-123"

// fakeClock replaces time in the client: Sleep advances Now instead of
// waiting, and records each requested delay.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	// Real wall time (to the second, as HTTP dates are) so that a real
	// context deadline and the fake clock agree.
	return &fakeClock{now: time.Now().Truncate(time.Second)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// halfJitter makes full jitter deterministic: half of the ceiling.
func halfJitter(limit time.Duration) time.Duration { return limit / 2 }

type responder func(w http.ResponseWriter, r *http.Request)

func status(code int, headers ...string) responder {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"error":"scripted"}`)
	}
}

func body(code int, text string) responder {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, text)
	}
}

// dropConnection makes the client see a network error.
func dropConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// hang answers only after the client has given up.
func hang(w http.ResponseWriter, r *http.Request) {
	<-r.Context().Done()
}

type scripted struct {
	t         *testing.T
	responses []responder
	calls     atomic.Int32
	mu        sync.Mutex
	requests  []recorded
}

type recorded struct {
	method, path, key, contentType, body string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, recorded{r.Method, r.URL.Path, r.Header.Get("x-api-key"), r.Header.Get("Content-Type"), string(data)})
	s.mu.Unlock()
	i := int(s.calls.Add(1)) - 1
	s.responses[min(i, len(s.responses)-1)](w, r)
}

const doc = `{"scheduleDate":"2026-11-28","version":3,"entities":{"driver/d-42":{"attributes":{"n":1},"stamp":{"time":"2026-11-27T10:00:00Z","eventId":"e1"}}}}`

func TestHTTPClient(t *testing.T) {
	type want struct {
		err       string // "" for success; else "transient" or "permanent"
		msg       []string
		attempts  int
		sleeps    []time.Duration
		revision  int64
		nEntities int
	}
	retryAt := func(c *fakeClock, d time.Duration) string { return c.Now().Add(d).UTC().Format(http.TimeFormat) }
	tests := []struct {
		name      string
		push      bool // else fetch
		responses func(c *fakeClock) []responder
		opts      func(o *scheduleapi.Options)
		ctx       func() (context.Context, context.CancelFunc)
		want      want
	}{
		{name: "fetch 200",
			responses: func(*fakeClock) []responder { return []responder{body(200, doc)} },
			want:      want{attempts: 1, revision: 3, nEntities: 1}},
		{name: "fetch 404 is an empty schedule",
			responses: func(*fakeClock) []responder { return []responder{status(404)} },
			want:      want{attempts: 1, revision: 0, nEntities: 0}},
		{name: "5xx retried with growing backoff",
			responses: func(*fakeClock) []responder {
				return []responder{status(500), status(502), status(504), body(200, doc)}
			},
			want: want{attempts: 4, sleeps: []time.Duration{25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}, revision: 3, nEntities: 1}},
		{name: "backoff ceiling caps growth",
			responses: func(*fakeClock) []responder { return []responder{status(500)} },
			opts: func(o *scheduleapi.Options) {
				o.Limits.MaxAttempts, o.BackoffMax, o.Limits.RetryBudget = 6, 300*time.Millisecond, time.Minute
			},
			want: want{err: "transient", msg: []string{"giving up after 6 attempts", "HTTP 500"}, attempts: 6,
				sleeps: []time.Duration{25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 150 * time.Millisecond, 150 * time.Millisecond}}},
		{name: "429 Retry-After seconds",
			responses: func(*fakeClock) []responder { return []responder{status(429, "Retry-After", "2"), body(200, doc)} },
			opts:      func(o *scheduleapi.Options) { o.RetryAfterMax, o.Limits.RetryBudget = 5*time.Second, time.Minute },
			want:      want{attempts: 2, sleeps: []time.Duration{2 * time.Second}, revision: 3, nEntities: 1}},
		{name: "429 Retry-After HTTP date",
			responses: func(c *fakeClock) []responder {
				return []responder{status(429, "Retry-After", retryAt(c, 3*time.Second)), body(200, doc)}
			},
			opts: func(o *scheduleapi.Options) { o.RetryAfterMax, o.Limits.RetryBudget = 5*time.Second, time.Minute },
			want: want{attempts: 2, sleeps: []time.Duration{3 * time.Second}, revision: 3, nEntities: 1}},
		{name: "503 Retry-After is honoured too",
			responses: func(*fakeClock) []responder { return []responder{status(503, "Retry-After", "1"), body(200, doc)} },
			opts:      func(o *scheduleapi.Options) { o.Limits.RetryBudget = time.Minute },
			want:      want{attempts: 2, sleeps: []time.Duration{time.Second}, revision: 3, nEntities: 1}},
		{name: "Retry-After capped",
			responses: func(*fakeClock) []responder { return []responder{status(429, "Retry-After", "3600"), body(200, doc)} },
			opts: func(o *scheduleapi.Options) {
				o.RetryAfterMax, o.Limits.RetryBudget = 700*time.Millisecond, time.Minute
			},
			want: want{attempts: 2, sleeps: []time.Duration{700 * time.Millisecond}, revision: 3, nEntities: 1}},
		{name: "unparseable Retry-After falls back to backoff",
			responses: func(*fakeClock) []responder { return []responder{status(429, "Retry-After", "soon"), body(200, doc)} },
			want:      want{attempts: 2, sleeps: []time.Duration{25 * time.Millisecond}, revision: 3, nEntities: 1}},
		{name: "408 retried",
			responses: func(*fakeClock) []responder { return []responder{status(408), body(200, doc)} },
			want:      want{attempts: 2, sleeps: []time.Duration{25 * time.Millisecond}, revision: 3, nEntities: 1}},
		{name: "network error retried",
			responses: func(*fakeClock) []responder { return []responder{dropConnection, body(200, doc)} },
			want:      want{attempts: 2, sleeps: []time.Duration{25 * time.Millisecond}, revision: 3, nEntities: 1}},
		{name: "call timeout retried",
			responses: func(*fakeClock) []responder { return []responder{hang, body(200, doc)} },
			opts: func(o *scheduleapi.Options) {
				o.Limits.CallTimeout, o.Limits.RetryBudget = 20*time.Millisecond, 2*time.Second
			},
			want: want{attempts: 2, sleeps: []time.Duration{25 * time.Millisecond}, revision: 3, nEntities: 1}},
		{name: "400 is permanent",
			responses: func(*fakeClock) []responder { return []responder{status(400), body(200, doc)} },
			want:      want{err: "permanent", msg: []string{"fetch schedule 2026-11-28", "GET /schedules/2026-11-28", "HTTP 400", "scripted"}, attempts: 1}},
		{name: "401 fails the record without poisoning it",
			responses: func(*fakeClock) []responder { return []responder{status(401), body(200, doc)} },
			want:      want{err: "transient", msg: []string{"HTTP 401"}, attempts: 1}},
		{name: "403 fails the record without poisoning it",
			responses: func(*fakeClock) []responder { return []responder{status(403), body(200, doc)} },
			want:      want{err: "transient", msg: []string{"HTTP 403"}, attempts: 1}},
		{name: "404 on push is permanent", push: true,
			responses: func(*fakeClock) []responder { return []responder{status(404)} },
			want:      want{err: "permanent", msg: []string{"push schedule 2026-11-28", "PUT /schedules/2026-11-28", "HTTP 404"}, attempts: 1}},
		{name: "push 204", push: true,
			responses: func(*fakeClock) []responder { return []responder{status(500), status(204)} },
			want:      want{attempts: 2, sleeps: []time.Duration{25 * time.Millisecond}}},
		{name: "attempts exhausted stay transient",
			responses: func(*fakeClock) []responder { return []responder{status(500)} },
			want:      want{err: "transient", msg: []string{"giving up after 4 attempts", "HTTP 500"}, attempts: 4, sleeps: []time.Duration{25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond}}},
		{name: "budget stops retries early",
			responses: func(*fakeClock) []responder { return []responder{status(429, "Retry-After", "3")} },
			opts: func(o *scheduleapi.Options) {
				o.RetryAfterMax, o.Limits.CallTimeout, o.Limits.RetryBudget = 10*time.Second, time.Second, 2*time.Second
			},
			want: want{err: "transient", msg: []string{"would exceed the 2s budget", "HTTP 429"}, attempts: 1}},
		{name: "invocation deadline stops retries early",
			responses: func(*fakeClock) []responder { return []responder{status(503, "Retry-After", "30")} },
			opts:      func(o *scheduleapi.Options) { o.RetryAfterMax, o.Limits.RetryBudget = time.Minute, time.Hour },
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 10*time.Second)
			},
			want: want{err: "transient", msg: []string{"would pass the invocation deadline", "HTTP 503"}, attempts: 1}},
		{name: "canceled invocation is not retried",
			responses: func(*fakeClock) []responder { return []responder{hang} },
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 30*time.Millisecond)
			},
			want: want{err: "transient", msg: []string{"deadline exceeded"}, attempts: 1}},
		{name: "malformed document is transient and not retried",
			responses: func(*fakeClock) []responder { return []responder{body(200, `{"scheduleDate":`)} },
			want:      want{err: "transient", msg: []string{"fetch schedule 2026-11-28", "schedule document"}, attempts: 1}},
		{name: "document of another period",
			responses: func(*fakeClock) []responder {
				return []responder{body(200, strings.Replace(doc, "2026-11-28", "2026-11-29", 1))}
			},
			want: want{err: "transient", msg: []string{`server returned scheduleDate "2026-11-29"`}, attempts: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := &scripted{t: t, responses: tc.responses(clock)}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			opts := scheduleapi.Options{
				BaseURL: ts.URL + "/",
				APIKey:  func(context.Context) (string, error) { return testKey, nil },
				// Four attempts, so the backoff's growth shows in three sleeps.
				Limits: scheduleapi.Limits{MaxAttempts: 4},
				Now:    clock.Now, Sleep: clock.Sleep, Jitter: halfJitter,
			}
			if tc.opts != nil {
				tc.opts(&opts)
			}
			c, err := scheduleapi.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()

			var got schedule.Schedule
			if tc.push {
				s := schedule.Empty(period)
				s.Revision = 9
				err = c.Push(ctx, s)
			} else {
				got, err = c.Fetch(ctx, period)
			}

			switch {
			case tc.want.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want.err != "" && err == nil:
				t.Fatalf("want a %s error, got success", tc.want.err)
			case tc.want.err != "" && failure.IsPermanent(err) != (tc.want.err == "permanent"):
				t.Fatalf("error %v: permanent = %v, want %s", err, failure.IsPermanent(err), tc.want.err)
			}
			for _, m := range tc.want.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if err != nil && strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks the API key: %v", err)
			}
			if n := int(srv.calls.Load()); n != tc.want.attempts {
				t.Errorf("server saw %d requests, want %d", n, tc.want.attempts)
			}
			if sleeps := clock.Sleeps(); !equalDurations(sleeps, tc.want.sleeps) {
				t.Errorf("slept %v, want %v", sleeps, tc.want.sleeps)
			}
			for _, r := range srv.requests {
				if r.key != testKey {
					t.Errorf("request %s %s carried x-api-key %q, want the provider's key", r.method, r.path, r.key)
				}
				if r.path != "/schedules/"+period {
					t.Errorf("request path %q, want /schedules/%s", r.path, period)
				}
			}
			if err == nil && !tc.push {
				if got.Period != period || got.Revision != tc.want.revision || len(got.Entities) != tc.want.nEntities || got.Entities == nil {
					t.Errorf("Fetch = %+v, want period %s, revision %d, %d entities", got, period, tc.want.revision, tc.want.nEntities)
				}
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHTTPClientPushSendsDocumentWithBaseRevision(t *testing.T) {
	srv := &scripted{t: t, responses: []responder{status(200)}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c, err := scheduleapi.New(scheduleapi.Options{BaseURL: ts.URL + "/api", APIKey: func(context.Context) (string, error) { return testKey, nil }})
	if err != nil {
		t.Fatal(err)
	}
	s := schedule.Empty(period)
	s.Revision = 7
	schedule.Apply(&s, upsert(driver, 2, t0, "e1", `{"name":"Ada"}`))
	if err := c.Push(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if len(srv.requests) != 1 {
		t.Fatalf("%d requests, want 1", len(srv.requests))
	}
	r := srv.requests[0]
	if r.method != http.MethodPut || r.path != "/api/schedules/"+period || r.contentType != "application/json" {
		t.Errorf("request %s %s (%s), want PUT /api/schedules/%s (application/json)", r.method, r.path, r.contentType, period)
	}
	back, err := schedule.DecodeDocument([]byte(r.body))
	if err != nil {
		t.Fatalf("pushed body is not a valid document: %v\n%s", err, r.body)
	}
	if back.Revision != 7 || !schedule.SameEntities(back, s) {
		t.Errorf("pushed %s, want revision 7 and the entities of %+v", r.body, s)
	}
}

func TestHTTPClientAPIKeyErrors(t *testing.T) {
	tests := []struct {
		name          string
		keyErr        error
		wantCalls     int
		wantPermanent bool
	}{
		{"transient provider error is retried", errors.New("secrets manager unavailable"), scheduleapi.DefaultMaxAttempts, false},
		{"permanent provider error is not", failure.Permanent(errors.New("secret has no apiKey")), 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := &scripted{t: t, responses: []responder{body(200, doc)}}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			var calls atomic.Int32
			clock := newFakeClock()
			c, err := scheduleapi.New(scheduleapi.Options{
				BaseURL: ts.URL,
				APIKey: func(context.Context) (string, error) {
					calls.Add(1)
					return "", tc.keyErr
				},
				Now: clock.Now, Sleep: clock.Sleep, Jitter: halfJitter,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Fetch(context.Background(), period)
			if err == nil || !strings.Contains(err.Error(), "get API key") || !errors.Is(err, tc.keyErr) {
				t.Fatalf("Fetch error = %v, want it to wrap %v with context", err, tc.keyErr)
			}
			if failure.IsPermanent(err) != tc.wantPermanent {
				t.Errorf("permanent = %v, want %v", failure.IsPermanent(err), tc.wantPermanent)
			}
			if int(calls.Load()) != tc.wantCalls || srv.calls.Load() != 0 {
				t.Errorf("provider called %d times (want %d), server %d times (want 0)", calls.Load(), tc.wantCalls, srv.calls.Load())
			}
		})
	}
}

func TestNewHTTPClientRejectsBadOptions(t *testing.T) {
	key := func(context.Context) (string, error) { return "k", nil }
	tests := []struct {
		name string
		opts scheduleapi.Options
		want string
	}{
		{"empty base URL", scheduleapi.Options{APIKey: key}, "want an absolute http(s) URL"},
		{"relative base URL", scheduleapi.Options{BaseURL: "schedule.example.com", APIKey: key}, "want an absolute http(s) URL"},
		{"ftp base URL", scheduleapi.Options{BaseURL: "ftp://schedule.example.com", APIKey: key}, "want an absolute http(s) URL"},
		{"base URL with query", scheduleapi.Options{BaseURL: "https://schedule.example.com/?a=b", APIKey: key}, "without query"},
		{"no key provider", scheduleapi.Options{BaseURL: "https://schedule.example.com"}, "APIKey is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scheduleapi.New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewHTTPClient error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestHTTPClientRejectsBadPeriodWithoutCalling(t *testing.T) {
	srv := &scripted{t: t, responses: []responder{body(200, doc)}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c, err := scheduleapi.New(scheduleapi.Options{BaseURL: ts.URL, APIKey: func(context.Context) (string, error) { return "k", nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Fetch(context.Background(), "../admin")
	if err == nil || !failure.IsPermanent(err) || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Fatalf("Fetch(../admin) error = %v, want a permanent period error", err)
	}
	if srv.calls.Load() != 0 {
		t.Fatalf("server called %d times for an invalid period", srv.calls.Load())
	}
}
