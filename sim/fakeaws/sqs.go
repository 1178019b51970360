package fakeaws

import (
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
// seconds (a VisibilityTimeout of 0 or none leaves them visible: the queue
// default is not modelled); DeleteMessage removes a message by the receipt
// handle a receive returned, and ChangeMessageVisibility hides or releases
// it. FIFO message groups are not modelled.
func (s *Server) sqs(op string, body []byte) (any, *apiError) {
	var in struct {
		QueueUrl            string
		MaxNumberOfMessages int
		VisibilityTimeout   int
		MessageBody         string
		ReceiptHandle       string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs, ok := s.queues[in.QueueUrl]
	if !ok {
		return nil, errorf(http.StatusBadRequest, "com.amazonaws.sqs#QueueDoesNotExist", "The specified queue does not exist.")
	}
	switch op {
	case "GetQueueAttributes":
		return map[string]any{"Attributes": map[string]string{
			"ApproximateNumberOfMessages":           strconv.Itoa(len(msgs)),
			"ApproximateNumberOfMessagesNotVisible": "0",
		}}, nil
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
			if in.VisibilityTimeout > 0 {
				msgs[i].invisibleUntil = now.Add(time.Duration(in.VisibilityTimeout) * time.Second)
			}
			out = append(out, map[string]any{"MessageId": m.ID, "ReceiptHandle": "rh-" + m.ID, "Body": m.Body})
		}
		return map[string]any{"Messages": out}, nil
	case "ChangeMessageVisibility":
		id := strings.TrimPrefix(in.ReceiptHandle, "rh-")
		for i, m := range msgs {
			if m.ID == id {
				msgs[i].invisibleUntil = time.Now().Add(time.Duration(in.VisibilityTimeout) * time.Second)
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
		return map[string]any{"MessageId": m.ID}, nil
	}
	return nil, unknownOperation("sqs", op)
}
