package fakeaws

import "strings"

// Attribute is a message attribute as SendMessage carries it.
type Attribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue"`
}

// SentMessage is one SendMessage call, as received.
type SentMessage struct {
	QueueURL          string
	MessageBody       string
	MessageGroupID    string
	MessageAttributes map[string]Attribute
}

// Sent returns every message sent so far, in order, whatever became of it.
func (s *Server) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.sent...)
}

// FailNextSQS makes the next n SQS calls answer 500 InternalError.
func (s *Server) FailNextSQS(n int) {
	s.mu.Lock()
	s.failSQS = n
	s.mu.Unlock()
}

// queueName is the last path segment of a queue URL, the queue's name.
func queueName(queueURL string) string {
	return queueURL[strings.LastIndex(queueURL, "/")+1:]
}
