package ordering_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

// chunky is a ChunkHandler over scripted records (see scripted) that models
// a downstream written once per chunk. Per record, Handle behaves as
// scripted does, and an "ok" or "cut" record takes effect. A chunk takes
// effect as one write: it is taken up to (not including) its first "cut"
// record after the first, like a handler that ends a chunk before a second
// change of one entity; a "transient" or "panic" record in it fails the
// whole write (Err, nothing takes effect), and a "permanent" record is
// reported alone.
type chunky struct {
	mu      sync.Mutex
	effects map[string][]string // partition -> record ids that took effect, in order
	handles []string            // record ids passed to Handle
	chunks  [][]string          // record ids offered to HandleChunk, per call
	// result, when set, replaces the ChunkResult (contract violations).
	result func(ordering.Chunk) ordering.ChunkResult
	clock  *fakeClock // advanced by perCall on every call, when set
}

const perCall = time.Second

func newChunky() *chunky { return &chunky{effects: map[string][]string{}} }

func behaviour(id string) string { return id[strings.LastIndexByte(id, '.')+1:] }

func (c *chunky) tick() {
	if c.clock != nil {
		c.clock.Advance(perCall)
	}
}

func (c *chunky) Handle(_ context.Context, rec ordering.Record) error {
	c.tick()
	c.mu.Lock()
	c.handles = append(c.handles, rec.ID)
	c.mu.Unlock()
	if behaviour(rec.ID) == "cut" {
		c.land(rec)
		return nil
	}
	err := behave(rec.ID)
	if err == nil {
		c.land(rec)
	}
	return err
}

func (c *chunky) land(recs ...ordering.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range recs {
		c.effects[r.Partition] = append(c.effects[r.Partition], r.ID)
	}
}

func (c *chunky) HandleChunk(_ context.Context, chunk ordering.Chunk) ordering.ChunkResult {
	c.tick()
	ids := make([]string, len(chunk.Records))
	for i, r := range chunk.Records {
		ids[i] = r.ID
	}
	c.mu.Lock()
	c.chunks = append(c.chunks, ids)
	c.mu.Unlock()
	if c.result != nil {
		return c.result(chunk)
	}
	n := 1
	for n < len(chunk.Records) && behaviour(chunk.Records[n].ID) != "cut" {
		n++
	}
	res := ordering.ChunkResult{Handled: n, Errors: make([]error, n)}
	var write []ordering.Record
	for i, r := range chunk.Records[:n] {
		switch behaviour(r.ID) {
		case "ok", "cut":
			write = append(write, r)
		case "permanent":
			res.Errors[i] = behave(r.ID)
		case "panic":
			panic("chunk handler bug on " + r.ID)
		default:
			return ordering.ChunkResult{Handled: n, Err: fmt.Errorf("push of %d changes: %w", n, errors.New("HTTP 503"))}
		}
	}
	c.land(write...)
	return res
}

func newCoalescing(t *testing.T, h ordering.Handler, sink ordering.PoisonSink, opts ordering.Options) *ordering.Engine {
	t.Helper()
	opts.Poison, opts.Logger, opts.Coalesce = sink, quietLogger(), true
	if opts.SerializeBy == nil {
		opts.SerializeBy = func(r ordering.Record) (string, bool) { return r.Partition, true }
	}
	eng, err := ordering.New(h, opts)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func TestCoalescing(t *testing.T) {
	tests := []struct {
		name     string
		records  []ordering.Record
		maxChunk int
		want     []ordering.Outcome
		chunks   [][]string // offered to HandleChunk
		handles  []string   // run one at a time
		poisoned []string
	}{
		{
			name:    "a run of one key is one chunk; other keys run alone or in their own chunk",
			records: recs("a1.ok", "a2.ok", "b1.ok", "a3.ok", "c1.ok", "c2.ok"),
			want:    []ordering.Outcome{S, S, S, S, S, S},
			chunks:  [][]string{{"a1.ok", "a2.ok", "a3.ok"}, {"c1.ok", "c2.ok"}},
			handles: []string{"b1.ok"},
		},
		{
			name:     "a poison record is poisoned on its own and the others stand",
			records:  recs("a1.ok", "a2.permanent", "a3.ok"),
			want:     []ordering.Outcome{S, P, S},
			chunks:   [][]string{{"a1.ok", "a2.permanent", "a3.ok"}},
			poisoned: []string{"a2.permanent"},
		},
		{
			name:    "a failed chunk runs one record at a time: earlier records applied, the failing one fails, the rest skipped",
			records: recs("a1.ok", "a2.ok", "a3.transient", "a4.ok"),
			want:    []ordering.Outcome{S, S, F, K},
			chunks:  [][]string{{"a1.ok", "a2.ok", "a3.transient", "a4.ok"}},
			handles: []string{"a1.ok", "a2.ok", "a3.transient"},
		},
		{
			name:     "a failed chunk with a poison record: it is poisoned once, in the fallback",
			records:  recs("a1.permanent", "a2.transient", "a3.ok"),
			want:     []ordering.Outcome{P, F, K},
			chunks:   [][]string{{"a1.permanent", "a2.transient", "a3.ok"}},
			handles:  []string{"a1.permanent", "a2.transient"},
			poisoned: []string{"a1.permanent"},
		},
		{
			name:    "a panicking chunk handler falls back",
			records: recs("a1.ok", "a2.panic", "a3.ok"),
			want:    []ordering.Outcome{S, F, K},
			chunks:  [][]string{{"a1.ok", "a2.panic", "a3.ok"}},
			handles: []string{"a1.ok", "a2.panic"},
		},
		{
			name:    "the handler takes a prefix; the rest is offered again",
			records: recs("a1.ok", "a2.ok", "a3.cut", "a4.ok", "a5.cut"),
			want:    []ordering.Outcome{S, S, S, S, S},
			chunks:  [][]string{{"a1.ok", "a2.ok", "a3.cut", "a4.ok", "a5.cut"}, {"a3.cut", "a4.ok", "a5.cut"}},
			handles: []string{"a5.cut"}, // a chunk of one is a record on its own
		},
		{
			name:     "MaxChunk bounds a chunk",
			records:  recs("a1.ok", "a2.ok", "a3.ok", "a4.ok", "a5.ok"),
			maxChunk: 2,
			want:     []ordering.Outcome{S, S, S, S, S},
			chunks:   [][]string{{"a1.ok", "a2.ok"}, {"a3.ok", "a4.ok"}},
			handles:  []string{"a5.ok"},
		},
		{
			name:     "MaxChunk 1 turns coalescing off",
			records:  recs("a1.ok", "a2.ok"),
			maxChunk: 1,
			want:     []ordering.Outcome{S, S},
			handles:  []string{"a1.ok", "a2.ok"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, sink := newChunky(), &memorySink{}
			// One partition at a time keeps the call lists deterministic.
			eng := newCoalescing(t, h, sink, ordering.Options{MaxChunk: tc.maxChunk, MaxConcurrentPartitions: 1})
			res := eng.Process(context.Background(), tc.records)
			if !slices.Equal(res.Outcomes, tc.want) {
				t.Fatalf("outcomes = %v, want %v (errors %v)", res.Outcomes, tc.want, res.Errors)
			}
			checkErrors(t, res)
			if !slices.EqualFunc(h.chunks, tc.chunks, slices.Equal) {
				t.Errorf("chunks offered %v, want %v", h.chunks, tc.chunks)
			}
			if !slices.Equal(h.handles, tc.handles) {
				t.Errorf("records run one at a time %v, want %v", h.handles, tc.handles)
			}
			if !slices.Equal(sink.got, tc.poisoned) {
				t.Errorf("poison sink got %v, want %v", sink.got, tc.poisoned)
			}
		})
	}
}

// TestCoalescingNeverChangesAnOutcome runs random batches through two
// engines, one coalescing and one not, and requires identical outcomes,
// errors, poison sink contents and effects per partition.
func TestCoalescingNeverChangesAnOutcome(t *testing.T) {
	behaviours := []string{"ok", "ok", "ok", "ok", "ok", "cut", "permanent", "transient", "panic"}
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 1))
		ids := make([]string, 1+rng.IntN(30))
		for i := range ids {
			p := "abc"[rng.IntN(1+rng.IntN(3))]
			ids[i] = fmt.Sprintf("%c%d.%s", p, i, behaviours[rng.IntN(len(behaviours))])
		}
		batch := recs(ids...)
		run := func(coalesce bool) (ordering.Result, *chunky, *memorySink) {
			h, sink := newChunky(), &memorySink{}
			opts := ordering.Options{Poison: sink, Logger: quietLogger(), MaxChunk: 1 + rng.IntN(8),
				SerializeBy: func(r ordering.Record) (string, bool) { return r.Partition, true }, Coalesce: coalesce}
			eng, err := ordering.New(h, opts)
			if err != nil {
				t.Fatal(err)
			}
			return eng.Process(context.Background(), batch), h, sink
		}
		off, hOff, sinkOff := run(false)
		on, hOn, sinkOn := run(true)
		if !slices.Equal(on.Outcomes, off.Outcomes) {
			t.Fatalf("seed %d, batch %v: outcomes coalesced %v, one at a time %v", seed, ids, on.Outcomes, off.Outcomes)
		}
		for i := range on.Errors {
			if fmt.Sprint(on.Errors[i]) != fmt.Sprint(off.Errors[i]) && behaviour(ids[i]) != "panic" {
				t.Fatalf("seed %d, record %s: error coalesced %v, one at a time %v", seed, ids[i], on.Errors[i], off.Errors[i])
			}
		}
		slices.Sort(sinkOn.got)
		slices.Sort(sinkOff.got)
		if !slices.Equal(sinkOn.got, sinkOff.got) {
			t.Fatalf("seed %d: poisoned coalesced %v, one at a time %v", seed, sinkOn.got, sinkOff.got)
		}
		for p, want := range hOff.effects {
			if got := hOn.effects[p]; !slices.Equal(got, want) {
				t.Fatalf("seed %d, partition %s: effects coalesced %v, one at a time %v", seed, p, got, want)
			}
		}
		if len(hOn.effects) != len(hOff.effects) {
			t.Fatalf("seed %d: effects coalesced %v, one at a time %v", seed, hOn.effects, hOff.effects)
		}
	}
}

func TestCoalescingChecksTheDeadlineBeforeEachChunkAndFallbackRecord(t *testing.T) {
	tests := []struct {
		name     string
		timeLeft time.Duration
		records  []ordering.Record
		want     []ordering.Outcome
	}{
		// Every call takes a second; the margin is 2 s.
		{"the second chunk would start inside the margin", 2500 * time.Millisecond,
			recs("a1.ok", "a2.cut", "a3.ok"), []ordering.Outcome{S, K, K}},
		{"the fallback stops inside the margin", 3500 * time.Millisecond,
			recs("a1.ok", "a2.ok", "a3.transient"), []ordering.Outcome{S, K, K}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{}
			h := newChunky()
			h.clock = clock
			eng := newCoalescing(t, h, &memorySink{}, ordering.Options{DeadlineMargin: 2 * time.Second, Now: clock.Now})
			// Only the fake clock moves towards the deadline (see
			// TestDeadlineStopsStartingRecords).
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
			defer cancel()
			deadline, _ := ctx.Deadline()
			clock.now = deadline.Add(-tc.timeLeft)
			res := eng.Process(ctx, tc.records)
			if !slices.Equal(res.Outcomes, tc.want) {
				t.Fatalf("outcomes = %v, want %v (errors %v)", res.Outcomes, tc.want, res.Errors)
			}
			for i, o := range res.Outcomes {
				if o == ordering.Skipped && !errors.Is(res.Errors[i], ordering.ErrDeadlineNear) {
					t.Errorf("record %d skipped for %v, want the deadline", i, res.Errors[i])
				}
			}
		})
	}
}

// A handler that breaks the ChunkResult contract gets its records run one
// at a time, never a made-up outcome.
func TestCoalescingFallsBackOnContractViolations(t *testing.T) {
	tests := []struct {
		name   string
		result ordering.ChunkResult
	}{
		{"nothing handled", ordering.ChunkResult{}},
		{"more handled than offered", ordering.ChunkResult{Handled: 9, Errors: make([]error, 9)}},
		{"too few errors", ordering.ChunkResult{Handled: 3, Errors: make([]error, 2)}},
		{"a transient error for one record", ordering.ChunkResult{Handled: 3, Errors: []error{nil, errors.New("HTTP 503"), nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, sink := newChunky(), &memorySink{}
			h.result = func(ordering.Chunk) ordering.ChunkResult { return tc.result }
			eng := newCoalescing(t, h, sink, ordering.Options{})
			res := eng.Process(context.Background(), recs("a1.ok", "a2.permanent", "a3.ok"))
			if want := []ordering.Outcome{S, P, S}; !slices.Equal(res.Outcomes, want) {
				t.Fatalf("outcomes = %v, want %v", res.Outcomes, want)
			}
			if want := []string{"a1.ok", "a2.permanent", "a3.ok"}; !slices.Equal(h.handles, want) {
				t.Fatalf("records run one at a time %v, want %v", h.handles, want)
			}
		})
	}
}

func TestCoalescingPoisonSinkFailureSkipsTheRestOfTheChain(t *testing.T) {
	h := newChunky()
	eng := newCoalescing(t, h, &memorySink{fail: errors.New("sqs: throttled")}, ordering.Options{})
	res := eng.Process(context.Background(), recs("a1.ok", "a2.permanent", "a3.ok", "b1.ok", "a4.ok"))
	if want := []ordering.Outcome{S, F, K, S, K}; !slices.Equal(res.Outcomes, want) {
		t.Fatalf("outcomes = %v, want %v (errors %v)", res.Outcomes, want, res.Errors)
	}
	checkErrors(t, res)
}

func TestCoalesceNeedsSerializeByAndAChunkHandler(t *testing.T) {
	key := func(r ordering.Record) (string, bool) { return r.Partition, true }
	tests := []struct {
		name    string
		handler ordering.Handler
		opts    ordering.Options
		want    string
	}{
		{"no SerializeBy", newChunky(), ordering.Options{Coalesce: true}, "Coalesce needs Options.SerializeBy"},
		{"no ChunkHandler", newScripted(), ordering.Options{Coalesce: true, SerializeBy: key}, "*ordering_test.scripted does not"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Poison = &memorySink{}
			if _, err := ordering.New(tc.handler, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

// Each record of a chunk still gets its own outcome line, with the chunk
// size; a fallback is logged once, as a warning naming the key.
func TestCoalescingLogs(t *testing.T) {
	var out lockedBuffer
	eng, err := ordering.New(newChunky(), ordering.Options{Poison: &memorySink{}, Coalesce: true,
		SerializeBy: func(r ordering.Record) (string, bool) { return r.Partition, true },
		Logger:      slog.New(slog.NewJSONHandler(&out, nil))})
	if err != nil {
		t.Fatal(err)
	}
	eng.Process(context.Background(), recs("a1.ok", "a2.ok", "b1.ok", "b2.transient"))
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, l)
		}
		lines = append(lines, m)
	}
	chunked, fallbacks := map[string]any{}, 0
	for _, m := range lines {
		switch m["msg"] {
		case "record processed":
			chunked[m["recordId"].(string)] = m["chunk"]
		case "coalesced chunk failed: running its records one at a time":
			fallbacks++
			if m["key"] != "b" || m["records"] != 2.0 || !strings.Contains(m["error"].(string), "HTTP 503") {
				t.Errorf("fallback line %v: want key b, 2 records and the error", m)
			}
		}
	}
	want := map[string]any{"a1.ok": 2.0, "a2.ok": 2.0, "b1.ok": nil, "b2.transient": nil}
	if fmt.Sprint(chunked) != fmt.Sprint(want) || fallbacks != 1 {
		t.Fatalf("chunk attribute per record %v, want %v; %d fallback lines, want 1", chunked, want, fallbacks)
	}
}

// slowSink is a poison sink whose every send takes perCall on the clock.
type slowSink struct {
	memorySink
	clock *fakeClock
}

func (s *slowSink) Poison(ctx context.Context, rec ordering.Record, reason error) error {
	s.clock.Advance(perCall)
	return s.memorySink.Poison(ctx, rec, reason)
}

// A chunk full of records the handler rejects sends each to the poison
// sink; those sends are work like records, so the deadline is checked
// before each, as it would be one record at a time.
func TestCoalescingChecksTheDeadlineBeforeEachPoisonSend(t *testing.T) {
	clock := &fakeClock{}
	h := newChunky()
	h.clock = clock
	sink := &slowSink{clock: clock}
	eng := newCoalescing(t, h, sink, ordering.Options{DeadlineMargin: 2 * time.Second, Now: clock.Now})
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
	defer cancel()
	deadline, _ := ctx.Deadline()
	// 3.5 s left: the chunk (1 s) and the first send (1 s) start; the
	// second send would start with 1.5 s left, inside the 2 s margin.
	clock.now = deadline.Add(-3500 * time.Millisecond)
	res := eng.Process(ctx, recs("a1.permanent", "a2.permanent", "a3.permanent", "a4.ok"))
	if want := []ordering.Outcome{P, K, K, K}; !slices.Equal(res.Outcomes, want) {
		t.Fatalf("outcomes = %v, want %v (errors %v)", res.Outcomes, want, res.Errors)
	}
	for i, o := range res.Outcomes {
		if o == ordering.Skipped && !errors.Is(res.Errors[i], ordering.ErrDeadlineNear) {
			t.Errorf("record %d skipped for %v, want the deadline", i, res.Errors[i])
		}
	}
	if len(sink.got) != 1 {
		t.Errorf("poison sink got %v, want only the first record", sink.got)
	}
}
