package ordering_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orderly-dev/orderly/lambda/failure"
	"github.com/orderly-dev/orderly/lambda/ordering"
)

// A record ID ends with its scripted behaviour: "a1.ok", "a2.transient",
// "a3.permanent", "a4.panic". The partition is the part before the digit.
type scripted struct {
	mu    sync.Mutex
	calls map[string][]string // partition -> record IDs in call order
}

func newScripted() *scripted { return &scripted{calls: map[string][]string{}} }

func (s *scripted) Handle(_ context.Context, rec ordering.Record) error {
	s.mu.Lock()
	s.calls[rec.Partition] = append(s.calls[rec.Partition], rec.ID)
	s.mu.Unlock()
	return behave(rec.ID)
}

func behave(id string) error {
	switch id[strings.LastIndexByte(id, '.')+1:] {
	case "ok":
		return nil
	case "transient":
		return fmt.Errorf("push schedule: %w", io.ErrUnexpectedEOF)
	case "permanent":
		return failure.Permanent(errors.New("unknown detail-type"))
	case "panic":
		panic("handler bug on " + id)
	default:
		panic("test bug: unscripted record " + id)
	}
}

func (s *scripted) callsOf(partition string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls[partition])
}

type memorySink struct {
	mu   sync.Mutex
	got  []string
	fail error
}

func (m *memorySink) Poison(_ context.Context, rec ordering.Record, reason error) error {
	if m.fail != nil {
		return m.fail
	}
	if !failure.IsPermanent(reason) {
		return fmt.Errorf("test: poison called with transient reason %v", reason)
	}
	m.mu.Lock()
	m.got = append(m.got, rec.ID)
	m.mu.Unlock()
	return nil
}

func recs(ids ...string) []ordering.Record {
	out := make([]ordering.Record, len(ids))
	for i, id := range ids {
		out[i] = ordering.Record{Partition: id[:1], ID: id, Data: []byte(`{}`)}
	}
	return out
}

const (
	S = ordering.Succeeded
	F = ordering.Failed
	P = ordering.Poisoned
	K = ordering.Skipped
)

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestProcessOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		records   []ordering.Record
		want      []ordering.Outcome
		wantCalls map[string][]string
		poisoned  []string
	}{
		{
			name:    "empty batch",
			records: nil,
			want:    []ordering.Outcome{},
		},
		{
			name:      "all succeed",
			records:   recs("a1.ok", "b1.ok", "a2.ok"),
			want:      []ordering.Outcome{S, S, S},
			wantCalls: map[string][]string{"a": {"a1.ok", "a2.ok"}, "b": {"b1.ok"}},
		},
		{
			name:    "transient failure mid-partition skips the rest of that partition only",
			records: recs("a1.ok", "b1.ok", "a2.transient", "b2.ok", "a3.ok", "c1.ok", "a4.ok", "b3.ok"),
			want:    []ordering.Outcome{S, S, F, S, K, S, K, S},
			wantCalls: map[string][]string{
				"a": {"a1.ok", "a2.transient"}, "b": {"b1.ok", "b2.ok", "b3.ok"}, "c": {"c1.ok"},
			},
		},
		{
			name:    "several failures in several partitions",
			records: recs("a1.transient", "b1.ok", "b2.transient", "c1.ok", "a2.ok", "b3.ok", "c2.ok"),
			want:    []ordering.Outcome{F, S, F, S, K, K, S},
			wantCalls: map[string][]string{
				"a": {"a1.transient"}, "b": {"b1.ok", "b2.transient"}, "c": {"c1.ok", "c2.ok"},
			},
		},
		{
			name:      "panic is recovered as a transient failure",
			records:   recs("a1.ok", "a2.panic", "a3.ok", "b1.ok"),
			want:      []ordering.Outcome{S, F, K, S},
			wantCalls: map[string][]string{"a": {"a1.ok", "a2.panic"}, "b": {"b1.ok"}},
		},
		{
			name:      "permanent failure is poisoned and the partition continues",
			records:   recs("a1.ok", "a2.permanent", "a3.ok", "b1.permanent"),
			want:      []ordering.Outcome{S, P, S, P},
			wantCalls: map[string][]string{"a": {"a1.ok", "a2.permanent", "a3.ok"}, "b": {"b1.permanent"}},
			poisoned:  []string{"a2.permanent", "b1.permanent"},
		},
		{
			name:      "poison before a transient failure stays poisoned",
			records:   recs("a1.permanent", "a2.transient", "a3.ok"),
			want:      []ordering.Outcome{P, F, K},
			wantCalls: map[string][]string{"a": {"a1.permanent", "a2.transient"}},
			poisoned:  []string{"a1.permanent"},
		},
		{
			name: "duplicate delivery is processed twice, in order",
			records: []ordering.Record{
				{Partition: "a", ID: "a1.ok"}, {Partition: "a", ID: "a1.ok"}, {Partition: "b", ID: "b1.ok"}, {Partition: "a", ID: "a2.ok"},
			},
			want:      []ordering.Outcome{S, S, S, S},
			wantCalls: map[string][]string{"a": {"a1.ok", "a1.ok", "a2.ok"}, "b": {"b1.ok"}},
		},
		{
			name:      "empty partition key is a partition of its own",
			records:   []ordering.Record{{Partition: "", ID: "x1.transient"}, {Partition: "", ID: "x2.ok"}, {Partition: "a", ID: "a1.ok"}},
			want:      []ordering.Outcome{F, K, S},
			wantCalls: map[string][]string{"": {"x1.transient"}, "a": {"a1.ok"}},
		},
	}
	for _, tc := range tests {
		for _, concurrency := range []int{1, 2, 10} {
			t.Run(fmt.Sprintf("%s/concurrency=%d", tc.name, concurrency), func(t *testing.T) {
				h, sink := newScripted(), &memorySink{}
				eng, err := ordering.New(h, ordering.Options{MaxConcurrentPartitions: concurrency, Poison: sink, Logger: quietLogger()})
				if err != nil {
					t.Fatal(err)
				}
				res := eng.Process(context.Background(), tc.records)
				if !slices.Equal(res.Outcomes, tc.want) {
					t.Fatalf("outcomes = %v, want %v", res.Outcomes, tc.want)
				}
				for partition, want := range tc.wantCalls {
					if got := h.callsOf(partition); !slices.Equal(got, want) {
						t.Errorf("partition %q handled %v, want %v", partition, got, want)
					}
				}
				if len(h.calls) != len(tc.wantCalls) {
					t.Errorf("handled partitions %v, want %v", h.calls, tc.wantCalls)
				}
				slices.Sort(sink.got)
				if !slices.Equal(sink.got, tc.poisoned) {
					t.Errorf("poison sink got %v, want %v", sink.got, tc.poisoned)
				}
				checkErrors(t, res)
			})
		}
	}
}

// checkErrors verifies the Errors slice agrees with the outcomes.
func checkErrors(t *testing.T, res ordering.Result) {
	t.Helper()
	if len(res.Errors) != len(res.Outcomes) {
		t.Fatalf("len(Errors) = %d, len(Outcomes) = %d", len(res.Errors), len(res.Outcomes))
	}
	for i, o := range res.Outcomes {
		err := res.Errors[i]
		switch o {
		case ordering.Succeeded:
			if err != nil {
				t.Errorf("record %d succeeded with error %v", i, err)
			}
		case ordering.Poisoned:
			if !failure.IsPermanent(err) {
				t.Errorf("record %d poisoned with non-permanent error %v", i, err)
			}
		case ordering.Failed:
			if err == nil {
				t.Errorf("record %d failed with error %v", i, err)
			}
		case ordering.Skipped:
			if !errors.Is(err, ordering.ErrPartitionBlocked) && !errors.Is(err, ordering.ErrDeadlineNear) && !errors.Is(err, ordering.ErrCanceled) {
				t.Errorf("record %d skipped with unexpected reason %v", i, err)
			}
		}
	}
}

func TestPanicErrorCarriesValueAndStack(t *testing.T) {
	eng, err := ordering.New(newScripted(), ordering.Options{Poison: &memorySink{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	res := eng.Process(context.Background(), recs("a1.panic"))
	var p *ordering.PanicError
	if !errors.As(res.Errors[0], &p) {
		t.Fatalf("error %v is not a *PanicError", res.Errors[0])
	}
	if p.Value != "handler bug on a1.panic" || !strings.Contains(string(p.Stack), "behave") {
		t.Fatalf("panic value %v / stack without the panicking frame:\n%s", p.Value, p.Stack)
	}
}

func TestPoisonSinkFailureFailsTheRecord(t *testing.T) {
	tests := []struct {
		name string
		sink ordering.PoisonSink
	}{
		{"sink returns an error", &memorySink{fail: errors.New("sqs: throttled")}},
		{"sink panics", ordering.PoisonSinkFunc(func(context.Context, ordering.Record, error) error { panic("nil client") })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newScripted()
			eng, err := ordering.New(h, ordering.Options{Poison: tc.sink, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			res := eng.Process(context.Background(), recs("a1.ok", "a2.permanent", "a3.ok", "b1.ok"))
			if want := []ordering.Outcome{S, F, K, S}; !slices.Equal(res.Outcomes, want) {
				t.Fatalf("outcomes = %v, want %v", res.Outcomes, want)
			}
			if !strings.Contains(res.Errors[1].Error(), "poison sink") || !strings.Contains(res.Errors[1].Error(), "unknown detail-type") {
				t.Fatalf("error %q should name both the sink failure and the original reason", res.Errors[1])
			}
			if got := h.callsOf("a"); !slices.Equal(got, []string{"a1.ok", "a2.permanent"}) {
				t.Fatalf("partition a handled %v after a sink failure", got)
			}
		})
	}
}

func TestNewRejectsMissingDependencies(t *testing.T) {
	tests := []struct {
		name    string
		handler ordering.Handler
		opts    ordering.Options
		want    string
	}{
		{"no handler", nil, ordering.Options{Poison: &memorySink{}}, "handler is required"},
		{"no poison sink", newScripted(), ordering.Options{}, "Poison is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ordering.New(tc.handler, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[ordering.Outcome]string{S: "succeeded", F: "failed", P: "poisoned", K: "skipped", 42: "outcome(42)"} {
		if got := o.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(o), got, want)
		}
	}
	for o, want := range map[ordering.Outcome]bool{S: false, F: true, P: false, K: true} {
		if got := o.Retry(); got != want {
			t.Errorf("%v.Retry() = %v, want %v", o, got, want)
		}
	}
}
