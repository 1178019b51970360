package fakeaws

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Pipe is what DescribePipe reports of an EventBridge Pipe with an SQS
// target.
type Pipe struct {
	Name string
	// MessageGroupID and MessageDeduplicationID are the target's SQS
	// parameters (JSON paths into the source message).
	MessageGroupID, MessageDeduplicationID string
}

// PutPipe creates or replaces a pipe.
func (s *Server) PutPipe(p Pipe) {
	s.mu.Lock()
	s.pipes[p.Name] = p
	s.mu.Unlock()
}

// servePipes answers Pipes' REST JSON DescribePipe (GET /v1/pipes/{Name}).
func (s *Server) servePipes(w http.ResponseWriter, r *http.Request) {
	name, found := strings.CutPrefix(r.URL.Path, "/v1/pipes/")
	if r.Method != http.MethodGet || !found || name == "" || strings.Contains(name, "/") {
		s.record("pipes", r.Method+" "+r.URL.Path)
		restError(w, unknownOperation("pipes", r.Method+" "+r.URL.Path))
		return
	}
	s.record("pipes", "DescribePipe")
	s.mu.Lock()
	p, ok := s.pipes[name]
	arn := "arn:aws:pipes:eu-west-1:" + s.caller.Account + ":pipe/" + name
	s.mu.Unlock()
	if !ok {
		restError(w, errorf(http.StatusNotFound, "NotFoundException", "Pipe %s does not exist.", name))
		return
	}
	sqs := map[string]any{"MessageGroupId": p.MessageGroupID}
	if p.MessageDeduplicationID != "" {
		sqs["MessageDeduplicationId"] = p.MessageDeduplicationID
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"Name": p.Name, "Arn": arn,
		"CurrentState": "RUNNING", "DesiredState": "RUNNING",
		"TargetParameters": map[string]any{"SqsQueueParameters": sqs},
	})
}
