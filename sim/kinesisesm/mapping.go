package kinesisesm

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Config holds the event source mapping's settings (as synthesized) and
// the emulator's own knobs.
type Config struct {
	BatchSize             int
	ParallelizationFactor int
	// MaxRetryAttempts: -1 retries forever.
	MaxRetryAttempts int
	// MaxRecordAge: 0 or less keeps records forever.
	MaxRecordAge            time.Duration
	BisectBatchOnError      bool
	ReportBatchItemFailures bool

	// StreamARN, FunctionARN and Region appear in payloads and OnFailure.
	StreamARN   string
	FunctionARN string
	Region      string

	// PollInterval is the wait after reading nothing from a shard.
	// Default 50ms.
	PollInterval time.Duration
	// RetryDelay is the wait before retry n (n >= 1) of a failed batch.
	// Default: 50ms doubling up to 1s.
	RetryDelay func(retry int) time.Duration
	// Now defaults to time.Now; tests move record ages with it.
	Now func() time.Time

	// Invoked and Discarded observe the mapping; they must be quick and
	// safe for concurrent use. Discarded is the on-failure destination.
	Invoked   func(Invocation)
	Discarded func(OnFailure)
}

func (c *Config) validate() error {
	var problems []error
	if c.BatchSize < 1 || c.BatchSize > 10000 {
		problems = append(problems, fmt.Errorf("batch size %d: want 1 to 10000", c.BatchSize))
	}
	if c.ParallelizationFactor < 1 || c.ParallelizationFactor > 10 {
		problems = append(problems, fmt.Errorf("parallelization factor %d: want 1 to 10", c.ParallelizationFactor))
	}
	if c.MaxRetryAttempts < -1 || c.MaxRetryAttempts > 10000 {
		problems = append(problems, fmt.Errorf("maximum retry attempts %d: want -1 (forever) or 0 to 10000", c.MaxRetryAttempts))
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 50 * time.Millisecond
	}
	if c.RetryDelay == nil {
		c.RetryDelay = func(retry int) time.Duration {
			return min(50*time.Millisecond<<min(retry-1, 10), time.Second)
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return errors.Join(problems...)
}

// Mapping is a running event source mapping.
type Mapping struct {
	cfg    Config
	invoke Invoker
	shards []Shard
	lanes  map[string][]*lane

	mu          sync.Mutex
	stats       Stats
	delivered   map[string]bool // sequence numbers delivered at least once
	checkpoints map[string]string
	requests    int
}

// New returns a mapping of shards onto the function behind invoke.
func New(cfg Config, invoke Invoker, shards []Shard) (*Mapping, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("kinesis event source mapping: %w", err)
	}
	if len(shards) == 0 {
		return nil, errors.New("kinesis event source mapping: no shards")
	}
	m := &Mapping{
		cfg: cfg, invoke: invoke, shards: shards,
		lanes:       map[string][]*lane{},
		delivered:   map[string]bool{},
		checkpoints: map[string]string{},
	}
	for _, s := range shards {
		for i := range cfg.ParallelizationFactor {
			m.lanes[s.ID()] = append(m.lanes[s.ID()], &lane{shard: s.ID(), index: i, wake: make(chan struct{}, 1)})
		}
	}
	return m, nil
}

// Run polls every shard and invokes the function until ctx ends (then it
// returns nil) or a shard cannot be read.
func (m *Mapping) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, s := range m.shards {
		g.Go(func() error { return m.poll(ctx, s) })
		for _, l := range m.lanes[s.ID()] {
			g.Go(func() error { m.runLane(ctx, l); return nil })
		}
	}
	err := g.Wait()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Stats returns a snapshot of the counters.
func (m *Mapping) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// Checkpoints returns, per "shard/lane", the last sequence number the lane
// has checkpointed past.
func (m *Mapping) Checkpoints() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]string, len(m.checkpoints))
	for k, v := range m.checkpoints {
		out[k] = v
	}
	return out
}

func (m *Mapping) poll(ctx context.Context, s Shard) error {
	lanes := m.lanes[s.ID()]
	for {
		recs, err := s.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("read shard %s: %w", s.ID(), err)
		}
		m.mu.Lock()
		m.stats.Read += len(recs)
		m.mu.Unlock()
		// Hand each lane everything it got from this read at once, so a
		// batch is never cut short by the read being half dispatched.
		perLane := make([][]Record, len(lanes))
		for _, r := range recs {
			i := laneOf(r.PartitionKey, len(lanes))
			perLane[i] = append(perLane[i], r)
		}
		for i, rs := range perLane {
			if len(rs) > 0 {
				lanes[i].push(rs...)
			}
		}
		if len(recs) == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(m.cfg.PollInterval):
			}
		}
	}
}

// laneOf keeps every record of a partition key on one lane, which is what
// keeps per-key order at any parallelization factor.
func laneOf(partitionKey string, lanes int) int {
	if lanes == 1 {
		return 0
	}
	sum := md5.Sum([]byte(partitionKey))
	return int(binary.BigEndian.Uint64(sum[:8]) % uint64(lanes))
}

// lane is one of a shard's concurrent batch processors.
type lane struct {
	shard string
	index int
	wake  chan struct{}

	mu      sync.Mutex
	pending []Record
}

func (l *lane) push(recs ...Record) {
	l.mu.Lock()
	l.pending = append(l.pending, recs...)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// head returns up to n pending records, waiting for at least one.
func (l *lane) head(ctx context.Context, n int) ([]Record, bool) {
	for {
		l.mu.Lock()
		if len(l.pending) > 0 {
			batch := append([]Record(nil), l.pending[:min(n, len(l.pending))]...)
			l.mu.Unlock()
			return batch, true
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, false
		case <-l.wake:
		}
	}
}

// drop removes the first n pending records (they are checkpointed past or
// discarded).
func (l *lane) drop(n int) {
	l.mu.Lock()
	l.pending = l.pending[n:]
	l.mu.Unlock()
}

func (l *lane) key() string { return fmt.Sprintf("%s/%d", l.shard, l.index) }
