package kinesisesm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderly-dev/orderly/infra/onfailure"
)

var epoch = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// records returns n records of shard "s0"; keys[i%len(keys)] is the key of
// record i; sequence numbers are "1".."n" zero-padded to sort.
func records(n int, keys ...string) []Record {
	out := make([]Record, n)
	for i := range out {
		out[i] = Record{
			ShardID:        "s0",
			SequenceNumber: fmt.Sprintf("%03d", i+1),
			PartitionKey:   keys[i%len(keys)],
			Data:           []byte(fmt.Sprintf(`{"n":%d}`, i+1)),
			ArrivalTime:    epoch.Add(time.Duration(i) * time.Millisecond),
		}
	}
	return out
}

// recorder is a scripted function: answer decides the response to each
// delivery (the decoded batch's sequence numbers and how often this exact
// batch start was delivered before).
type recorder struct {
	mu         sync.Mutex
	deliveries [][]string
	answer     func(seqs []string, call int) ([]byte, error)
}

func (r *recorder) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev events.KinesisEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("payload is not a Kinesis event: %w", err)
	}
	seqs := make([]string, len(ev.Records))
	for i, rec := range ev.Records {
		seqs[i] = rec.Kinesis.SequenceNumber
		if rec.EventSource != "aws:kinesis" || len(rec.Kinesis.Data) == 0 {
			return nil, fmt.Errorf("record %d is not a Kinesis record with data: %+v", i, rec)
		}
	}
	r.mu.Lock()
	r.deliveries = append(r.deliveries, seqs)
	call := len(r.deliveries)
	r.mu.Unlock()
	if r.answer == nil {
		return []byte(`{"batchItemFailures":[]}`), nil
	}
	return r.answer(seqs, call)
}

func (r *recorder) got() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.deliveries)
}

func failItems(seqs ...string) []byte {
	resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
	for _, s := range seqs {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: s})
	}
	b, _ := json.Marshal(resp)
	return b
}

// drive runs a mapping until every record is finished and returns the
// mapping and what went to the on-failure destination.
func drive(t *testing.T, cfg Config, inv Invoker, recs []Record) (*Mapping, []OnFailure) {
	t.Helper()
	var mu sync.Mutex
	var discarded []OnFailure
	cfg.Discarded = func(f OnFailure) {
		mu.Lock()
		discarded = append(discarded, f)
		mu.Unlock()
	}
	cfg.PollInterval = time.Millisecond
	if cfg.RetryDelay == nil {
		cfg.RetryDelay = func(int) time.Duration { return 0 }
	}
	m, err := New(cfg, inv, []Shard{NewMemoryShard("s0", recs...)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	deadline := time.After(10 * time.Second)
	for m.Stats().Finished < len(recs) {
		select {
		case err := <-done:
			t.Fatalf("mapping stopped early: %v", err)
		case <-deadline:
			cancel()
			t.Fatalf("not finished after 10s: stats %+v", m.Stats())
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return m, discarded
}

func base() Config {
	return Config{BatchSize: 10, ParallelizationFactor: 1, MaxRetryAttempts: -1, BisectBatchOnError: true, ReportBatchItemFailures: true}
}

func TestPartialFailureCheckpointsAtTheLowestReportedRecord(t *testing.T) {
	cases := []struct {
		name     string
		report   func(seqs []string) []byte
		want     [][]string
		finished string
	}{
		{
			name:   "one failure redelivers it and every later record",
			report: func([]string) []byte { return failItems("003") },
			want:   [][]string{{"001", "002", "003", "004", "005"}, {"003", "004", "005"}},
		},
		{
			name:   "several failures: the lowest wins",
			report: func([]string) []byte { return failItems("004", "002") },
			want:   [][]string{{"001", "002", "003", "004", "005"}, {"002", "003", "004", "005"}},
		},
		{
			name:   "an unknown identifier fails the whole batch",
			report: func([]string) []byte { return failItems("999") },
			want:   [][]string{{"001", "002", "003", "004", "005"}, {"001", "002", "003", "004", "005"}},
		},
		{
			name:   "an empty identifier fails the whole batch",
			report: func([]string) []byte { return failItems("") },
			want:   [][]string{{"001", "002", "003", "004", "005"}, {"001", "002", "003", "004", "005"}},
		},
		{
			name:   "invalid JSON fails the whole batch",
			report: func([]string) []byte { return []byte(`{"batchItemFailures":`) },
			want:   [][]string{{"001", "002", "003", "004", "005"}, {"001", "002", "003", "004", "005"}},
		},
		{
			name:   "null is success",
			report: func([]string) []byte { return []byte(`null`) },
			want:   [][]string{{"001", "002", "003", "004", "005"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fn := &recorder{answer: func(seqs []string, call int) ([]byte, error) {
				if call == 1 {
					return tc.report(seqs), nil
				}
				return failItems(), nil
			}}
			m, discarded := drive(t, base(), fn, records(5, "k"))
			if got := fn.got(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("deliveries\n got %v\nwant %v", got, tc.want)
			}
			if len(discarded) != 0 {
				t.Errorf("discarded %+v, want nothing", discarded)
			}
			if cp := m.Checkpoints()["s0/0"]; cp != "005" {
				t.Errorf("checkpoint %q, want 005", cp)
			}
			redelivered := 0
			for _, d := range tc.want[1:] {
				redelivered += len(d)
			}
			if got := m.Stats().Redelivered; got != redelivered {
				t.Errorf("redelivered %d, want %d", got, redelivered)
			}
		})
	}
}

func TestReportBatchItemFailuresOffIgnoresTheResponse(t *testing.T) {
	fn := &recorder{answer: func([]string, int) ([]byte, error) { return failItems("002"), nil }}
	cfg := base()
	cfg.ReportBatchItemFailures = false
	drive(t, cfg, fn, records(3, "k"))
	if got := fn.got(); len(got) != 1 {
		t.Errorf("deliveries %v: without ReportBatchItemFailures a response is never a failure", got)
	}
}

// failingOn fails every invocation whose batch contains bad.
func failingOn(bad string) *recorder {
	return &recorder{answer: func(seqs []string, _ int) ([]byte, error) {
		if slices.Contains(seqs, bad) {
			return nil, errors.New("function error")
		}
		return failItems(), nil
	}}
}

func TestFunctionErrorsBisectRetryAndDiscard(t *testing.T) {
	cases := []struct {
		name      string
		bisect    bool
		retries   int
		want      [][]string
		discarded [][2]string // start and end sequence numbers
	}{
		{
			name: "bisect isolates the failing record, which is discarded after its retries",
			// Splitting does not use the quota: the single record gets one
			// first try and one retry.
			bisect: true, retries: 1,
			want: [][]string{
				{"001", "002", "003", "004"},
				{"001", "002"}, {"003", "004"},
				{"003"}, {"003"},
				{"004"},
			},
			discarded: [][2]string{{"003", "003"}},
		},
		{
			name:   "without bisect the whole batch is retried, then discarded",
			bisect: false, retries: 2,
			want: [][]string{
				{"001", "002", "003", "004"}, {"001", "002", "003", "004"}, {"001", "002", "003", "004"},
			},
			discarded: [][2]string{{"001", "004"}},
		},
		{
			name:   "zero retries discards at the first failure",
			bisect: false, retries: 0,
			want:      [][]string{{"001", "002", "003", "004"}},
			discarded: [][2]string{{"001", "004"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fn := failingOn("003")
			cfg := base()
			cfg.BatchSize = 4
			cfg.BisectBatchOnError = tc.bisect
			cfg.MaxRetryAttempts = tc.retries
			m, discarded := drive(t, cfg, fn, records(4, "k"))
			if got := fn.got(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("deliveries\n got %v\nwant %v", got, tc.want)
			}
			var ranges [][2]string
			for _, d := range discarded {
				if d.RequestContext.Condition != onfailure.RetryAttemptsExhausted {
					t.Errorf("condition %q, want %q", d.RequestContext.Condition, onfailure.RetryAttemptsExhausted)
				}
				info := d.KinesisBatchInfo
				if info.BatchSize != len(d.Records) || info.ShardID != "s0" {
					t.Errorf("batch info %+v does not describe its %d records", info, len(d.Records))
				}
				ranges = append(ranges, [2]string{info.StartSequenceNumber, info.EndSequenceNumber})
			}
			if !reflect.DeepEqual(ranges, tc.discarded) {
				t.Errorf("discarded ranges %v, want %v", ranges, tc.discarded)
			}
			if got := m.Stats().Discarded; got != countRange(tc.discarded) {
				t.Errorf("stats discarded %d, want %d", got, countRange(tc.discarded))
			}
		})
	}
}

func countRange(rs [][2]string) int {
	n := 0
	for _, r := range rs {
		var a, b int
		fmt.Sscan(r[0], &a)
		fmt.Sscan(r[1], &b)
		n += b - a + 1
	}
	return n
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestMaximumRecordAge(t *testing.T) {
	t.Run("records already too old are discarded unseen", func(t *testing.T) {
		recs := records(4, "k")
		c := &clock{now: epoch.Add(90 * time.Second)}
		// The last two arrived recently enough.
		recs[2].ArrivalTime = epoch.Add(60 * time.Second)
		recs[3].ArrivalTime = epoch.Add(61 * time.Second)
		fn := &recorder{}
		cfg := base()
		cfg.MaxRecordAge = time.Minute
		cfg.Now = c.Now
		_, discarded := drive(t, cfg, fn, recs)
		if got := fn.got(); !reflect.DeepEqual(got, [][]string{{"003", "004"}}) {
			t.Errorf("deliveries %v, want only the young records", got)
		}
		if len(discarded) != 1 || discarded[0].RequestContext.Condition != onfailure.RecordAgeExceeded || len(discarded[0].Records) != 2 {
			t.Errorf("discarded %+v, want the two old records for %s", discarded, onfailure.RecordAgeExceeded)
		}
	})
	t.Run("a record retried forever is discarded once it is too old", func(t *testing.T) {
		c := &clock{now: epoch}
		fn := failingOn("001")
		cfg := base()
		cfg.MaxRecordAge = time.Minute
		cfg.Now = c.Now
		cfg.RetryDelay = func(int) time.Duration { c.advance(25 * time.Second); return 0 }
		_, discarded := drive(t, cfg, fn, records(1, "k"))
		// Delivered at 0s, 25s, 50s; at 75s it is older than a minute.
		if got := len(fn.got()); got != 3 {
			t.Errorf("%d deliveries, want 3", got)
		}
		if len(discarded) != 1 || discarded[0].RequestContext.Condition != onfailure.RecordAgeExceeded {
			t.Errorf("discarded %+v, want one %s", discarded, onfailure.RecordAgeExceeded)
		}
	})
}

func TestParallelizationKeepsPerKeyOrder(t *testing.T) {
	const factor = 3
	// Pick keys so that every lane has some.
	var keys []string
	seen := map[int]int{}
	for i := 0; len(keys) < 9; i++ {
		k := fmt.Sprintf("2026-12-%02d", i%28+1) + fmt.Sprint(i/28)
		if l := laneOf(k, factor); seen[l] < 3 {
			seen[l]++
			keys = append(keys, k)
		}
	}
	const seed = 1
	rng := rand.New(rand.NewPCG(seed, 1))
	var rngMu sync.Mutex

	recs := records(300, keys...)
	keyOf := map[string]string{}
	for _, r := range recs {
		keyOf[r.SequenceNumber] = r.PartitionKey
	}
	var mu sync.Mutex
	inFlight := map[string]bool{}
	maxConcurrent, concurrent := 0, 0
	var order []string
	// All lanes must be in flight at once before anyone returns: proves
	// the lanes run concurrently, without timing assumptions.
	var arrived sync.WaitGroup
	arrived.Add(factor)
	var once [factor]sync.Once
	gate := make(chan struct{})
	go func() { arrived.Wait(); close(gate) }()

	fn := &recorder{answer: func(seqs []string, _ int) ([]byte, error) {
		mu.Lock()
		lane := laneOf(keyOf[seqs[0]], factor)
		batchKeys := map[string]bool{}
		for _, s := range seqs {
			batchKeys[keyOf[s]] = true
		}
		for k := range batchKeys {
			if inFlight[k] {
				t.Errorf("key %s delivered to two concurrent batches", k)
			}
			inFlight[k] = true
			if laneOf(k, factor) != lane {
				t.Errorf("batch mixes lanes: %v", seqs)
			}
		}
		concurrent++
		maxConcurrent = max(maxConcurrent, concurrent)
		mu.Unlock()
		once[lane].Do(arrived.Done)
		select {
		case <-gate:
		case <-time.After(5 * time.Second):
			t.Error("lanes did not run concurrently within 5s")
		}
		rngMu.Lock()
		fail := rng.IntN(4) == 0
		pick := rng.IntN(len(seqs))
		rngMu.Unlock()
		mu.Lock()
		concurrent--
		for _, s := range seqs {
			delete(inFlight, keyOf[s])
		}
		done := seqs
		if fail {
			done = seqs[:pick]
		}
		order = append(order, done...)
		mu.Unlock()
		if fail {
			return failItems(seqs[pick]), nil
		}
		return failItems(), nil
	}}
	cfg := base()
	cfg.ParallelizationFactor = factor
	cfg.BatchSize = 7
	drive(t, cfg, fn, recs)

	if maxConcurrent != factor {
		t.Errorf("seed %d: at most %d batches ran at once, want %d (one per lane)", seed, maxConcurrent, factor)
	}
	// Per key, records completed in shard order, each exactly once.
	last := map[string]string{}
	count := map[string]int{}
	for _, s := range order {
		k := keyOf[s]
		if s <= last[k] {
			t.Errorf("key %s: %s completed after %s", k, s, last[k])
		}
		last[k] = s
		count[s]++
	}
	if len(count) != len(recs) {
		t.Errorf("%d records completed, want %d", len(count), len(recs))
	}
	for s, n := range count {
		if n != 1 {
			t.Errorf("record %s completed %d times", s, n)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{BatchSize: 0, ParallelizationFactor: 1}, "batch size 0"},
		{Config{BatchSize: 1, ParallelizationFactor: 11}, "parallelization factor 11"},
		{Config{BatchSize: 1, ParallelizationFactor: 1, MaxRetryAttempts: -2}, "retry attempts -2"},
	}
	for _, tc := range cases {
		_, err := New(tc.cfg, &recorder{}, []Shard{NewMemoryShard("s")})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", tc.cfg, err, tc.want)
		}
	}
}
