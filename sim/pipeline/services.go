package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/orderly-dev/orderly/sim/fakeapi"
	"github.com/orderly-dev/orderly/sim/fakeaws"
)

// loopbackServer serves h on a free 127.0.0.1 port until Close.
type loopbackServer struct {
	URL string
	srv *http.Server
	ln  net.Listener
}

func serveLoopback(h http.Handler) (*loopbackServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	s := &loopbackServer{URL: "http://" + ln.Addr().String(), ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *loopbackServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return s.srv.Close()
	}
	return err
}

// scheduleAPI is the fake third-party API with a recorder of when each
// event took effect: the fake keeps the history of writes but no times.
type scheduleAPI struct {
	*fakeapi.Server
	http *loopbackServer

	mu        sync.Mutex
	appliedAt map[string]time.Time
	// onWrite, when set, runs after a write took effect and before the
	// client gets the answer.
	onWrite func(remoteAddr string)
}

func (a *scheduleAPI) setOnWrite(f func(remoteAddr string)) {
	a.mu.Lock()
	a.onWrite = f
	a.mu.Unlock()
}

// Port is the API's loopback port.
func (a *scheduleAPI) Port() int { return a.http.ln.Addr().(*net.TCPAddr).Port }

func startScheduleAPI(apiKey string, faults fakeapi.Faults) (*scheduleAPI, error) {
	srv, err := fakeapi.New(fakeapi.Options{APIKey: apiKey, Faults: faults})
	if err != nil {
		return nil, err
	}
	api := &scheduleAPI{Server: srv, appliedAt: map[string]time.Time{}}
	if api.http, err = serveLoopback(api); err != nil {
		return nil, err
	}
	return api, nil
}

func (a *scheduleAPI) URL() string { return a.http.URL }

func (a *scheduleAPI) Close() error {
	// Release hanging fault requests first, or Shutdown would wait for them.
	a.Server.Close()
	return a.http.Close()
}

// ServeHTTP passes requests to the fake and, for every accepted PUT, notes
// the time at which the events of that write took effect.
func (a *scheduleAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut || !strings.HasPrefix(r.URL.Path, "/schedules/") {
		a.Server.ServeHTTP(w, r)
		return
	}
	rec := &capture{ResponseWriter: w}
	a.Server.ServeHTTP(rec, r)
	now := time.Now()
	if rec.status != http.StatusOK {
		return
	}
	var resp struct {
		Version int64 `json:"version"`
	}
	if json.Unmarshal(rec.body.Bytes(), &resp) != nil {
		return
	}
	period := strings.TrimPrefix(r.URL.Path, "/schedules/")
	for _, write := range a.History(period) {
		if write.Revision != resp.Version {
			continue
		}
		a.mu.Lock()
		for _, id := range write.Applied {
			if _, seen := a.appliedAt[id]; !seen {
				a.appliedAt[id] = now
			}
		}
		a.mu.Unlock()
	}
	a.mu.Lock()
	onWrite := a.onWrite
	a.mu.Unlock()
	if onWrite != nil {
		// The answer is still buffered: whatever onWrite does happens after
		// the write took effect and before the consumer learns it did.
		onWrite(r.RemoteAddr)
	}
}

// AppliedAt returns when each event first took effect.
func (a *scheduleAPI) AppliedAt() map[string]time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]time.Time, len(a.appliedAt))
	for k, v := range a.appliedAt {
		out[k] = v
	}
	return out
}

// Applied counts events that took effect so far.
func (a *scheduleAPI) Applied() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.appliedAt)
}

type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(status int) {
	c.status = status
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

// sqsEndpoint is the loopback SQS endpoint (AWS_ENDPOINT_URL_SQS) behind
// every SQS call of the function: SendMessage to the poison queue, and the
// retry backoff's ChangeMessageVisibilityBatch, which reaches the SQS FIFO
// model once it is attached.
type sqsEndpoint struct {
	*fakeaws.Server
	http *loopbackServer
}

func startSQSEndpoint() (*sqsEndpoint, error) {
	q := &sqsEndpoint{Server: fakeaws.NewUnstarted()}
	var err error
	if q.http, err = serveLoopback(q.Server); err != nil {
		return nil, err
	}
	q.AddQueue(q.PoisonQueueURL())
	q.AddQueue(q.IsolatedQueueURL())
	return q, nil
}

// Endpoint is the value for AWS_ENDPOINT_URL_SQS.
func (q *sqsEndpoint) Endpoint() string { return q.http.URL }

// PoisonQueueURL is the value for POISON_QUEUE_URL.
func (q *sqsEndpoint) PoisonQueueURL() string {
	return q.http.URL + "/000000000000/orderly-local-poison"
}

// IsolatedQueueURL is the value for ISOLATED_QUEUE_URL: the standard queue
// that keeps the records the consumer took out of line.
func (q *sqsEndpoint) IsolatedQueueURL() string {
	return q.http.URL + "/000000000000/orderly-local-isolated"
}

// poisonCount is how many messages the consumer sent to the poison queue.
func (q *sqsEndpoint) poisonCount() int { return len(queueBodies(q, q.PoisonQueueURL())) }

func (q *sqsEndpoint) Close() error { return q.http.Close() }
