package source_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/source"
	"github.com/orderly-dev/orderly/sim/payloads"
)

// step describes one record: its partition, its event id and what the
// handler does with it ("ok", "transient", "permanent", "panic", "slow"),
// or "malformed" for a payload that is not an event at all.
type step struct {
	partition, eventID, behave string
}

func s(partition, eventID, behave string) step { return step{partition, eventID, behave} }

// recordingHandler decodes the event like the real handler and acts on
// detail.behave.
type recordingHandler struct {
	mu      sync.Mutex
	calls   map[string][]string // partition -> event ids
	kinds   map[source.Kind]int
	advance func() // called by "slow" records
}

func (h *recordingHandler) Handle(ctx context.Context, rec ordering.Record) error {
	ev, err := event.Decode(rec.Data)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.calls[rec.Partition] = append(h.calls[rec.Partition], ev.ID)
	h.kinds[source.Kind(rec.Source)]++
	h.mu.Unlock()
	var detail struct{ Behave string }
	if err := json.Unmarshal(ev.Detail, &detail); err != nil {
		return fmt.Errorf("test detail: %w", err)
	}
	switch detail.Behave {
	case "ok":
		return nil
	case "slow":
		h.advance()
		return nil
	case "transient":
		return errors.New("schedule API: 503 Service Unavailable")
	case "panic":
		panic("nil map in apply")
	default:
		return fmt.Errorf("test bug: behave %q", detail.Behave)
	}
}

type sink struct {
	mu    sync.Mutex
	ids   []string
	kinds []source.Kind
}

func (k *sink) Poison(ctx context.Context, rec ordering.Record, _ error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.ids = append(k.ids, rec.ID)
	k.kinds = append(k.kinds, source.Kind(rec.Source))
	return nil
}

var eventTime = time.Date(2026, 11, 28, 9, 59, 0, 0, time.UTC)

func messages(steps []step, idOf func(int) string) []payloads.Message {
	msgs := make([]payloads.Message, len(steps))
	for i, st := range steps {
		data := payloads.Event(st.eventID, "Schedule Entity Upserted", eventTime,
			map[string]any{"scheduleDate": "2026-11-28", "entityType": "driver", "entityId": "d-1", "behave": st.behave})
		switch st.behave {
		case "malformed":
			data = []byte(`{"id":"` + st.eventID + `","detail-type":"Schedule Entity Upserted","detail":`) // truncated
		case "permanent":
			data = []byte(`{"id":"` + st.eventID + `","detail":{}}`) // no detail-type
		}
		msgs[i] = payloads.Message{Partition: st.partition, ID: idOf(i), Data: data}
	}
	return msgs
}

func kinesisSeq(i int) string { return fmt.Sprintf("4959%052d", i) }
func sqsID(i int) string      { return fmt.Sprintf("0e5f8a3c-0000-4000-8000-%012d", i) }

type fixture struct {
	name       string
	steps      []step
	deadline   bool  // run with a deadline that "slow" records exhaust
	wantSQS    []int // indices reported to SQS
	wantCalls  map[string][]string
	wantPoison []int
}

var fixtures = []fixture{
	{
		name:      "all succeed",
		steps:     []step{s("a", "e1", "ok"), s("b", "e2", "ok"), s("a", "e3", "ok")},
		wantCalls: map[string][]string{"a": {"e1", "e3"}, "b": {"e2"}},
	},
	{
		name: "failure in the middle of one partition while others succeed",
		steps: []step{
			s("a", "e1", "ok"), s("b", "e2", "ok"), s("a", "e3", "transient"), s("b", "e4", "ok"),
			s("a", "e5", "ok"), s("c", "e6", "ok"), s("a", "e7", "ok"),
		},
		wantSQS:   []int{2, 4, 6},
		wantCalls: map[string][]string{"a": {"e1", "e3"}, "b": {"e2", "e4"}, "c": {"e6"}},
	},
	{
		name: "several failures",
		steps: []step{
			s("a", "e1", "ok"), s("b", "e2", "transient"), s("a", "e3", "transient"), s("c", "e4", "ok"),
			s("b", "e5", "ok"), s("a", "e6", "ok"), s("c", "e7", "ok"),
		},
		wantSQS:   []int{1, 2, 4, 5},
		wantCalls: map[string][]string{"a": {"e1", "e3"}, "b": {"e2"}, "c": {"e4", "e7"}},
	},
	{
		name:      "panic",
		steps:     []step{s("a", "e1", "ok"), s("b", "e2", "ok"), s("a", "e3", "panic"), s("a", "e4", "ok"), s("b", "e5", "ok")},
		wantSQS:   []int{2, 3},
		wantCalls: map[string][]string{"a": {"e1", "e3"}, "b": {"e2", "e5"}},
	},
	{
		name:       "poison record does not block its partition",
		steps:      []step{s("a", "e1", "ok"), s("a", "e2", "permanent"), s("a", "e3", "ok"), s("b", "e4", "ok")},
		wantCalls:  map[string][]string{"a": {"e1", "e3"}, "b": {"e4"}},
		wantPoison: []int{1},
	},
	{
		name:       "malformed JSON is poisoned",
		steps:      []step{s("a", "e1", "malformed"), s("a", "e2", "ok"), s("b", "e3", "malformed")},
		wantCalls:  map[string][]string{"a": {"e2"}},
		wantPoison: []int{0, 2},
	},
	{
		name:       "poison then a transient failure in the same partition",
		steps:      []step{s("a", "e1", "permanent"), s("b", "e2", "ok"), s("a", "e3", "transient"), s("a", "e4", "ok")},
		wantSQS:    []int{2, 3},
		wantCalls:  map[string][]string{"a": {"e3"}, "b": {"e2"}},
		wantPoison: []int{0},
	},
	{
		name: "duplicate delivery is processed again, in order",
		steps: []step{
			s("a", "e1", "ok"), s("a", "e1", "ok"), s("b", "e2", "ok"), s("a", "e3", "ok"), s("a", "e1", "ok"),
		},
		wantCalls: map[string][]string{"a": {"e1", "e1", "e3", "e1"}, "b": {"e2"}},
	},
	{
		name: "deadline reached mid-batch",
		// One partition at a time; each slow record eats 3 s of a 10 s
		// budget with a 2 s margin: starts at 10, 7, 4 s left; the fourth
		// would start at 1 s left.
		steps:     []step{s("a", "e1", "slow"), s("a", "e2", "slow"), s("b", "e3", "slow"), s("b", "e4", "slow"), s("c", "e5", "ok")},
		deadline:  true,
		wantSQS:   []int{3, 4},
		wantCalls: map[string][]string{"a": {"e1", "e2"}, "b": {"e3"}},
	},
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestInvokeBothSources(t *testing.T) {
	sources := []struct {
		kind    source.Kind
		idOf    func(int) string
		payload func(...payloads.Message) []byte
		// want maps the fixture's retry set to the expected identifiers.
		want func(f fixture) []string
	}{
		{source.Kinesis, kinesisSeq, payloads.KinesisPayload, func(f fixture) []string {
			if len(f.wantSQS) == 0 {
				return []string{}
			}
			return []string{kinesisSeq(slices.Min(f.wantSQS))}
		}},
		{source.SQS, sqsID, payloads.SQSPayload, func(f fixture) []string {
			ids := []string{}
			for _, i := range f.wantSQS {
				ids = append(ids, sqsID(i))
			}
			return ids
		}},
	}
	for _, src := range sources {
		for _, f := range fixtures {
			t.Run(string(src.kind)+"/"+f.name, func(t *testing.T) {
				clk := &clock{}
				h := &recordingHandler{calls: map[string][]string{}, kinds: map[source.Kind]int{}, advance: func() { clk.Add(3 * time.Second) }}
				poison := &sink{}
				opts := ordering.Options{Poison: poison, Logger: slog.New(slog.DiscardHandler)}
				ctx := context.Background()
				if f.deadline {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, time.Hour)
					defer cancel()
					deadline, _ := ctx.Deadline()
					clk.now = deadline.Add(-10 * time.Second)
					opts.Now, opts.DeadlineMargin, opts.MaxConcurrentPartitions = clk.Now, 2*time.Second, 1
				}
				eng, err := ordering.New(h, opts)
				if err != nil {
					t.Fatal(err)
				}
				var reports []source.BatchReport
				var retryHooks [][]source.SQSRetry
				handler := source.NewHandler(eng, source.HandlerOptions{
					Logger:     slog.New(slog.DiscardHandler),
					OnBatch:    func(_ context.Context, r source.BatchReport) { reports = append(reports, r) },
					OnSQSRetry: func(_ context.Context, retry []source.SQSRetry) { retryHooks = append(retryHooks, retry) },
				})

				out, err := handler.Invoke(ctx, src.payload(messages(f.steps, src.idOf)...))
				if err != nil {
					t.Fatalf("Invoke: %v", err)
				}
				if got, want := failureIDs(t, out), src.want(f); !slices.Equal(got, want) {
					t.Fatalf("batchItemFailures = %v, want %v", got, want)
				}
				for p, want := range f.wantCalls {
					if got := h.calls[p]; !slices.Equal(got, want) {
						t.Errorf("partition %s handled %v, want %v", p, got, want)
					}
				}
				if len(h.calls) != len(f.wantCalls) {
					t.Errorf("handled partitions %v, want %v", h.calls, f.wantCalls)
				}
				var wantPoison []string
				for _, i := range f.wantPoison {
					wantPoison = append(wantPoison, src.idOf(i))
				}
				slices.Sort(poison.ids)
				if !slices.Equal(poison.ids, wantPoison) {
					t.Errorf("poisoned %v, want %v", poison.ids, wantPoison)
				}
				for _, k := range poison.kinds {
					if k != src.kind {
						t.Errorf("poison sink saw source kind %q, want %q", k, src.kind)
					}
				}
				if len(h.kinds) > 1 || (len(h.kinds) == 1 && h.kinds[src.kind] == 0) {
					t.Errorf("handler saw source kinds %v, want only %q", h.kinds, src.kind)
				}
				if len(reports) != 1 || reports[0].Source != src.kind || len(reports[0].Records) != len(f.steps) {
					t.Errorf("OnBatch reports %+v, want one report for %d %s records", reports, len(f.steps), src.kind)
				}
				checkRetryHook(t, retryHooks, src.kind == source.SQS && len(f.wantSQS) > 0, failureIDs(t, out))
			})
		}
	}
}

// checkRetryHook wants the OnSQSRetry hook called once, with exactly the
// messages of the response in its order and their receipt handles, when
// wanted is true, and never otherwise.
func checkRetryHook(t *testing.T, calls [][]source.SQSRetry, wanted bool, response []string) {
	t.Helper()
	if !wanted {
		if len(calls) > 0 {
			t.Errorf("OnSQSRetry called %d times, want none", len(calls))
		}
		return
	}
	if len(calls) != 1 {
		t.Fatalf("OnSQSRetry called %d times, want once", len(calls))
	}
	var ids []string
	for _, r := range calls[0] {
		m := r.Message
		ids = append(ids, m.MessageId)
		if m.ReceiptHandle != "AQEB"+m.MessageId || m.Attributes["ApproximateReceiveCount"] == "" || m.EventSourceARN == "" {
			t.Errorf("OnSQSRetry message %+v lacks its receipt handle, receive count or queue ARN", m)
		}
	}
	if !slices.Equal(ids, response) {
		t.Errorf("OnSQSRetry got %v, want the response's %v", ids, response)
	}
}

// failureIDs marshals the response exactly as the Lambda runtime does.
func failureIDs(t *testing.T, resp any) []string {
	t.Helper()
	raw, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded.BatchItemFailures == nil {
		t.Fatalf("response %s has no batchItemFailures array; Lambda wants [] for success", raw)
	}
	ids := []string{}
	for _, f := range decoded.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestInvokeEmptyAndInvalidPayloads(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		wantErr string // "" means success with an empty failure list
	}{
		{"empty Kinesis batch", `{"Records":[]}`, ""},
		{"no Records", `{}`, ""},
		{"null Records", `{"Records":null}`, ""},
		{"unknown source", `{"Records":[{"eventSource":"aws:dynamodb"}]}`, `"aws:dynamodb", want "aws:kinesis" or "aws:sqs"`},
		{"not an event", `[1,2,3]`, "not a Lambda event"},
		{"kinesis with bad data", `{"Records":[{"eventSource":"aws:kinesis","kinesis":{"data":"!!!"}}]}`, "decode Kinesis event"},
		{"sqs with bad body type", `{"Records":[{"eventSource":"aws:sqs","body":42}]}`, "decode SQS event"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			proc := processorFunc(func(context.Context, []ordering.Record) ordering.Result {
				called = true
				return ordering.Result{}
			})
			h := source.NewHandler(proc, source.HandlerOptions{Logger: slog.New(slog.DiscardHandler)})
			out, err := h.Invoke(context.Background(), json.RawMessage(tc.payload))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Invoke error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if got := failureIDs(t, out); len(got) != 0 {
				t.Fatalf("failures %v for an empty batch", got)
			}
			if called {
				t.Fatal("engine called for an empty batch")
			}
		})
	}
}

type processorFunc func(context.Context, []ordering.Record) ordering.Result

func (f processorFunc) Process(ctx context.Context, recs []ordering.Record) ordering.Result {
	return f(ctx, recs)
}
