package fakeaws

import (
	"encoding/json"
	"net/http"
	"regexp"
)

// LambdaAccount is what GetAccountSettings reports.
type LambdaAccount struct {
	ConcurrentExecutions, UnreservedConcurrentExecutions int
}

// SetLambdaAccount sets the account's concurrency figures.
func (s *Server) SetLambdaAccount(a LambdaAccount) {
	s.mu.Lock()
	s.lambda = a
	s.mu.Unlock()
}

// SetReservedConcurrency records a deployed function's reservation.
func (s *Server) SetReservedConcurrency(function string, n int) {
	s.mu.Lock()
	s.reserved[function] = n
	s.mu.Unlock()
}

var functionConcurrencyPath = regexp.MustCompile(`^/2019-09-30/functions/([^/]+)/concurrency$`)

// serveLambda answers Lambda's REST JSON operations by path.
func (s *Server) serveLambda(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out any
	switch m := functionConcurrencyPath.FindStringSubmatch(r.URL.Path); {
	case r.Method == http.MethodGet && (r.URL.Path == "/2016-08-19/account-settings" || r.URL.Path == "/2016-08-19/account-settings/"):
		s.requests = append(s.requests, Request{Service: "lambda", Operation: "GetAccountSettings"})
		out = map[string]any{"AccountLimit": map[string]any{
			"ConcurrentExecutions":           s.lambda.ConcurrentExecutions,
			"UnreservedConcurrentExecutions": s.lambda.UnreservedConcurrentExecutions,
		}}
	case r.Method == http.MethodGet && m != nil:
		s.requests = append(s.requests, Request{Service: "lambda", Operation: "GetFunctionConcurrency"})
		if n, ok := s.reserved[m[1]]; ok {
			out = map[string]any{"ReservedConcurrentExecutions": n}
		} else {
			out = map[string]any{}
		}
	default:
		s.requests = append(s.requests, Request{Service: "lambda", Operation: r.Method + " " + r.URL.Path})
		restError(w, unknownOperation("lambda", r.Method+" "+r.URL.Path))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
