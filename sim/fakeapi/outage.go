package fakeapi

import (
	"net/http"
	"strings"
)

// Outage wraps a handler so that every request for one period is answered
// 503. The seeded fault injection picks requests at random; an outage makes
// exactly the records of one partition fail transiently, which tests of the
// partial batch response need.
func Outage(next http.Handler, period string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/schedules/"+period) {
			http.Error(w, `{"error":"maintenance"}`, http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}
