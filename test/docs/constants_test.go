package docs

import (
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"testing"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
)

// factorOfTimeout finds "N × the function timeout" and its spellings: the
// pages state the FIFO visibility timeout in words, for readers, and this
// keeps each statement equal to the constant the stacks use.
var factorOfTimeout = regexp.MustCompile("(\\d+) ?[×x] ?(?:the function timeout|`?function\\.timeoutSeconds`?)")

// factorsIn returns every factor stated in text.
func factorsIn(text string) []int {
	var out []int
	for _, m := range factorOfTimeout.FindAllStringSubmatch(text, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

func TestFactorsIn(t *testing.T) {
	got := fmt.Sprint(factorsIn("timeout 6 × the function timeout; (5 × `function.timeoutSeconds`), 7x function.timeoutSeconds = 70; 2 × api.callTimeoutSeconds"))
	if want := "[6 5 7]"; got != want {
		t.Errorf("factorsIn = %s, want %s", got, want)
	}
}

func TestVisibilityFactorIsTheConstant(t *testing.T) {
	stated := 0
	for _, p := range pages(t) {
		data, err := fs.ReadFile(root, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range factorsIn(string(data)) {
			stated++
			if n != defaults.VisibilityTimeoutFactor {
				t.Errorf("%s states the visibility timeout as %d × the function timeout; the stacks use %d (defaults.VisibilityTimeoutFactor)", p, n, defaults.VisibilityTimeoutFactor)
			}
		}
	}
	if stated == 0 {
		t.Error("no page states the visibility timeout factor: the check would pass on anything")
	}
}
