package kinesisesm

import (
	"context"
	"crypto/md5"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// MemoryShard is an in-process Shard, for driving the mapping without a
// Kinesis API (tests, and consistency tests that invoke the consumer as a
// Go function). Each Read returns the records appended since the previous
// one. It is safe for concurrent use.
type MemoryShard struct {
	id string

	mu      sync.Mutex
	pending []Record
}

// NewMemoryShard returns a shard holding recs.
func NewMemoryShard(id string, recs ...Record) *MemoryShard {
	return &MemoryShard{id: id, pending: recs}
}

// ID returns the shard id.
func (s *MemoryShard) ID() string { return s.id }

// Append adds records at the end of the shard.
func (s *MemoryShard) Append(recs ...Record) {
	s.mu.Lock()
	s.pending = append(s.pending, recs...)
	s.mu.Unlock()
}

// Read returns the records appended since the last Read.
func (s *MemoryShard) Read(context.Context) ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.pending
	s.pending = nil
	return out, nil
}

// MemoryStream is an in-process stream of evenly split shards: a record
// goes to the shard whose hash key range holds the MD5 of its partition
// key, as Kinesis routes it, and gets the next sequence number of the
// stream (zero-padded, so that they also sort as strings).
type MemoryStream struct {
	shards []*MemoryShard
	now    func() time.Time

	mu  sync.Mutex
	seq int64
}

// NewMemoryStream returns an empty stream of n shards, "shardId-000000000000"
// onwards. now stamps arrival times; nil means time.Now.
func NewMemoryStream(n int, now func() time.Time) (*MemoryStream, error) {
	if n < 1 {
		return nil, fmt.Errorf("memory stream: %d shards: want at least 1", n)
	}
	if now == nil {
		now = time.Now
	}
	s := &MemoryStream{now: now}
	for i := range n {
		s.shards = append(s.shards, NewMemoryShard(fmt.Sprintf("shardId-%012d", i)))
	}
	return s, nil
}

// Shards returns the stream's shards, for New.
func (s *MemoryStream) Shards() []Shard {
	out := make([]Shard, len(s.shards))
	for i, sh := range s.shards {
		out[i] = sh
	}
	return out
}

// Put appends a record to its partition key's shard and returns it.
func (s *MemoryStream) Put(partitionKey string, data []byte) Record {
	shard := s.shards[ShardOf(partitionKey, len(s.shards))]
	s.mu.Lock()
	s.seq++
	rec := Record{
		ShardID:        shard.ID(),
		SequenceNumber: fmt.Sprintf("%056d", s.seq),
		PartitionKey:   partitionKey,
		Data:           data,
		ArrivalTime:    s.now(),
	}
	// Appending under the stream's lock keeps each shard in sequence order.
	shard.Append(rec)
	s.mu.Unlock()
	return rec
}

// hashKeySpace is 2^128, the size of Kinesis's hash key space.
var hashKeySpace = new(big.Int).Lsh(big.NewInt(1), 128)

// ShardOf returns the index of the shard, among n evenly split shards, whose
// hash key range holds the MD5 of partitionKey taken as a 128-bit number.
func ShardOf(partitionKey string, n int) int {
	sum := md5.Sum([]byte(partitionKey))
	h := new(big.Int).SetBytes(sum[:])
	h.Mul(h, big.NewInt(int64(n)))
	return int(h.Div(h, hashKeySpace).Int64())
}
