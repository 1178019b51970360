package scheduleapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/orderly-dev/orderly/lambda/failure"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
)

// keyServer accepts only the keys in accepted and counts requests per key.
type keyServer struct {
	mu       sync.Mutex
	accepted map[string]bool
	seen     []string
}

func (s *keyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := r.Header.Get(scheduleapi.APIKeyHeader)
	s.seen = append(s.seen, key)
	if !s.accepted[key] {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusNotFound) // an empty period
}

func TestRejectedKeyIsRefreshedOnceAndRetried(t *testing.T) {
	tests := []struct {
		name        string
		accepted    []string
		refresh     func(current *string) (bool, error) // nil: no RefreshAPIKey
		wantErr     string                              // "" for success
		wantSeen    []string
		wantRefresh int
	}{
		{name: "rotated key is picked up and the call succeeds",
			accepted: []string{"new"},
			refresh:  func(current *string) (bool, error) { *current = "new"; return true, nil },
			wantSeen: []string{"old", "new"}, wantRefresh: 1},
		{name: "same key after refresh fails as transient",
			accepted: []string{"other"},
			refresh:  func(*string) (bool, error) { return false, nil },
			wantErr:  "still holds the same key", wantSeen: []string{"old"}, wantRefresh: 1},
		{name: "refresh error fails as transient",
			accepted: []string{"new"},
			refresh:  func(*string) (bool, error) { return false, errors.New("secrets manager unavailable") },
			wantErr:  "re-reading the API key failed", wantSeen: []string{"old"}, wantRefresh: 1},
		{name: "a new key that is refused too is not refreshed again",
			accepted: []string{"other"},
			refresh:  func(current *string) (bool, error) { *current = "new"; return true, nil },
			wantErr:  "HTTP 401", wantSeen: []string{"old", "new"}, wantRefresh: 1},
		{name: "without a refresher the refusal fails as transient",
			accepted: []string{"other"},
			wantErr:  "HTTP 401", wantSeen: []string{"old"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := &keyServer{accepted: map[string]bool{}}
			for _, k := range tc.accepted {
				srv.accepted[k] = true
			}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			current, refreshes := "old", 0
			opts := scheduleapi.Options{
				BaseURL: ts.URL,
				APIKey:  func(context.Context) (string, error) { return current, nil },
			}
			if tc.refresh != nil {
				opts.RefreshAPIKey = func(_ context.Context, refused string) (bool, error) {
					refreshes++
					if refused != current {
						t.Errorf("refresh got refused key %q, want the key the request carried (%q)", refused, current)
					}
					return tc.refresh(&current)
				}
			}
			c, err := scheduleapi.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Fetch(context.Background(), period)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Fetch: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Fetch error %v, want one mentioning %q", err, tc.wantErr)
			case err != nil && failure.IsPermanent(err):
				t.Fatalf("Fetch error %v is permanent: a refused key must never poison the event", err)
			}
			if strings.Join(srv.seen, ",") != strings.Join(tc.wantSeen, ",") {
				t.Errorf("server saw keys %q, want %q", srv.seen, tc.wantSeen)
			}
			if refreshes != tc.wantRefresh {
				t.Errorf("refreshed %d times, want %d", refreshes, tc.wantRefresh)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	l := scheduleapi.Limits{}.WithDefaults()
	if l != scheduleapi.DefaultLimits {
		t.Fatalf("zero limits with defaults = %+v, want %+v", l, scheduleapi.DefaultLimits)
	}
	if got, want := l.MinDeadlineMargin(), 2*l.RetryBudget+scheduleapi.ResponseAllowance; got != want {
		t.Errorf("MinDeadlineMargin = %s, want two retry budgets plus the response allowance (%s)", got, want)
	}
	if err := (scheduleapi.Limits{CallTimeout: 3e9, MaxAttempts: 1, RetryBudget: 2e9}).Validate(); err == nil {
		t.Error("a retry budget shorter than the call timeout was accepted")
	}
	if _, err := scheduleapi.New(scheduleapi.Options{BaseURL: "https://x.example.com", APIKey: func(context.Context) (string, error) { return "k", nil },
		Limits: scheduleapi.Limits{CallTimeout: 3e9, RetryBudget: 2e9}}); err == nil {
		t.Error("New accepted contradictory limits")
	}
}

// A redirect is never followed: Go would turn a redirected PUT into a GET
// that answers 200, and the push would report success with nothing
// written (and carry the key to the redirect's host).
func TestRedirectsAreNotFollowed(t *testing.T) {
	var gets, puts, moved int
	mux := http.NewServeMux()
	mux.HandleFunc("/old/", func(w http.ResponseWriter, r *http.Request) {
		moved++
		http.Redirect(w, r, "/new"+strings.TrimPrefix(r.URL.Path, "/old"), http.StatusMovedPermanently)
	})
	mux.HandleFunc("/new/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			puts++
		} else {
			gets++
		}
		w.WriteHeader(http.StatusNotFound)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	for _, custom := range []bool{false, true} {
		opts := scheduleapi.Options{BaseURL: ts.URL + "/old", APIKey: func(context.Context) (string, error) { return "k", nil },
			Limits: scheduleapi.Limits{MaxAttempts: 1}}
		if custom {
			opts.HTTP = &http.Client{} // a caller's client follows redirects by default
		}
		c, err := scheduleapi.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		s := schedule.Empty(period)
		schedule.Apply(&s, upsert(driver, 1, t0, "e1", `{"n":1}`))
		err = c.Push(context.Background(), s)
		if err == nil || !strings.Contains(err.Error(), "HTTP 301") || failure.IsPermanent(err) {
			t.Errorf("custom client %v: Push through a redirect = %v, want a transient error naming the 301", custom, err)
		}
		if gets+puts != 0 {
			t.Errorf("custom client %v: the redirect was followed (%d GETs, %d PUTs at its target)", custom, gets, puts)
		}
	}
	if moved != 2 {
		t.Errorf("the server saw %d requests, want one push per client", moved)
	}
}
