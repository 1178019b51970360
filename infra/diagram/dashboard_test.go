package diagram

import (
	"flag"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/diagrams/dashboard-*.svg from the golden templates")

// dashboardPictures are the pictures docs/ shows, by the golden template
// `make diagram` synthesizes them from (env dev: messageGroups 1 for
// KinesisStack, per-key for FifoStack).
var dashboardPictures = map[string]string{
	"dashboard-kinesis.svg":      "dev/KinesisStack.json",
	"dashboard-fifo-per-key.svg": "fifo-per-key/FifoStack.json",
}

// Every widget of every golden dashboard is drawn, with its title; and the
// committed pictures are what the golden templates draw (`make diagram`
// writes them from a fresh synth; -update from the goldens).
func TestDashboardPictures(t *testing.T) {
	for file, tmpl := range goldenTemplates(t) {
		ds, err := tmpl.Dashboards()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, d := range ds {
			svg := DashboardSVG("S", d)
			if got := strings.Count(svg, `<rect class="widget"`); got != len(d.Widgets) {
				t.Errorf("%s: %d widget boxes for %d widgets", file, got, len(d.Widgets))
			}
			for _, w := range d.Widgets {
				// Long titles are clipped to the box: look for the start.
				start := []rune(w.Title)
				start = start[:min(15, len(start))]
				if w.Title != "" && !strings.Contains(svg, `"bold">`+html.EscapeString(string(start))) {
					t.Errorf("%s: no title %q", file, w.Title)
				}
			}
		}
	}
	golden := goldenTemplates(t)
	for picture, source := range dashboardPictures {
		tmpl := golden[filepath.Join("..", "..", "test", "testdata", filepath.FromSlash(source))]
		ds, err := tmpl.Dashboards()
		if err != nil || len(ds) != 1 {
			t.Fatalf("%s: %d dashboards, %v", source, len(ds), err)
		}
		path := filepath.Join("..", "..", "docs", "diagrams", picture)
		want := DashboardSVG(strings.TrimSuffix(filepath.Base(source), ".json"), ds[0])
		if *update {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s is not the picture of %s's dashboard (%v): run `make diagram` or `go test ./infra/diagram -update`", path, source, err)
		}
	}
}
