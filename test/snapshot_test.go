package test

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/orderly-dev/orderly/infra/stacks"
	"github.com/orderly-dev/orderly/test/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden templates under testdata")

// assetHash matches what legitimately varies between builds: the consumer's
// asset hash (it changes with the consumer's source, not the infrastructure).
var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// normalize renders a template with sorted keys and masked asset hashes, so
// only a real infrastructure change alters a snapshot.
func normalize(t testing.TB, template map[string]any) []byte {
	t.Helper()
	out, err := json.MarshalIndent(template, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(assetHash.ReplaceAll(out, []byte("[ASSET_HASH]")), '\n')
}

// TestSnapshots pins every stack of every environment in cdk.json, and every
// FifoStack grouping mode, to its golden template.
func TestSnapshots(t *testing.T) {
	for _, tc := range allSyntheses(t) {
		s := synth(t, tc.env, tc.overrides)
		for id, tmpl := range s.templates {
			if tc.fifoOnly && id != stacks.FifoStackID {
				continue
			}
			t.Run(tc.name+"/"+id, func(t *testing.T) {
				golden.Check(t, filepath.Join("testdata", tc.name, id+".json"), normalize(t, tmpl), *update)
			})
		}
	}
}
