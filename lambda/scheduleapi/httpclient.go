package scheduleapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orderly-dev/orderly/lambda/failure"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// APIKeyHeader carries the third-party API key on every request.
const APIKeyHeader = "x-api-key"

// Defaults of the retry shape, applied by New to zero options; the call
// limits' defaults are in DefaultLimits.
const (
	DefaultBackoffBase   = 50 * time.Millisecond
	DefaultBackoffMax    = 500 * time.Millisecond
	DefaultRetryAfterMax = 1 * time.Second
)

// maxBody bounds what is read from a response, so a misbehaving server
// cannot exhaust the function's memory.
const maxBody = 8 << 20

// Options configure an Client. Only BaseURL and APIKey are required.
type Options struct {
	// BaseURL of the API, e.g. https://schedule.example.com (a path prefix
	// is kept).
	BaseURL string
	// APIKey returns the key sent in the x-api-key header. It is called for
	// every attempt, so it should cache (lambda/secret does).
	APIKey func(ctx context.Context) (string, error)
	// HTTP is the transport client. The default has no overall timeout
	// (CallTimeout bounds each attempt) and keeps enough idle connections
	// for every concurrent partition to reuse one across invocations.
	HTTP *http.Client
	// Limits bound each call; zero fields take DefaultLimits. Retries also
	// never pass the context deadline.
	Limits Limits
	// RefreshAPIKey, when set, is called once per call after a 401 or 403:
	// if it reports a new key (the secret was rotated), the request is
	// retried once at once with it. Without a new key the call fails as
	// transient, so the record waits in order instead of being poisoned.
	// It receives the refused key.
	RefreshAPIKey func(ctx context.Context, refused string) (changed bool, err error)
	// BackoffBase and BackoffMax shape the exponential full-jitter backoff.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// RetryAfterMax caps how long a 429/503 Retry-After makes us wait.
	RetryAfterMax time.Duration

	// Now, Sleep and Jitter are replaced by tests so that they do not wait.
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func(limit time.Duration) time.Duration // uniform in [0, limit)
}

// Client is the Client for the third-party schedule API.
type Client struct {
	base *url.URL
	opts Options
	// pace spaces requests per Limits.RequestsPerSecond.
	pace *pacer
}

var _ schedule.Client = (*Client)(nil)

// New validates opts, fills defaults and returns a client.
func New(opts Options) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("schedule API base URL %q: want an absolute http(s) URL without query, e.g. https://schedule.example.com", opts.BaseURL)
	}
	if opts.APIKey == nil {
		return nil, errors.New("schedule API: Options.APIKey is required")
	}
	if base.Path == "" {
		// JoinPath keeps a relative path relative; requests need it rooted.
		base.Path = "/"
	}
	if opts.HTTP == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		// The stock 2 idle connections per host would make most of the
		// engine's concurrent partitions reconnect (and redo TLS) each call.
		transport.MaxIdleConnsPerHost = 64
		opts.HTTP = &http.Client{Transport: transport}
	}
	// Never follow a redirect. Go turns a redirected PUT into a GET without
	// a body, which answers 200: the push would report success while nothing
	// was written. It would also carry the API key to whatever host the
	// redirect names. The contract has no redirects, so a 3xx fails the
	// call (a wrong base URL, not the event's fault: transient).
	client := *opts.HTTP
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	opts.HTTP = &client
	opts.Limits = opts.Limits.WithDefaults()
	if err := opts.Limits.Validate(); err != nil {
		return nil, fmt.Errorf("schedule API: %w", err)
	}
	setDefault(&opts.BackoffBase, DefaultBackoffBase)
	setDefault(&opts.BackoffMax, DefaultBackoffMax)
	setDefault(&opts.RetryAfterMax, DefaultRetryAfterMax)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	if opts.Jitter == nil {
		opts.Jitter = randomJitter
	}
	return &Client{base: base, opts: opts, pace: newPacer(opts.Limits.RequestInterval())}, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// StatusError is an unexpected HTTP status from the API. It never contains
// the API key.
type StatusError struct {
	Method     string
	Path       string
	StatusCode int
	// Body is the start of the response body, for diagnosis.
	Body string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: HTTP %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// rejectedCredentials reports whether the server refused the API key. That
// is not the event's fault (the key may have been rotated), so the record
// fails as transient instead of being poisoned.
func rejectedCredentials(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}

// retryable reports whether a status may succeed on retry. Other 4xx mean
// the request itself is wrong, so they are permanent.
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500 || status < 400
}

// Fetch implements Client: GET /schedules/{period}; 404 is an empty
// schedule.
func (c *Client) Fetch(ctx context.Context, period string) (schedule.Schedule, error) {
	if err := schedule.ValidatePeriod(period); err != nil {
		return schedule.Schedule{}, failure.Permanent(fmt.Errorf("fetch schedule: %w", err))
	}
	resp, err := c.do(ctx, http.MethodGet, period, nil, func(status int) bool {
		return status == http.StatusOK || status == http.StatusNotFound
	})
	if err != nil {
		return schedule.Schedule{}, fmt.Errorf("fetch schedule %s: %w", period, err)
	}
	if resp.status == http.StatusNotFound {
		return schedule.Empty(period), nil
	}
	s, err := schedule.DecodeDocument(resp.body)
	if err != nil {
		// Transient: the document is the server's, not the event's, fault;
		// poisoning events would not fix it.
		return schedule.Schedule{}, fmt.Errorf("fetch schedule %s: %w", period, err)
	}
	if s.Period != period {
		return schedule.Schedule{}, fmt.Errorf("fetch schedule %s: server returned scheduleDate %q", period, s.Period)
	}
	return s, nil
}

// Push implements Client: PUT /schedules/{period} with the whole document.
func (c *Client) Push(ctx context.Context, s schedule.Schedule) error {
	if err := schedule.ValidatePeriod(s.Period); err != nil {
		return failure.Permanent(fmt.Errorf("push schedule: %w", err))
	}
	body, err := json.Marshal(s)
	if err != nil {
		return failure.Permanent(fmt.Errorf("push schedule %s: encode: %w", s.Period, err))
	}
	_, err = c.do(ctx, http.MethodPut, s.Period, body, func(status int) bool {
		return status >= 200 && status < 300
	})
	if err != nil {
		return fmt.Errorf("push schedule %s: %w", s.Period, err)
	}
	return nil
}

type response struct {
	key    string // the API key the request carried
	status int
	header http.Header
	body   []byte
}

// do runs one API call with retries. ok says which statuses end the call
// successfully.
func (c *Client) do(ctx context.Context, method, period string, body []byte, ok func(int) bool) (response, error) {
	limits := c.opts.Limits
	start := c.opts.Now()
	path := c.base.JoinPath("schedules", period)
	refreshed := false
	for attempt := 1; ; attempt++ {
		// The rate cap's wait is part of the call: a slot beyond the
		// budget fails the call as transient, and the record waits in
		// order. A Retry-After slept above still wins when it is longer.
		if err := c.pace.wait(ctx, start.Add(limits.RetryBudget), c.opts.Now, c.opts.Sleep); err != nil {
			if errors.Is(err, errNoSlot) {
				return response{}, fmt.Errorf("%s %s: the request rate cap (%g per second) has no slot within the %s budget", method, path.Path, limits.RequestsPerSecond, limits.RetryBudget)
			}
			return response{}, fmt.Errorf("waiting for a request slot: %w", err)
		}
		timeout := min(limits.CallTimeout, limits.RetryBudget-c.opts.Now().Sub(start))
		resp, err := c.once(ctx, timeout, method, path.String(), body)
		if err == nil && ok(resp.status) {
			return resp, nil
		}
		if err == nil {
			err = &StatusError{Method: method, Path: path.Path, StatusCode: resp.status, Body: snippet(resp.body)}
			if rejectedCredentials(resp.status) {
				// The key is wrong or rotated, not the event. Re-read the
				// secret once; with a new key, try again at once. Otherwise
				// fail the record so it waits in order for the key to be
				// fixed, instead of poisoning every event.
				if refreshed || c.opts.RefreshAPIKey == nil || c.opts.Now().Sub(start) >= limits.RetryBudget {
					return resp, err
				}
				refreshed = true
				// Within what is left of the budget: the refresh is
				// part of the call the deadline margin is sized on.
				refreshCtx, cancel := context.WithTimeout(ctx, min(limits.CallTimeout, limits.RetryBudget-c.opts.Now().Sub(start)))
				changed, rerr := c.opts.RefreshAPIKey(refreshCtx, resp.key)
				cancel()
				if rerr != nil {
					return resp, fmt.Errorf("%w (re-reading the API key failed: %v)", err, rerr)
				}
				if !changed {
					return resp, fmt.Errorf("%w (the API key secret still holds the same key)", err)
				}
				attempt-- // the retry with the new key is not a retry of a failure
				continue
			}
			if !retryable(resp.status) {
				return resp, failure.Permanent(err)
			}
		}
		if failure.IsPermanent(err) || ctx.Err() != nil {
			// Retrying cannot help, or the invocation is over.
			return resp, err
		}
		if attempt >= limits.MaxAttempts {
			return resp, fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		delay := c.retryDelay(attempt, resp)
		now := c.opts.Now()
		if now.Add(delay).Sub(start) >= limits.RetryBudget {
			return resp, fmt.Errorf("giving up after %d attempts: a retry in %s would exceed the %s budget: %w", attempt, delay.Round(time.Millisecond), limits.RetryBudget, err)
		}
		if deadline, has := ctx.Deadline(); has && !now.Add(delay).Before(deadline) {
			return resp, fmt.Errorf("giving up after %d attempts: a retry in %s would pass the invocation deadline: %w", attempt, delay.Round(time.Millisecond), err)
		}
		if serr := c.opts.Sleep(ctx, delay); serr != nil {
			return resp, fmt.Errorf("waiting to retry: %w (last error: %v)", serr, err)
		}
	}
}

// retryDelay honours a Retry-After on 429 and 503, capped so that a server
// asking for minutes does not stall the whole batch; otherwise it backs off.
func (c *Client) retryDelay(attempt int, resp response) time.Duration {
	if resp.status == http.StatusTooManyRequests || resp.status == http.StatusServiceUnavailable {
		if after, ok := parseRetryAfter(resp.header, c.opts.Now()); ok {
			return min(after, c.opts.RetryAfterMax)
		}
	}
	return backoff(attempt, c.opts.BackoffBase, c.opts.BackoffMax, c.opts.Jitter)
}

// once performs a single attempt bounded by timeout.
func (c *Client) once(ctx context.Context, timeout time.Duration, method, target string, body []byte) (response, error) {
	// The key is read within the attempt's timeout too: a slow or
	// throttled secret store must not stretch a call past its budget.
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	key, err := c.opts.APIKey(ctx)
	if err != nil {
		return response{}, fmt.Errorf("get API key: %w", err)
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return response{}, failure.Permanent(fmt.Errorf("build request: %w", err))
	}
	req.Header.Set(APIKeyHeader, key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.opts.HTTP.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return response{status: res.StatusCode}, fmt.Errorf("read response: %w", err)
	}
	if len(data) > maxBody {
		return response{status: res.StatusCode}, fmt.Errorf("response body exceeds %d bytes", maxBody)
	}
	return response{key: key, status: res.StatusCode, header: res.Header, body: data}, nil
}

func snippet(body []byte) string {
	const limit = 200
	s := strings.TrimSpace(string(body))
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return s
}
