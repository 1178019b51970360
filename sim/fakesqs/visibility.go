package fakesqs

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

// VisibilityChange is one requested change, as received.
type VisibilityChange struct {
	QueueURL          string
	ReceiptHandle     string
	VisibilityTimeout int // seconds
	// Err is why the change failed ("" when it succeeded).
	Err string
}

// Attach makes changes of queueName's messages apply to q.
func (s *Server) Attach(queueName string, q VisibilityQueue) {
	s.mu.Lock()
	s.queues[queueName] = q
	s.mu.Unlock()
}

// VisibilityChanges returns a copy of the changes requested so far, in
// order, batch entries one by one.
func (s *Server) VisibilityChanges() []VisibilityChange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]VisibilityChange(nil), s.visibility...)
}

// change validates and applies one change and records it. It returns the
// SQS error code and message of a refused change.
func (s *Server) change(queueURL, receipt string, timeout *int) (code string, err error) {
	switch {
	case receipt == "":
		code, err = "MissingParameter", errors.New("ReceiptHandle is required")
	case timeout == nil:
		code, err = "MissingParameter", errors.New("VisibilityTimeout is required")
	case *timeout < 0 || *timeout > MaxVisibilityTimeoutSeconds:
		code, err = "InvalidParameterValue", fmt.Errorf("VisibilityTimeout %d: want 0 to %d", *timeout, MaxVisibilityTimeoutSeconds)
	}
	s.mu.Lock()
	q := s.queues[queueName(queueURL)]
	s.mu.Unlock()
	if err == nil && q != nil {
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
	s.mu.Lock()
	s.visibility = append(s.visibility, rec)
	s.mu.Unlock()
	return code, err
}

func (s *Server) changeMessageVisibility(w http.ResponseWriter, r *http.Request) {
	var in struct {
		QueueURL          string `json:"QueueUrl"`
		ReceiptHandle     string `json:"ReceiptHandle"`
		VisibilityTimeout *int   `json:"VisibilityTimeout"`
	}
	if !decode(w, r, &in) {
		return
	}
	if code, err := s.change(in.QueueURL, in.ReceiptHandle, in.VisibilityTimeout); err != nil {
		writeError(w, http.StatusBadRequest, code, err.Error())
		return
	}
	writeJSON(w, struct{}{})
}

type batchResultError struct {
	ID          string `json:"Id"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
	SenderFault bool   `json:"SenderFault"`
}

type batchResultEntry struct {
	ID string `json:"Id"`
}

func (s *Server) changeMessageVisibilityBatch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		QueueURL string `json:"QueueUrl"`
		Entries  []struct {
			ID                string `json:"Id"`
			ReceiptHandle     string `json:"ReceiptHandle"`
			VisibilityTimeout *int   `json:"VisibilityTimeout"`
		} `json:"Entries"`
	}
	if !decode(w, r, &in) {
		return
	}
	switch n := len(in.Entries); {
	case n == 0:
		writeError(w, http.StatusBadRequest, "EmptyBatchRequest", "the batch request has no entries")
		return
	case n > maxBatchEntries:
		writeError(w, http.StatusBadRequest, "TooManyEntriesInBatchRequest", fmt.Sprintf("%d entries: at most %d", n, maxBatchEntries))
		return
	}
	ids := map[string]bool{}
	for _, e := range in.Entries {
		if ids[e.ID] {
			writeError(w, http.StatusBadRequest, "BatchEntryIdsNotDistinct", fmt.Sprintf("entry id %q appears twice", e.ID))
			return
		}
		ids[e.ID] = true
	}
	out := struct {
		Successful []batchResultEntry `json:"Successful"`
		Failed     []batchResultError `json:"Failed"`
	}{Successful: []batchResultEntry{}, Failed: []batchResultError{}}
	for _, e := range in.Entries {
		if code, err := s.change(in.QueueURL, e.ReceiptHandle, e.VisibilityTimeout); err != nil {
			out.Failed = append(out.Failed, batchResultError{ID: e.ID, Code: code, Message: err.Error(), SenderFault: true})
			continue
		}
		out.Successful = append(out.Successful, batchResultEntry{ID: e.ID})
	}
	writeJSON(w, out)
}
