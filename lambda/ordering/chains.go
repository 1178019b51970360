package ordering

import "slices"

// SplitKey is a serialization key that one batch delivered under more than
// one partition: a producer or a routing rule put records of one key into
// different partitions. The engine still runs them one after another
// within the batch, but separate invocations could run them at once.
type SplitKey struct {
	Key        string
	Partitions []string // in order of first appearance
}

// recordKey is a record's serialization key, if it has one.
type recordKey struct {
	key string
	ok  bool
}

// keysOf computes every record's key once per batch (keyOf may have to
// decode the payload); nil without keyOf.
func keysOf(recs []Record, keyOf func(Record) (string, bool)) []recordKey {
	if keyOf == nil {
		return nil
	}
	keys := make([]recordKey, len(recs))
	for i, r := range recs {
		keys[i].key, keys[i].ok = keyOf(r)
	}
	return keys
}

// chains returns the records that must run one after another, as indices
// in delivery order, in order of first appearance. Without keys a chain is
// a partition. With them, two records share a chain when they share a
// partition or a key, transitively, so that neither a partition's order nor
// a key's read-modify-write is ever split across concurrent goroutines.
func chains(recs []Record, keys []recordKey) (out [][]int, split []SplitKey) {
	if keys == nil {
		return groupByPartition(recs), nil
	}
	// Union-find over partitions: a key seen under several partitions
	// joins them.
	partitionOf := make(map[string]int, 16)
	var parent []int
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	keyPartitions := map[string][]string{}
	var keyOrder []string
	part := make([]int, len(recs))
	for i, r := range recs {
		p, ok := partitionOf[r.Partition]
		if !ok {
			p = len(parent)
			partitionOf[r.Partition] = p
			parent = append(parent, p)
		}
		part[i] = p
		key, ok := keys[i].key, keys[i].ok
		if !ok {
			continue
		}
		seen, known := keyPartitions[key]
		if !known {
			keyOrder = append(keyOrder, key)
		}
		if !slices.Contains(seen, r.Partition) {
			if len(seen) > 0 {
				first := partitionOf[seen[0]]
				if a, b := find(first), find(p); a != b {
					parent[max(a, b)] = min(a, b)
				}
			}
			keyPartitions[key] = append(seen, r.Partition)
		}
	}
	index := map[int]int{}
	for i := range recs {
		root := find(part[i])
		c, ok := index[root]
		if !ok {
			c = len(out)
			index[root] = c
			out = append(out, make([]int, 0, 4))
		}
		out[c] = append(out[c], i)
	}
	for _, key := range keyOrder {
		if ps := keyPartitions[key]; len(ps) > 1 {
			split = append(split, SplitKey{Key: key, Partitions: ps})
		}
	}
	return out, split
}

// groupByPartition returns, per partition in order of first appearance, the
// indices of its records in delivery order.
func groupByPartition(recs []Record) [][]int {
	index := make(map[string]int, 16)
	var groups [][]int
	for i := range recs {
		g, ok := index[recs[i].Partition]
		if !ok {
			g = len(groups)
			index[recs[i].Partition] = g
			groups = append(groups, make([]int, 0, 4))
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}
