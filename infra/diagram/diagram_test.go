package diagram

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/assembly"
)

// goldenTemplates are every synthesized template pinned in test/testdata:
// every environment and every FIFO grouping mode.
func goldenTemplates(t *testing.T) map[string]assembly.Template {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "test", "testdata", "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden templates: %v", err)
	}
	out := map[string]assembly.Template{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tmpl assembly.Template
		if err := json.Unmarshal(data, &tmpl); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = tmpl
	}
	return out
}

func TestEveryResourceTypeHasAPlace(t *testing.T) {
	for file, tmpl := range goldenTemplates(t) {
		if missing := Unplaced(tmpl); len(missing) > 0 {
			t.Errorf("%s: resource types with no place in the diagram: %v (add them to diagram.Places)", file, missing)
		}
	}
}

func TestEveryResourceIsDrawn(t *testing.T) {
	for file, tmpl := range goldenTemplates(t) {
		dot, err := DOT(file, tmpl)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		counts := map[string]int{}
		for id, r := range tmpl.Resources {
			if Places[r.Type].Summarized {
				counts[r.Type]++
				continue
			}
			if !strings.Contains(dot, "\""+id+"\" [label=") {
				t.Errorf("%s: %s (%s) has no node", file, id, r.Type)
			}
		}
		for typ, n := range counts {
			if want := Places[typ].Label + " ×" + strconv.Itoa(n); !strings.Contains(dot, want) {
				t.Errorf("%s: no summary %q", file, want)
			}
		}
	}
}

func TestEdgesFollowTheEvents(t *testing.T) {
	tmpl := goldenTemplates(t)[filepath.Join("..", "..", "test", "testdata", "fifo-per-key", "FifoStack.json")]
	dot, err := DOT("per-key", tmpl)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(typ string) []string {
		var out []string
		for id, r := range tmpl.Resources {
			if r.Type == typ {
				out = append(out, id)
			}
		}
		return out
	}
	pipe, esm, fn := ids("AWS::Pipes::Pipe")[0], ids("AWS::Lambda::EventSourceMapping")[0], ids("AWS::Lambda::Function")[0]
	for _, edge := range []string{
		`-> "` + pipe + `" [label="reads"]`,
		`"` + pipe + `" -> "Queue`,
		`-> "` + esm + `" [label="polls"]`,
		`"` + esm + `" -> "` + fn + `" [label="invokes"]`,
		`[label="undeliverable"]`,
		`[label="after maxReceiveCount"]`,
		`[label="poison events"]`,
		`[label="GET, modify, PUT per period (one per run of its events with coalescing)"]`,
	} {
		if !strings.Contains(dot, edge) {
			t.Errorf("no %s in\n%s", edge, dot)
		}
	}
	tmpl.Resources["Extra"] = assembly.Resource{Type: "AWS::Made::Up"}
	if _, err := DOT("x", tmpl); err == nil || !strings.Contains(err.Error(), "AWS::Made::Up") {
		t.Errorf("an unplaced type was drawn: %v", err)
	}
}
