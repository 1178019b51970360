package visibility_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderly-dev/orderly/lambda/visibility"
)

const (
	queueARN = "arn:aws:sqs:eu-west-1:111122223333:orderly-events.fifo"
	queueURL = "https://sqs.eu-west-1.amazonaws.com/111122223333/orderly-events.fifo"
)

// fakeClient records calls; fail answers every call with an error, and
// refuse makes it refuse the entries with these receipt handles.
type fakeClient struct {
	mu     sync.Mutex
	calls  []*sqs.ChangeMessageVisibilityBatchInput
	fail   error
	refuse map[string]bool
	// deadline is the context deadline of the last call.
	deadline time.Time
}

func (f *fakeClient) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	f.deadline, _ = ctx.Deadline()
	if f.fail != nil {
		return nil, f.fail
	}
	out := &sqs.ChangeMessageVisibilityBatchOutput{}
	for _, e := range in.Entries {
		if f.refuse[aws.ToString(e.ReceiptHandle)] {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("ReceiptHandleIsInvalid"), SenderFault: true, Message: aws.String("stale")})
			continue
		}
		out.Successful = append(out.Successful, types.ChangeMessageVisibilityBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

func message(id string, receives int, arn string) events.SQSMessage {
	return events.SQSMessage{
		MessageId: id, ReceiptHandle: "rh-" + id, EventSourceARN: arn,
		Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(receives), "MessageGroupId": "g"},
	}
}

type harness struct {
	client     *fakeClient
	delayer    *visibility.Delayer
	log        *bytes.Buffer
	notDelayed []int
}

func newHarness(t *testing.T, b visibility.Backoff) *harness {
	t.Helper()
	h := &harness{client: &fakeClient{}, log: &bytes.Buffer{}}
	d, err := visibility.New(h.client, visibility.Options{
		Backoff:    b,
		Logger:     slog.New(slog.NewJSONHandler(h.log, nil)),
		NotDelayed: func(_ context.Context, n int) { h.notDelayed = append(h.notDelayed, n) },
		Rand:       func() float64 { return 0 }, // no jitter: exact values
	})
	if err != nil {
		t.Fatal(err)
	}
	h.delayer = d
	return h
}

func timeouts(in *sqs.ChangeMessageVisibilityBatchInput) map[string]int32 {
	out := map[string]int32{}
	for _, e := range in.Entries {
		out[aws.ToString(e.ReceiptHandle)] = e.VisibilityTimeout
	}
	return out
}

func TestDelaySendsTheBackoffOfEachMessage(t *testing.T) {
	h := newHarness(t, visibility.Backoff{Base: time.Second, Max: 60 * time.Second})
	h.delayer.Delay(context.Background(), unheld(
		message("a", 1, queueARN), message("b", 2, queueARN), message("c", 5, queueARN), message("d", 9, queueARN),
	))
	if len(h.client.calls) != 1 {
		t.Fatalf("%d calls, want 1", len(h.client.calls))
	}
	call := h.client.calls[0]
	if aws.ToString(call.QueueUrl) != queueURL {
		t.Errorf("QueueUrl %q, want %q", aws.ToString(call.QueueUrl), queueURL)
	}
	want := map[string]int32{"rh-a": 1, "rh-b": 2, "rh-c": 16, "rh-d": 60}
	if got := timeouts(call); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("visibility timeouts %v, want %v", got, want)
	}
	ids := map[string]bool{}
	for _, e := range call.Entries {
		ids[aws.ToString(e.Id)] = true
	}
	if len(ids) != 4 {
		t.Errorf("entry ids %v are not unique", ids)
	}
	if len(h.notDelayed) != 0 || h.log.Len() != 0 {
		t.Errorf("a successful call reported %v and logged %s", h.notDelayed, h.log)
	}
}

func TestDelayJitterStaysWithinItsBounds(t *testing.T) {
	client := &fakeClient{}
	d, err := visibility.New(client, visibility.Options{Backoff: visibility.Backoff{Base: 2 * time.Second, Max: 20 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	// receive count -> [lowest, highest] whole seconds with up to 20% off.
	bounds := map[int][2]int32{1: {2, 2}, 2: {3, 4}, 3: {6, 8}, 5: {16, 20}}
	seen := map[int32]bool{}
	for range 200 {
		d.Delay(context.Background(), unheld(message("a", 1, queueARN), message("b", 2, queueARN), message("c", 3, queueARN), message("e", 5, queueARN)))
	}
	for _, call := range client.calls {
		for i, e := range call.Entries {
			n := []int{1, 2, 3, 5}[i]
			if b := bounds[n]; e.VisibilityTimeout < b[0] || e.VisibilityTimeout > b[1] {
				t.Fatalf("receive count %d: timeout %d outside [%d, %d]", n, e.VisibilityTimeout, b[0], b[1])
			}
			if n == 5 {
				seen[e.VisibilityTimeout] = true
			}
		}
	}
	if len(seen) < 3 {
		t.Errorf("receive count 5 got only the timeouts %v in 200 draws: no jitter", seen)
	}
}

func TestDelaySplitsByQueueAndTenEntries(t *testing.T) {
	h := newHarness(t, visibility.Backoff{Base: time.Second, Max: time.Minute})
	other := "arn:aws-cn:sqs:cn-north-1:111122223333:other.fifo"
	var msgs []events.SQSMessage
	for i := range 12 {
		msgs = append(msgs, message(fmt.Sprintf("q%d", i), 1, queueARN))
	}
	msgs = append(msgs, message("o1", 1, other))
	h.delayer.Delay(context.Background(), unheld(msgs...))
	var got []string
	for _, c := range h.client.calls {
		got = append(got, fmt.Sprintf("%s:%d", aws.ToString(c.QueueUrl), len(c.Entries)))
	}
	want := []string{queueURL + ":10", queueURL + ":2", "https://sqs.cn-north-1.amazonaws.com.cn/111122223333/other.fifo:1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("calls %v, want %v", got, want)
	}
}

func TestDelayReportsFailuresAndNeverFails(t *testing.T) {
	tests := []struct {
		name           string
		fail           error
		refuse         map[string]bool
		msgs           []events.SQSMessage
		wantNotDelayed []int
		wantLog        []string
	}{
		{
			name: "call fails", fail: errors.New("api error AccessDenied"),
			msgs:           []events.SQSMessage{message("a", 1, queueARN), message("b", 1, queueARN)},
			wantNotDelayed: []int{2},
			wantLog:        []string{"ChangeMessageVisibilityBatch failed", "AccessDenied", `"messages":2`},
		},
		{
			name: "one entry refused", refuse: map[string]bool{"rh-b": true},
			msgs:           []events.SQSMessage{message("a", 1, queueARN), message("b", 3, queueARN), message("c", 1, queueARN)},
			wantNotDelayed: []int{1},
			wantLog:        []string{"visibility change refused", `"messageId":"b"`, "ReceiptHandleIsInvalid"},
		},
		{
			name:           "not a queue ARN",
			msgs:           []events.SQSMessage{message("a", 1, "arn:aws:kinesis:eu-west-1:111122223333:stream/s")},
			wantNotDelayed: []int{1},
			wantLog:        []string{"is not an SQS queue ARN"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, visibility.Backoff{Base: time.Second, Max: time.Minute})
			h.client.fail, h.client.refuse = tc.fail, tc.refuse
			h.delayer.Delay(context.Background(), unheld(tc.msgs...))
			if fmt.Sprint(h.notDelayed) != fmt.Sprint(tc.wantNotDelayed) {
				t.Errorf("NotDelayed %v, want %v", h.notDelayed, tc.wantNotDelayed)
			}
			for _, w := range tc.wantLog {
				if !strings.Contains(h.log.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, h.log)
				}
			}
		})
	}
}

func TestDelayIsANoOpWhenOffOrEmpty(t *testing.T) {
	off := newHarness(t, visibility.Backoff{Base: time.Second})
	off.delayer.Delay(context.Background(), unheld(message("a", 1, queueARN)))
	on := newHarness(t, visibility.Backoff{Base: time.Second, Max: time.Minute})
	on.delayer.Delay(context.Background(), nil)
	if len(off.client.calls)+len(on.client.calls) != 0 {
		t.Errorf("calls made: off %d, empty %d", len(off.client.calls), len(on.client.calls))
	}
	if _, err := visibility.New(nil, visibility.Options{}); err != nil {
		t.Errorf("off without a client: %v", err)
	}
	if _, err := visibility.New(nil, visibility.Options{Backoff: visibility.Backoff{Max: time.Minute}}); err == nil {
		t.Error("on without a client: want an error")
	}
	if _, err := visibility.New(&fakeClient{}, visibility.Options{Backoff: visibility.Backoff{Base: -1, Max: time.Minute}}); err == nil {
		t.Error("invalid backoff: want an error")
	}
}

func TestDelayLeavesTimeToReturnTheResponse(t *testing.T) {
	h := newHarness(t, visibility.Backoff{Base: time.Second, Max: time.Minute})
	invocationDeadline := time.Now().Add(500 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), invocationDeadline)
	defer cancel()
	h.delayer.Delay(ctx, unheld(message("a", 1, queueARN)))
	if want := invocationDeadline.Add(-100 * time.Millisecond); !h.client.deadline.Equal(want) {
		t.Errorf("call deadline %s, want 100 ms before the invocation's (%s)", h.client.deadline, want)
	}
	h.delayer.Delay(context.Background(), unheld(message("a", 1, queueARN)))
	if left := time.Until(h.client.deadline); left <= 0 || left > visibility.DefaultCallTimeout {
		t.Errorf("without an invocation deadline the call has %s, want at most %s", left, visibility.DefaultCallTimeout)
	}
}

func TestQueueURL(t *testing.T) {
	tests := map[string]string{
		queueARN: queueURL,
		"arn:aws-us-gov:sqs:us-gov-west-1:111122223333:q": "https://sqs.us-gov-west-1.amazonaws.com/111122223333/q",
		"arn:aws:sqs:eu-west-1:111122223333":              "",
		"arn:aws:sns:eu-west-1:111122223333:topic":        "",
		"arn:aws-iso:sqs:us-iso-east-1:111122223333:q":    "",
		"": "",
	}
	for arn, want := range tests {
		got, err := visibility.QueueURL(arn)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("QueueURL(%q) = %q, %v; want %q", arn, got, err, want)
		}
	}
}

// unheld wraps messages whose failure did not look vendor-wide.
func unheld(msgs ...events.SQSMessage) []visibility.Retry {
	out := make([]visibility.Retry, len(msgs))
	for i, m := range msgs {
		out[i] = visibility.Retry{Message: m}
	}
	return out
}

func TestDelayHoldsMessagesWhoseFailureLooksVendorWide(t *testing.T) {
	h := &harness{client: &fakeClient{}, log: &bytes.Buffer{}}
	d, err := visibility.New(h.client, visibility.Options{
		Backoff: visibility.Backoff{Base: time.Second, Max: 60 * time.Second},
		Hold:    visibility.Hold(3 * time.Minute),
		Logger:  slog.New(slog.NewJSONHandler(h.log, nil)),
		Rand:    func() float64 { return 0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	d.Delay(context.Background(), []visibility.Retry{
		{Message: message("a", 1, queueARN), Held: true},
		{Message: message("b", 1, queueARN)},
	})
	want := map[string]int32{"rh-a": 180, "rh-b": 1}
	if len(h.client.calls) != 1 {
		t.Fatalf("%d calls, want 1", len(h.client.calls))
	}
	if got := timeouts(h.client.calls[0]); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("visibility timeouts %v, want %v: the held message waits the hold, the other the backoff", got, want)
	}
}

func TestAHoldWorksWithoutABackoff(t *testing.T) {
	h := &harness{client: &fakeClient{}, log: &bytes.Buffer{}}
	d, err := visibility.New(h.client, visibility.Options{Hold: visibility.Hold(time.Minute), Rand: func() float64 { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	d.Delay(context.Background(), []visibility.Retry{{Message: message("a", 1, queueARN), Held: true}, {Message: message("b", 1, queueARN)}})
	if len(h.client.calls) != 1 || fmt.Sprint(timeouts(h.client.calls[0])) != fmt.Sprint(map[string]int32{"rh-a": 60}) {
		t.Errorf("calls %v: want only the held message, at 60 s", h.client.calls)
	}
}
