package plan

import (
	"crypto/md5"
	"fmt"
	"math/big"
)

// HashRange is the inclusive range of 128-bit hash keys one shard owns.
type HashRange struct {
	Start, End *big.Int
}

// hashSpace is 2^128, the number of Kinesis hash keys.
var hashSpace = new(big.Int).Lsh(big.NewInt(1), 128)

// UniformHashRanges returns the hash-key ranges of a provisioned stream
// created with n shards: CreateStream gives each shard floor(2^128/n) keys,
// in order, and the last shard also takes the remainder up to 2^128-1.
// kinesalite (test: sim/pipeline) splits identically.
func UniformHashRanges(n int) ([]HashRange, error) {
	if n < 1 {
		return nil, fmt.Errorf("shard count %d: want at least 1", n)
	}
	width := new(big.Int).Div(hashSpace, big.NewInt(int64(n)))
	ranges := make([]HashRange, n)
	for i := range ranges {
		start := new(big.Int).Mul(width, big.NewInt(int64(i)))
		end := new(big.Int).Mul(width, big.NewInt(int64(i+1)))
		if i == n-1 {
			end.Set(hashSpace)
		}
		ranges[i] = HashRange{Start: start, End: end.Sub(end, big.NewInt(1))}
	}
	return ranges, nil
}

// HashKey is the 128-bit hash key Kinesis derives from a partition key:
// the MD5 of its UTF-8 bytes, read as a big-endian unsigned integer.
func HashKey(partitionKey string) *big.Int {
	sum := md5.Sum([]byte(partitionKey))
	return new(big.Int).SetBytes(sum[:])
}

// ShardIndex returns the index of the range holding partitionKey's hash
// key (EventBridge cannot set an explicit hash key).
func ShardIndex(partitionKey string, ranges []HashRange) int {
	h := HashKey(partitionKey)
	for i, r := range ranges {
		if h.Cmp(r.Start) >= 0 && h.Cmp(r.End) <= 0 {
			return i
		}
	}
	// Unreachable for ranges that cover the hash space.
	panic(fmt.Sprintf("plan: hash key %s of %q is in no range", h, partitionKey))
}
