package fakeaws

import (
	"fmt"
	"net/http"
	"strconv"
)

// Message is one message in a queue.
type Message struct {
	ID   string
	Body string
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

// sqs models a queue whose messages are all visible: ReceiveMessage returns
// the first MaxNumberOfMessages and, like VisibilityTimeout 0, leaves them
// in place; DeleteMessage is not modelled yet.
func (s *Server) sqs(op string, body []byte) (any, *apiError) {
	var in struct {
		QueueUrl            string
		MaxNumberOfMessages int
		MessageBody         string
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
		n := min(max(in.MaxNumberOfMessages, 1), 10, len(msgs))
		out := make([]map[string]any, n)
		for i, m := range msgs[:n] {
			out[i] = map[string]any{"MessageId": m.ID, "ReceiptHandle": "rh-" + m.ID, "Body": m.Body}
		}
		return map[string]any{"Messages": out}, nil
	case "SendMessage":
		m := Message{ID: fmt.Sprintf("msg-%d", s.nextID()), Body: in.MessageBody}
		s.queues[in.QueueUrl] = append(msgs, m)
		return map[string]any{"MessageId": m.ID}, nil
	}
	return nil, unknownOperation("sqs", op)
}
