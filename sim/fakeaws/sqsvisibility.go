package fakeaws

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// MaxVisibilityTimeoutSeconds is the longest visibility timeout SQS accepts.
const MaxVisibilityTimeoutSeconds = 43200

// maxBatchEntries is the most entries of one batch request.
const maxBatchEntries = 10

// VisibilityQueue is a queue model whose in-flight messages can change
// visibility; *sqsfifo.Queue implements it. ChangeVisibility fails for a
// receipt handle that is not the current one of an in-flight message.
type VisibilityQueue interface {
	ChangeVisibility(receiptHandle string, timeout time.Duration) error
}

// AcceptVisibility accepts every change: attach it for a consumer test
// whose messages come from a hand-made event rather than from a queue.
var AcceptVisibility VisibilityQueue = acceptAll{}

type acceptAll struct{}

func (acceptAll) ChangeVisibility(string, time.Duration) error { return nil }

// VisibilityChange is one requested change of an attached queue, as
// received.
type VisibilityChange struct {
	QueueURL          string
	ReceiptHandle     string
	VisibilityTimeout int // seconds
	// Err is why the change failed ("" when it succeeded).
	Err string
}

// Attach makes the visibility changes of queueName's messages (the last
// segment of its URL) apply to q, which holds that queue's messages.
func (s *Server) Attach(queueName string, q VisibilityQueue) {
	s.mu.Lock()
	s.attached[queueName] = q
	s.mu.Unlock()
}

// VisibilityChanges returns a copy of the changes requested of attached
// queues so far, in order, batch entries one by one.
func (s *Server) VisibilityChanges() []VisibilityChange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]VisibilityChange(nil), s.visibility...)
}

// changeVisibility validates and applies one change and records it; s.mu
// is held.
func (s *Server) changeVisibility(q VisibilityQueue, queueURL, receipt string, timeout *int) *apiError {
	var code string
	var err error
	switch {
	case receipt == "":
		code, err = "MissingParameter", errors.New("ReceiptHandle is required")
	case timeout == nil:
		code, err = "MissingParameter", errors.New("VisibilityTimeout is required")
	case *timeout < 0 || *timeout > MaxVisibilityTimeoutSeconds:
		code, err = "InvalidParameterValue", fmt.Errorf("VisibilityTimeout %d: want 0 to %d", *timeout, MaxVisibilityTimeoutSeconds)
	default:
		if err = q.ChangeVisibility(receipt, time.Duration(*timeout)*time.Second); err != nil {
			code = "ReceiptHandleIsInvalid"
		}
	}
	rec := VisibilityChange{QueueURL: queueURL, ReceiptHandle: receipt}
	if timeout != nil {
		rec.VisibilityTimeout = *timeout
	}
	if err != nil {
		rec.Err = err.Error()
	}
	s.visibility = append(s.visibility, rec)
	if err != nil {
		return errorf(http.StatusBadRequest, "com.amazonaws.sqs#"+code, "%v", err)
	}
	return nil
}

func (s *Server) changeVisibilityBatch(q VisibilityQueue, queueURL string, body []byte) (any, *apiError) {
	var in struct {
		Entries []struct {
			Id                string
			ReceiptHandle     string
			VisibilityTimeout *int
		}
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	switch n := len(in.Entries); {
	case n == 0:
		return nil, errorf(http.StatusBadRequest, "com.amazonaws.sqs#EmptyBatchRequest", "the batch request has no entries")
	case n > maxBatchEntries:
		return nil, errorf(http.StatusBadRequest, "com.amazonaws.sqs#TooManyEntriesInBatchRequest", "%d entries: at most %d", n, maxBatchEntries)
	}
	ids := map[string]bool{}
	for _, e := range in.Entries {
		if ids[e.Id] {
			return nil, errorf(http.StatusBadRequest, "com.amazonaws.sqs#BatchEntryIdsNotDistinct", "entry id %q appears twice", e.Id)
		}
		ids[e.Id] = true
	}
	successful, failed := []map[string]any{}, []map[string]any{}
	for _, e := range in.Entries {
		if err := s.changeVisibility(q, queueURL, e.ReceiptHandle, e.VisibilityTimeout); err != nil {
			code := err.Code[len("com.amazonaws.sqs#"):]
			failed = append(failed, map[string]any{"Id": e.Id, "Code": code, "Message": err.Message, "SenderFault": true})
			continue
		}
		successful = append(successful, map[string]any{"Id": e.Id})
	}
	return map[string]any{"Successful": successful, "Failed": failed}, nil
}
