package visibility

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// ChangeMessageVisibilityBatchAPI is the part of *sqs.Client a Delayer uses.
type ChangeMessageVisibilityBatchAPI interface {
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

// MaxBatchEntries is the most entries one ChangeMessageVisibilityBatch takes.
const MaxBatchEntries = 10

// DefaultCallTimeout bounds the calls of one invocation: they run after the
// last record, within the time the consumer keeps to return its response.
const DefaultCallTimeout = time.Second

// responseReserve is left of the invocation for returning the response.
const responseReserve = 100 * time.Millisecond

// ReceiveCountAttribute is the SQS system attribute the backoff grows on.
const ReceiveCountAttribute = "ApproximateReceiveCount"

// Options configure a Delayer. Every field is optional; with neither
// Backoff nor Hold, Delay does nothing.
type Options struct {
	// Backoff is the delay after a failure of one partition (or of unknown
	// scope); its zero value leaves those messages' visibility alone.
	Backoff Backoff
	// Hold is the delay after a failure that looks vendor-wide (Retry.Held);
	// its zero value gives those messages the Backoff too.
	Hold Hold
	// Logger receives one line per failed call or entry. Default
	// slog.Default().
	Logger *slog.Logger
	// NotDelayed is told how many messages of one invocation kept the
	// queue's visibility timeout because a call or entry failed (for a
	// metric). It is not called when every change succeeded.
	NotDelayed func(ctx context.Context, messages int)
	// Rand returns a uniform number in [0, 1) for the jitter. Default
	// math/rand/v2's Float64.
	Rand func() float64
	// CallTimeout bounds all calls of one invocation, and is further cut
	// to leave 100 ms before the invocation's deadline. Default 1 s.
	CallTimeout time.Duration
}

// Delayer sets the visibility timeout of messages reported for retry.
type Delayer struct {
	client ChangeMessageVisibilityBatchAPI
	opts   Options
}

// New returns a Delayer calling client. client may be nil only when the
// backoff is off.
func New(client ChangeMessageVisibilityBatchAPI, opts Options) (*Delayer, error) {
	if err := opts.Backoff.Validate(); err != nil {
		return nil, fmt.Errorf("visibility backoff: %w", err)
	}
	if opts.Hold < 0 || time.Duration(opts.Hold) > MaxVisibilityTimeout {
		return nil, fmt.Errorf("visibility hold %s: want 0 (off) to %s", time.Duration(opts.Hold), MaxVisibilityTimeout)
	}
	if client == nil && (opts.Backoff.Enabled() || opts.Hold > 0) {
		return nil, errors.New("visibility backoff: an SQS client is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	return &Delayer{client: client, opts: opts}, nil
}

// Retry is a message reported for retry, and whether its failure looks
// vendor-wide (then it is held for Options.Hold).
type Retry struct {
	Message events.SQSMessage
	Held    bool
}

// Delay sets the visibility timeout of each message in retry: the hold for
// a held message, the backoff on its receive count otherwise, with one
// ChangeMessageVisibilityBatch per queue and 10 messages. It runs from the
// source.HandlerOptions.OnSQSRetry hook: whatever fails, the response stays
// as it is and the messages concerned keep the queue's visibility timeout.
func (d *Delayer) Delay(ctx context.Context, retry []Retry) {
	var changes []change
	for _, r := range retry {
		n := receiveCount(r.Message)
		delay := d.opts.Backoff.Delay(n, d.opts.Rand())
		if r.Held && d.opts.Hold > 0 {
			delay = d.opts.Hold.Delay(d.opts.Backoff, n, d.opts.Rand())
		} else if !d.opts.Backoff.Enabled() {
			continue
		}
		changes = append(changes, change{msg: r.Message, delay: delay})
	}
	if len(changes) == 0 {
		return
	}
	callCtx, cancel := d.callContext(ctx)
	defer cancel()
	notDelayed := 0
	for _, batch := range batches(changes) {
		notDelayed += d.change(callCtx, batch)
	}
	if notDelayed > 0 && d.opts.NotDelayed != nil {
		d.opts.NotDelayed(ctx, notDelayed)
	}
}

func (d *Delayer) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(d.opts.CallTimeout)
	if invocation, ok := ctx.Deadline(); ok && invocation.Add(-responseReserve).Before(deadline) {
		deadline = invocation.Add(-responseReserve)
	}
	return context.WithDeadline(ctx, deadline)
}

// change is one message's new visibility timeout.
type change struct {
	msg   events.SQSMessage
	delay time.Duration
}

// batch is up to MaxBatchEntries changes of one queue.
type batch struct {
	queueARN string
	msgs     []change
}

// batches splits changes by queue (one mapping reads one queue, but a
// handler may serve several) and into calls of at most MaxBatchEntries,
// keeping their order.
func batches(changes []change) []batch {
	var out []batch
	open := map[string]int{} // queue ARN -> index in out of its batch being filled
	for _, c := range changes {
		arn := c.msg.EventSourceARN
		i, ok := open[arn]
		if !ok || len(out[i].msgs) == MaxBatchEntries {
			out = append(out, batch{queueARN: arn})
			i = len(out) - 1
			open[arn] = i
		}
		out[i].msgs = append(out[i].msgs, c)
	}
	return out
}

// change sends one batch and returns how many of its messages were not
// delayed.
func (d *Delayer) change(ctx context.Context, b batch) int {
	log := d.opts.Logger
	queueURL, err := QueueURL(b.queueARN)
	if err != nil {
		log.ErrorContext(ctx, "retry backoff: messages keep the queue's visibility timeout", "error", err.Error(), "messages", len(b.msgs))
		return len(b.msgs)
	}
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(b.msgs))
	ids := make(map[string]string, len(b.msgs)) // entry id -> message id
	for i, c := range b.msgs {
		id := "m" + strconv.Itoa(i)
		ids[id] = c.msg.MessageId
		entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
			Id:                aws.String(id),
			ReceiptHandle:     aws.String(c.msg.ReceiptHandle),
			VisibilityTimeout: seconds(c.delay),
		}
	}
	out, err := d.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
	if err != nil {
		log.ErrorContext(ctx, "retry backoff: ChangeMessageVisibilityBatch failed; the messages keep the queue's visibility timeout",
			"queueUrl", queueURL, "messages", len(b.msgs), "error", err.Error())
		return len(b.msgs)
	}
	for _, f := range out.Failed {
		log.ErrorContext(ctx, "retry backoff: visibility change refused; the message keeps the queue's visibility timeout",
			"queueUrl", queueURL, "messageId", ids[aws.ToString(f.Id)], "code", aws.ToString(f.Code), "error", aws.ToString(f.Message))
	}
	return len(out.Failed)
}

// receiveCount reads ApproximateReceiveCount; a missing or malformed value
// counts as a first receive, the shortest delay.
func receiveCount(m events.SQSMessage) int {
	n, err := strconv.Atoi(m.Attributes[ReceiveCountAttribute])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// QueueURL derives a queue's URL from its ARN
// (arn:<partition>:sqs:<region>:<account>:<name>), which is what an SQS
// event record carries. The SDK sends the request to its resolved endpoint
// (AWS_ENDPOINT_URL_SQS included) and passes the URL as a parameter.
func QueueURL(arn string) (string, error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return "", fmt.Errorf("eventSourceARN %q is not an SQS queue ARN", arn)
	}
	domain, ok := map[string]string{"aws": "amazonaws.com", "aws-us-gov": "amazonaws.com", "aws-cn": "amazonaws.com.cn"}[parts[1]]
	if !ok {
		return "", fmt.Errorf("eventSourceARN %q: partition %q: want aws, aws-us-gov or aws-cn", arn, parts[1])
	}
	return "https://sqs." + parts[3] + "." + domain + "/" + parts[4] + "/" + parts[5], nil
}
