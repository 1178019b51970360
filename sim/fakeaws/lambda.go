package fakeaws

import (
	"encoding/json"
	"maps"
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

// EventSourceMapping is what GetEventSourceMapping reports.
type EventSourceMapping struct {
	UUID                  string
	State                 string // "Enabled", "Disabled", ...
	BatchSize             int
	ParallelizationFactor int // 0 leaves it out (SQS)
	FunctionResponseTypes []string
}

// PutEventSourceMapping creates or replaces a mapping.
func (s *Server) PutEventSourceMapping(m EventSourceMapping) {
	s.mu.Lock()
	s.mappings[m.UUID] = m
	s.mu.Unlock()
}

// EventSourceMappingByUUID returns a mapping, to change it and put it back.
func (s *Server) EventSourceMappingByUUID(uuid string) EventSourceMapping {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mappings[uuid]
}

// Function is what GetFunctionConfiguration reports.
type Function struct {
	Name        string
	Environment map[string]string
}

// PutFunction creates or replaces a function's configuration.
func (s *Server) PutFunction(f Function) {
	s.mu.Lock()
	s.functions[f.Name] = f
	s.mu.Unlock()
}

// FunctionByName returns a function's configuration, to change it and put
// it back.
func (s *Server) FunctionByName(name string) Function {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.functions[name]
	f.Environment = maps.Clone(f.Environment)
	return f
}

var (
	functionConcurrencyPath   = regexp.MustCompile(`^/2019-09-30/functions/([^/]+)/concurrency$`)
	eventSourceMappingPath    = regexp.MustCompile(`^/2015-03-31/event-source-mappings/([^/]+)$`)
	functionConfigurationPath = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/configuration$`)
)

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
	case r.Method == http.MethodGet && eventSourceMappingPath.MatchString(r.URL.Path):
		s.requests = append(s.requests, Request{Service: "lambda", Operation: "GetEventSourceMapping"})
		m, ok := s.mappings[eventSourceMappingPath.FindStringSubmatch(r.URL.Path)[1]]
		if !ok {
			restError(w, errorf(http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist."))
			return
		}
		mapping := map[string]any{"UUID": m.UUID, "State": m.State, "BatchSize": m.BatchSize, "FunctionResponseTypes": m.FunctionResponseTypes}
		if m.ParallelizationFactor != 0 {
			mapping["ParallelizationFactor"] = m.ParallelizationFactor
		}
		out = mapping
	case r.Method == http.MethodGet && functionConfigurationPath.MatchString(r.URL.Path):
		s.requests = append(s.requests, Request{Service: "lambda", Operation: "GetFunctionConfiguration"})
		name := functionConfigurationPath.FindStringSubmatch(r.URL.Path)[1]
		f, ok := s.functions[name]
		if !ok {
			restError(w, errorf(http.StatusNotFound, "ResourceNotFoundException", "Function not found: %s", name))
			return
		}
		out = map[string]any{"FunctionName": f.Name, "Environment": map[string]any{"Variables": f.Environment}}
	default:
		s.requests = append(s.requests, Request{Service: "lambda", Operation: r.Method + " " + r.URL.Path})
		restError(w, unknownOperation("lambda", r.Method+" "+r.URL.Path))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
