package kinesisesm

import (
	"context"
	"testing"
	"time"
)

func TestShardOfUsesTheHashKeyRanges(t *testing.T) {
	// MD5("") = d41d8cd9...: 0.829 of the hash key space.
	for n, want := range map[int]int{1: 0, 2: 1, 4: 3, 7: 5, 10: 8} {
		if got := ShardOf("", n); got != want {
			t.Errorf("ShardOf(\"\", %d) = %d, want %d", n, got, want)
		}
	}
}

func TestMemoryStreamRoutesByKeyInSequence(t *testing.T) {
	s, err := NewMemoryStream(3, func() time.Time { return epoch })
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"}
	var put []Record
	for i := range 20 {
		put = append(put, s.Put(keys[i%len(keys)], []byte{byte(i)}))
	}
	shards := s.Shards()
	got := 0
	for i, sh := range shards {
		recs, _ := sh.Read(context.Background())
		prev := ""
		for _, r := range recs {
			if ShardOf(r.PartitionKey, len(shards)) != i || r.ShardID != sh.ID() {
				t.Errorf("record %+v on shard %d (%s)", r, i, sh.ID())
			}
			if r.SequenceNumber <= prev {
				t.Errorf("shard %s: sequence number %s after %s", sh.ID(), r.SequenceNumber, prev)
			}
			prev = r.SequenceNumber
		}
		got += len(recs)
		if again, _ := sh.Read(context.Background()); len(again) != 0 {
			t.Errorf("shard %s: second read returned %d records, want none", sh.ID(), len(again))
		}
	}
	if got != len(put) {
		t.Errorf("read %d records, put %d", got, len(put))
	}
	if _, err := NewMemoryStream(0, nil); err == nil {
		t.Error("NewMemoryStream(0) succeeded, want an error")
	}
}
