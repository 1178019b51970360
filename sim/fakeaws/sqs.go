package fakeaws

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Message is one message in a queue.
type Message struct {
	ID   string
	Body string
	// invisibleUntil hides a received message, as its visibility timeout does.
	invisibleUntil time.Time
}

// AddQueue creates a queue (empty unless messages are given). SQS names a
// queue by its URL; any string works here.
func (s *Server) AddQueue(url string, bodies ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.queues[url]; !ok {
		s.queues[url] = []Message{}
	}
	for _, b := range bodies {
		s.queues[url] = append(s.queues[url], Message{ID: fmt.Sprintf("msg-%d", s.nextID()), Body: b})
	}
}

// SetQueueAttributes sets attributes GetQueueAttributes reports besides the
// message counts (FifoQueue, VisibilityTimeout, RedrivePolicy, ...); the
// queue must exist.
func (s *Server) SetQueueAttributes(url string, attrs map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queueAttrs[url] == nil {
		s.queueAttrs[url] = map[string]string{}
	}
	for k, v := range attrs {
		s.queueAttrs[url][k] = v
	}
}

// DefaultVisibilityTimeout is what a receive hides a message for when it
// names no VisibilityTimeout: SQS's default for a new queue.
const DefaultVisibilityTimeout = 30 * time.Second

// VisibleMessages counts the messages of a queue a receive would return now.
func (s *Server) VisibleMessages(url string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.queues[url] {
		if !time.Now().Before(m.invisibleUntil) {
			n++
		}
	}
	return n
}

// QueueMessages returns the messages a queue holds.
func (s *Server) QueueMessages(url string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.queues[url]...)
}

// ExpireVisibility makes every received message visible again at once, as
// if the visibility timeouts had passed: what a consumer that died holding
// messages leaves behind.
func (s *Server) ExpireVisibility() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for url, msgs := range s.queues {
		for i := range msgs {
			s.queues[url][i].invisibleUntil = time.Time{}
		}
	}
}

// sqs models a standard queue: ReceiveMessage returns the first
// MaxNumberOfMessages visible messages and hides them for VisibilityTimeout
// seconds, or DefaultVisibilityTimeout when the request names none (the SDK
// leaves out a VisibilityTimeout of 0); DeleteMessage removes a message by
// the receipt handle a receive returned, and ChangeMessageVisibility hides
// or releases it. FIFO message groups are not modelled here: a queue
// attached with Attach (the SQS FIFO model of sim/sqsfifo) takes the
// visibility changes of its messages instead.
func (s *Server) sqs(op string, body []byte) (any, *apiError) {
	var in struct {
		QueueUrl            string
		MaxNumberOfMessages int
		VisibilityTimeout   *int
		MessageBody         string
		MessageGroupId      string
		MessageAttributes   map[string]Attribute
		ReceiptHandle       string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSQS > 0 {
		s.failSQS--
		return nil, errorf(http.StatusInternalServerError, "com.amazonaws.sqs#InternalError", "injected failure")
	}
	if s.kmsDenied != "" && op == "ReceiveMessage" {
		return nil, s.kmsDecryptDenied(s.kmsDenied)
	}
	if q, ok := s.attached[queueName(in.QueueUrl)]; ok {
		switch op {
		case "ChangeMessageVisibility":
			if err := s.changeVisibility(q, in.QueueUrl, in.ReceiptHandle, in.VisibilityTimeout); err != nil {
				return nil, err
			}
			return map[string]any{}, nil
		case "ChangeMessageVisibilityBatch":
			return s.changeVisibilityBatch(q, in.QueueUrl, body)
		}
		return nil, unknownOperation("sqs (attached queue)", op)
	}
	msgs, ok := s.queues[in.QueueUrl]
	if !ok {
		return nil, errorf(http.StatusBadRequest, "com.amazonaws.sqs#QueueDoesNotExist", "The specified queue does not exist.")
	}
	switch op {
	case "GetQueueAttributes":
		attrs := map[string]string{
			"ApproximateNumberOfMessages":           strconv.Itoa(len(msgs)),
			"ApproximateNumberOfMessagesNotVisible": "0",
		}
		for k, v := range s.queueAttrs[in.QueueUrl] {
			attrs[k] = v
		}
		return map[string]any{"Attributes": attrs}, nil
	case "ReceiveMessage":
		now := time.Now()
		out := []map[string]any{}
		for i, m := range msgs {
			if len(out) == min(max(in.MaxNumberOfMessages, 1), 10) {
				break
			}
			if now.Before(m.invisibleUntil) {
				continue
			}
			hide := DefaultVisibilityTimeout
			if in.VisibilityTimeout != nil {
				hide = time.Duration(*in.VisibilityTimeout) * time.Second
			}
			msgs[i].invisibleUntil = now.Add(hide)
			out = append(out, map[string]any{"MessageId": m.ID, "ReceiptHandle": "rh-" + m.ID, "Body": m.Body})
		}
		return map[string]any{"Messages": out}, nil
	case "ChangeMessageVisibility":
		id := strings.TrimPrefix(in.ReceiptHandle, "rh-")
		for i, m := range msgs {
			if m.ID == id {
				var seconds int
				if in.VisibilityTimeout != nil {
					seconds = *in.VisibilityTimeout
				}
				msgs[i].invisibleUntil = time.Now().Add(time.Duration(seconds) * time.Second)
				return map[string]any{}, nil
			}
		}
		return nil, errorf(http.StatusBadRequest, "com.amazonaws.sqs#ReceiptHandleIsInvalid", "The input receipt handle %q is not a valid receipt handle.", in.ReceiptHandle)
	case "DeleteMessage":
		id := strings.TrimPrefix(in.ReceiptHandle, "rh-")
		for i, m := range msgs {
			if m.ID == id {
				s.queues[in.QueueUrl] = append(msgs[:i:i], msgs[i+1:]...)
				return map[string]any{}, nil
			}
		}
		return nil, errorf(http.StatusBadRequest, "com.amazonaws.sqs#ReceiptHandleIsInvalid", "The input receipt handle %q is not a valid receipt handle.", in.ReceiptHandle)
	case "SendMessage":
		m := Message{ID: fmt.Sprintf("msg-%d", s.nextID()), Body: in.MessageBody}
		s.queues[in.QueueUrl] = append(msgs, m)
		s.sent = append(s.sent, SentMessage{QueueURL: in.QueueUrl, MessageBody: in.MessageBody, MessageGroupID: in.MessageGroupId, MessageAttributes: in.MessageAttributes})
		sum := md5.Sum([]byte(in.MessageBody))
		return map[string]any{"MessageId": m.ID, "MD5OfMessageBody": hex.EncodeToString(sum[:])}, nil
	}
	return nil, unknownOperation("sqs", op)
}
