package fakeaws

import (
	"net/http"
	"strings"
)

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

// DenyKMSDecrypt makes the fake an account whose queues and buckets are
// encrypted with key, which the caller may not decrypt with: every SQS
// ReceiveMessage and S3 GetObject is refused as AWS refuses them. "" lifts it.
func (s *Server) DenyKMSDecrypt(key string) {
	s.mu.Lock()
	s.kmsDenied = key
	s.mu.Unlock()
}

// kmsDecryptDenied is AWS's refusal of a read that needs kms:Decrypt on
// key, as SQS words it.
func (s *Server) kmsDecryptDenied(key string) *apiError {
	return errorf(http.StatusBadRequest, "KMS.AccessDeniedException",
		"User: %s is not authorized to perform: kms:Decrypt on resource: %s because no identity-based policy allows the kms:Decrypt action", s.caller.Arn, key)
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
