// Package fakesqs is an in-memory SQS endpoint that understands just enough
// of the AWS JSON 1.0 protocol for SendMessage, for tests of the poison
// sink and of the built bootstrap. It returns the body MD5 the SDK checks.
package fakesqs

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
)

// Attribute is a received message attribute.
type Attribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue"`
}

// Message is one received SendMessage call.
type Message struct {
	QueueURL          string               `json:"QueueUrl"`
	MessageBody       string               `json:"MessageBody"`
	MessageGroupID    string               `json:"MessageGroupId"`
	MessageAttributes map[string]Attribute `json:"MessageAttributes"`
}

// Server records messages. Use it as an http.Handler (httptest.NewServer).
type Server struct {
	mu       sync.Mutex
	messages []Message
	failNext int
}

// New returns an empty server.
func New() *Server { return &Server{} }

// FailNext makes the next n SendMessage calls answer 500 InternalError.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

// Messages returns a copy of the messages received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// ServeHTTP implements the SendMessage operation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); target != "AmazonSQS.SendMessage" {
		writeError(w, http.StatusBadRequest, "com.amazonaws.sqs#UnsupportedOperation", fmt.Sprintf("fakesqs supports only AmazonSQS.SendMessage, got %q", target))
		return
	}
	var m Message
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		writeError(w, http.StatusBadRequest, "com.amazonaws.sqs#InvalidParameterValue", "body: "+err.Error())
		return
	}
	s.mu.Lock()
	if s.failNext > 0 {
		s.failNext--
		s.mu.Unlock()
		writeError(w, http.StatusInternalServerError, "com.amazonaws.sqs#InternalError", "injected failure")
		return
	}
	s.messages = append(s.messages, m)
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", len(s.messages))
	s.mu.Unlock()

	sum := md5.Sum([]byte(m.MessageBody))
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"MessageId":        id,
		"MD5OfMessageBody": hex.EncodeToString(sum[:]),
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", code[len("com.amazonaws.sqs#"):]+";Sender")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
