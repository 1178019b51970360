package config

import (
	"fmt"
	"strings"
)

// suggest returns ` (did you mean "x"?)` for the closest candidate, comparing
// both full names and their last segment, so `shardCount` finds
// `kinesis.shardCount`.
func suggest(name string, candidates []string) string {
	best, dist := closest(name, candidates)
	if best == "" || dist > maxTypoDistance(name) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func maxTypoDistance(name string) int {
	return max(2, len(name)/4)
}

func closest(name string, candidates []string) (string, int) {
	best, bestDist := "", -1
	lower := strings.ToLower(name)
	for _, c := range candidates {
		d := levenshtein(lower, strings.ToLower(c))
		if i := strings.LastIndex(c, "."); i >= 0 {
			d = min(d, levenshtein(lower, strings.ToLower(c[i+1:])))
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, bestDist
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
