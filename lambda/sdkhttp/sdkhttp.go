// Package sdkhttp holds the HTTP client every AWS SDK client of orderly
// uses: the consumer's, the deploy tools' and the simulator's.
//
// It exists for one race between the SDK and net/http. smithy-go wraps a
// request body in a closer that, once closed, answers WriteTo with io.EOF,
// and it closes that body as soon as the response headers arrive. net/http
// finishes writing a request with io.Copy(io.Discard, body), which prefers
// WriteTo; when the response arrives first (a fast endpoint, a starved
// writer goroutine), that copy fails with io.EOF, net/http counts it as a
// write error and closes the connection while the response body is still
// being read. The call then fails with "deserialization failed ... use of
// closed network connection" after a 200, which the SDK does not always
// retry: a ReceiveMessage whose messages were received but never seen.
// Hiding WriteTo makes that final copy use Read, whose io.EOF ends the copy
// cleanly.
package sdkhttp

import (
	"io"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Doer is the SDK's HTTP client interface (aws.HTTPClient).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Client returns the SDK's default HTTP client with request bodies guarded.
func Client() Doer {
	return Guard(awshttp.NewBuildableClient())
}

// Guard wraps c so that no request body it sends exposes io.WriterTo. A nil
// c means the SDK's default client.
func Guard(c Doer) Doer {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	if g, ok := c.(guarded); ok {
		return g
	}
	return guarded{c}
}

type guarded struct{ next Doer }

func (g guarded) Do(req *http.Request) (*http.Response, error) {
	if _, ok := req.Body.(io.WriterTo); ok && req.Body != http.NoBody {
		// The SDK builds a fresh request per attempt and closes its own
		// body afterwards; closing readOnly closes it too.
		req.Body = readOnly{req.Body}
	}
	return g.next.Do(req)
}

// readOnly exposes only Read and Close of a body.
type readOnly struct{ body io.ReadCloser }

func (r readOnly) Read(p []byte) (int, error) { return r.body.Read(p) }
func (r readOnly) Close() error               { return r.body.Close() }
