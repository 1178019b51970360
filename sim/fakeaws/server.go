// Package fakeaws is a loopback fake of the AWS APIs orderly's deploy tools
// call, for offline tests: one httptest server that every SDK client reaches
// through its BaseEndpoint (or AWS_ENDPOINT_URL). It dispatches on the
// protocol each service speaks: the X-Amz-Target header for the JSON
// protocols (SQS, Secrets Manager, Service Quotas, CloudWatch Logs,
// EventBridge, Kinesis, KMS), the form's Action for the query protocols (STS,
// CloudFormation), and the path for REST JSON (Lambda, Pipes) and REST XML
// (S3, path-style). The service is the
// signing name in the SigV4 Authorization header.
//
// State is scriptable through the Set/Put/Add methods and read back through
// the getters; every request is recorded, so a test can also assert that
// nothing was called. One file per service: add an operation by adding a
// case to that service's handler.
package fakeaws

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
)

// Request is one call the fake received.
type Request struct {
	Service   string // SigV4 signing name: "sts", "cloudformation", "sqs", ...
	Operation string // API operation, e.g. "GetCallerIdentity"
}

// Server is the fake. Its zero state is an account with nothing in it.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []Request
	seq      int

	caller         Caller
	stacks         map[string]Stack
	secrets        map[string]Secret
	lambda         LambdaAccount
	reserved       map[string]int
	quotas         map[string]float64
	kinesis        KinesisLimits
	streams        map[string]int
	streamModes    map[string]StreamMode
	ruleTargets    map[string][]RuleTarget
	queueAttrs     map[string]map[string]string
	mappings       map[string]EventSourceMapping
	functions      map[string]Function
	pipes          map[string]Pipe
	buses          map[string][]string
	onPutEvents    func(PutEvent) PutEventResult
	afterPutEvents func([]PutEvent)
	events         []PutEvent
	logs           map[string][]LogEvent
	queues         map[string][]Message
	sent           []SentMessage
	attached       map[string]VisibilityQueue
	visibility     []VisibilityChange
	failSQS        int
	buckets        map[string]map[string]Object
	kmsKeys        map[string]KMSKey
	kmsDenied      string
}

// New starts a fake on a loopback port; Close stops it.
func New() *Server {
	s := NewUnstarted()
	s.srv = httptest.NewServer(s)
	return s
}

// NewUnstarted returns a fake that serves nothing until the caller serves
// it as an http.Handler itself; URL is then empty and Close does nothing.
func NewUnstarted() *Server {
	return &Server{
		stacks:   map[string]Stack{},
		secrets:  map[string]Secret{},
		reserved: map[string]int{},
		quotas:   map[string]float64{},
		streams:  map[string]int{},
		// What the drift check reads (drift.go).
		streamModes: map[string]StreamMode{},
		ruleTargets: map[string][]RuleTarget{},
		queueAttrs:  map[string]map[string]string{},
		mappings:    map[string]EventSourceMapping{},
		functions:   map[string]Function{},
		pipes:       map[string]Pipe{},
		buses:       map[string][]string{},
		logs:        map[string][]LogEvent{},
		queues:      map[string][]Message{},
		attached:    map[string]VisibilityQueue{},
		buckets:     map[string]map[string]Object{},
		kmsKeys:     map[string]KMSKey{},
		caller:      Caller{Account: "111122223333", Arn: "arn:aws:iam::111122223333:user/deployer", UserID: "AIDAEXAMPLE"},
	}
}

// URL is the endpoint to give the SDK clients.
func (s *Server) URL() string {
	if s.srv == nil {
		return ""
	}
	return s.srv.URL
}

// Close stops the server.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// ServeHTTP answers one AWS API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r) }

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

var signingName = regexp.MustCompile(`Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	service := ""
	if m := signingName.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		service = m[1]
	}
	switch service {
	case "sts":
		s.serveQuery(w, r, service, s.sts)
	case "cloudformation":
		s.serveQuery(w, r, service, s.cloudFormation)
	case "lambda":
		s.serveLambda(w, r)
	case "sqs":
		s.serveJSON(w, r, service, s.sqs)
	case "secretsmanager":
		s.serveJSON(w, r, service, s.secretsManager)
	case "servicequotas":
		s.serveJSON(w, r, service, s.serviceQuotas)
	case "kinesis":
		s.serveJSON(w, r, service, s.kinesisAPI)
	case "events":
		s.serveJSON(w, r, service, s.eventBridge)
	case "logs":
		s.serveJSON(w, r, service, s.cloudWatchLogs)
	case "kms":
		s.serveJSON(w, r, service, s.kms)
	case "pipes":
		s.servePipes(w, r)
	case "s3":
		s.serveS3(w, r)
	default:
		s.record(service, r.Method+" "+r.URL.Path)
		http.Error(w, "fakeaws: unsigned request or unknown service "+service, http.StatusBadRequest)
	}
}

func (s *Server) record(service, op string) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Service: service, Operation: op})
	s.mu.Unlock()
}

// nextID returns a fresh id for generated resources and events.
func (s *Server) nextID() int {
	s.seq++
	return s.seq
}
