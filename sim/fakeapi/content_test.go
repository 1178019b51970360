package fakeapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/fakeapi"
)

func TestContentFaults(t *testing.T) {
	srv, err := fakeapi.New(fakeapi.Options{Content: fakeapi.ContentFaults{
		UnavailablePeriods: []string{"2026-12-02"},
		RejectEvents:       []string{"bad"},
		ThrottleFirst:      []string{"slow"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client := &http.Client{Transport: srv.Transport()}
	put := func(period string, events ...string) int {
		t.Helper()
		doc := schedule.Empty(period)
		for i, id := range events {
			doc.Entities[schedule.EntityKey{Type: schedule.Driver, ID: id}] = schedule.Entity{
				Attributes: json.RawMessage(`{}`), Stamp: schedule.Stamp{Version: int64(i + 1), Time: time.Unix(0, 0).UTC(), EventID: id}}
		}
		body, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPut, "http://fakeapi.invalid/schedules/"+period, strings.NewReader(string(body)))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	steps := []struct {
		name   string
		status func() int
		want   int
	}{
		{"a PUT introducing a rejected event", func() int { return put("2026-12-01", "ok", "bad") }, 400},
		{"nothing of it was stored", func() int { return len(srv.History("2026-12-01")) }, 0},
		{"the first PUT introducing a throttled event", func() int { return put("2026-12-01", "ok", "slow") }, 429},
		{"the second", func() int { return put("2026-12-01", "ok", "slow") }, 200},
		{"a PUT that keeps (does not introduce) the throttled event", func() int { return put("2026-12-01", "ok", "slow") }, 200},
		{"any request of an unavailable period", func() int { return put("2026-12-02", "ok") }, 503},
	}
	for _, s := range steps {
		if got := s.status(); got != s.want {
			t.Fatalf("%s: %d, want %d", s.name, got, s.want)
		}
	}
	if st := srv.Stats(); st.Faults.Rejections != 1 || st.Faults.Throttles != 1 || st.Faults.ServerErrors != 1 || st.BadRequests != 0 {
		t.Fatalf("stats %+v: want 1 rejection, 1 throttle, 1 server error, 0 bad requests", st)
	}
}
