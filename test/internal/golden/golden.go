// Package golden compares output with golden files under testdata, in the
// `go test -update` idiom, and prints a readable line diff on mismatch.
package golden

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check compares got with the file at path. With update it rewrites the
// file instead. A missing file is a failure that says how to create it.
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file %s: %v (run `make snapshots` to create it)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s does not match (- golden, + synthesized); if the change is intended, run `make snapshots`:\n%s",
			path, Diff(string(want), string(got), 3))
	}
}

// Diff returns a unified-style line diff of a and b with the given lines of
// context around each change.
func Diff(a, b string, context int) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	ops := lineOps(al, bl)
	var out strings.Builder
	lastPrinted := -1
	for i, op := range ops {
		if op.kind == ' ' {
			continue
		}
		start := max(i-context, lastPrinted+1)
		if start > lastPrinted+1 && lastPrinted >= 0 {
			out.WriteString("...\n")
		}
		for j := start; j < i; j++ {
			fmt.Fprintf(&out, "  %s\n", ops[j].text)
		}
		fmt.Fprintf(&out, "%c %s\n", op.kind, op.text)
		lastPrinted = i
		for j := i + 1; j < len(ops) && j <= i+context && ops[j].kind == ' '; j++ {
			fmt.Fprintf(&out, "  %s\n", ops[j].text)
			lastPrinted = j
		}
	}
	return out.String()
}

type lineOp struct {
	kind byte // ' ', '-', '+'
	text string
}

// lineOps is a longest-common-subsequence diff; templates are a few
// thousand lines, so the quadratic table is small.
func lineOps(a, b []string) []lineOp {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []lineOp
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			ops = append(ops, lineOp{' ', a[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			ops = append(ops, lineOp{'-', a[i]})
			i++
		default:
			ops = append(ops, lineOp{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, lineOp{'-', a[i]})
	}
	for ; j < m; j++ {
		ops = append(ops, lineOp{'+', b[j]})
	}
	return ops
}
