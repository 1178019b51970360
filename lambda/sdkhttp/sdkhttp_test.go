package sdkhttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TestSDKBodyAnswersWriteToWithEOFOnceClosed pins the SDK half of the race:
// the body smithy-go builds fails the final discard copy once the SDK has
// closed it, and the guarded body does not. If an SDK upgrade changes the
// first half, this package may no longer be needed.
func TestSDKBodyAnswersWriteToWithEOFOnceClosed(t *testing.T) {
	built := sdkRequest(t, "Action=ReceiveMessage")

	var sent *http.Request
	_, err := Guard(doerFunc(func(r *http.Request) (*http.Response, error) {
		sent = r
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
	})).Do(built)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sent.Body.(io.WriterTo); ok {
		t.Fatalf("guarded request body %T exposes WriteTo", sent.Body)
	}
	if n, err := io.Copy(io.Discard, sent.Body); err != nil || n != int64(len("Action=ReceiveMessage")) {
		t.Fatalf("reading the guarded body = %d, %v; want the whole body", n, err)
	}

	// What the SDK does when the response headers arrive.
	if err := built.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, sent.Body); err != nil {
		t.Errorf("discard copy of the closed, guarded body = %v, want nil (net/http would close the connection)", err)
	}

	unguarded := sdkRequest(t, "Action=ReceiveMessage")
	if _, ok := unguarded.Body.(io.WriterTo); !ok {
		t.Fatalf("the SDK's request body %T no longer exposes WriteTo: check whether Guard is still needed", unguarded.Body)
	}
	_ = unguarded.Body.Close()
	if _, err := io.Copy(io.Discard, unguarded.Body); !errors.Is(err, io.EOF) {
		t.Errorf("discard copy of the SDK's closed body = %v, want io.EOF (the race this package guards against)", err)
	}
}

// TestRequestWriteSurvivesBodyClosedBeforeTheDiscard forces the order the
// flaky runs hit: the response arrives and the caller closes the request
// body before net/http's writer has finished its final discard copy.
// Unguarded, net/http reports a write error and drops the connection;
// guarded, the write ends cleanly.
func TestRequestWriteSurvivesBodyClosedBeforeTheDiscard(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"Messages":[]}`)
	}))
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		name    string
		client  Doer
		wantErr error
	}{
		{"unguarded", srv.Client(), io.EOF},
		{"guarded", Guard(srv.Client()), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			wrote := make(chan error, 1)
			ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
				WroteRequest: func(info httptrace.WroteRequestInfo) { wrote <- info.Err },
			})
			body := newClosingBody("Action=ReceiveMessage")
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, body)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = int64(body.Len())

			resp, err := tc.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			_ = req.Body.Close() // as smithy-go does once the headers are in

			select {
			case err := <-wrote:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("request write ended with %v, want %v", err, tc.wantErr)
				}
			case <-ctx.Done():
				t.Fatal("the request write never ended")
			}
			if tc.wantErr == nil {
				got, err := io.ReadAll(resp.Body)
				if err != nil || !strings.Contains(string(got), "Messages") {
					t.Fatalf("response body = %q, %v", got, err)
				}
			}
		})
	}
}

// closingBody behaves like smithy-go's body: WriteTo answers io.EOF once
// closed. WriteTo waits for Close, so the discard copy always comes after it.
type closingBody struct {
	*bytes.Reader
	once   sync.Once
	closed chan struct{}
}

func newClosingBody(s string) *closingBody {
	return &closingBody{Reader: bytes.NewReader([]byte(s)), closed: make(chan struct{})}
}

func (b *closingBody) WriteTo(w io.Writer) (int64, error) {
	<-b.closed
	return 0, io.EOF
}

func (b *closingBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

func sdkRequest(t *testing.T, body string) *http.Request {
	t.Helper()
	req := smithyhttp.NewStackRequest().(*smithyhttp.Request)
	req.Method = http.MethodPost
	req.URL.Scheme, req.URL.Host = "http", "localhost"
	req.ContentLength = int64(len(body))
	r, err := req.SetStream(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return r.Build(context.Background())
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }
