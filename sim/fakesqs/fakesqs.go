// Package fakesqs is an in-memory SQS endpoint that understands just enough
// of the AWS JSON 1.0 protocol for the consumer's calls, for tests of the
// poison sink and of the built bootstrap, and for the local pipeline:
//
//   - SendMessage is recorded (Messages), with the body MD5 the SDK checks.
//   - ChangeMessageVisibility and ChangeMessageVisibilityBatch are recorded
//     (VisibilityChanges) and, for a queue attached with Attach (the SQS
//     FIFO model of sim/sqsfifo), applied to it with its semantics: only an
//     in-flight message with a current receipt handle changes, other
//     entries fail. For a queue not attached every change succeeds.
//
// One server serves every queue; a request names its queue by QueueUrl,
// whose last path segment is the queue name.
package fakesqs

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
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

// Server records calls. Use it as an http.Handler (httptest.NewServer).
type Server struct {
	mu         sync.Mutex
	messages   []Message
	visibility []VisibilityChange
	queues     map[string]VisibilityQueue
	failNext   int
}

// New returns an empty server.
func New() *Server { return &Server{queues: map[string]VisibilityQueue{}} }

// FailNext makes the next n calls, of any operation, answer 500
// InternalError.
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

// ServeHTTP dispatches on the X-Amz-Target operation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := map[string]func(http.ResponseWriter, *http.Request){
		"AmazonSQS.SendMessage":                  s.sendMessage,
		"AmazonSQS.ChangeMessageVisibility":      s.changeMessageVisibility,
		"AmazonSQS.ChangeMessageVisibilityBatch": s.changeMessageVisibilityBatch,
	}[r.Header.Get("X-Amz-Target")]
	if !ok {
		writeError(w, http.StatusBadRequest, "UnsupportedOperation",
			fmt.Sprintf("fakesqs supports SendMessage, ChangeMessageVisibility and ChangeMessageVisibilityBatch, got %q", r.Header.Get("X-Amz-Target")))
		return
	}
	s.mu.Lock()
	fail := s.failNext > 0
	if fail {
		s.failNext--
	}
	s.mu.Unlock()
	if fail {
		writeError(w, http.StatusInternalServerError, "InternalError", "injected failure")
		return
	}
	op(w, r)
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	var m Message
	if !decode(w, r, &m) {
		return
	}
	s.mu.Lock()
	s.messages = append(s.messages, m)
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", len(s.messages))
	s.mu.Unlock()

	sum := md5.Sum([]byte(m.MessageBody))
	writeJSON(w, map[string]string{
		"MessageId":        id,
		"MD5OfMessageBody": hex.EncodeToString(sum[:]),
	})
}

func decode(w http.ResponseWriter, r *http.Request, into any) bool {
	if err := json.NewDecoder(r.Body).Decode(into); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidParameterValue", "body: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with an SQS error code (without its namespace), as
// the JSON protocol carries it.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", code+";Sender")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
}

// queueName is the last path segment of a queue URL.
func queueName(queueURL string) string {
	return queueURL[strings.LastIndex(queueURL, "/")+1:]
}
