package docs

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"Deploy":             "deploy",
		"Archive and replay": "archive-and-replay",
		"Failed events: on-failure bucket, archive and replay, redrive": "failed-events-on-failure-bucket-archive-and-replay-redrive",
		"1. Bootstrap the account and region, once":                     "1-bootstrap-the-account-and-region-once",
		"Set the schedule API's URL":                                    "set-the-schedule-apis-url",
		"Retry backoff (SQS FIFO)":                                      "retry-backoff-sqs-fifo",
		"FIFO retry backoff: the side-by-side":                          "fifo-retry-backoff-the-side-by-side",
		"Use `make local` — quickly":                                    "use-make-local--quickly",
		"**Bold** and *emphasis* and snake_case":                        "bold-and-emphasis-and-snake_case",
		"See [the docs](docs/x.md) here":                                "see-the-docs-here",
		"Ünïcode Überschrift":                                           "ünïcode-überschrift",
		"Version 2.0 / 3.1?":                                            "version-20--31",
	} {
		if got := slug(heading); got != want {
			t.Errorf("slug(%q) = %q, want %q", heading, got, want)
		}
	}
}

func TestAnchorsNumberRepeatedHeadings(t *testing.T) {
	doc := "# Title\n\n## Setup\n\ntext\n\n## Setup\n\n### Setup\n\n```sh\n# Not a heading\n```\n"
	got := anchors(doc)
	want := map[string]bool{"title": true, "setup": true, "setup-1": true, "setup-2": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("anchors = %v, want %v", got, want)
	}
}

func TestHeadingsSkipCodeAndKeepInlineCode(t *testing.T) {
	doc := "# The `make plan` target\n\n- list\n\n   ```sh\n   # a comment in an indented fence\n   ```\n\n####### seven is not a heading\n#notaheading\n## Closed ##\n"
	got := headings(doc)
	want := []string{"The `make plan` target", "Closed"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("headings = %q, want %q", got, want)
	}
}

func TestLinks(t *testing.T) {
	doc := strings.Join([]string{
		"See [the docs](docs/a.md#intro) and ![a chart](charts/c.svg \"title\").", // 1
		"A link whose text [spans a",                                 // 2
		"line break](b.md#x-y). Code `[not](a-link.md)` is skipped,", // 3
		"and so is a fence:",                                         // 4
		"```md",                                                      // 5
		"[inside](fence.md)",                                         // 6
		"```",                                                        // 7
		"[`code text`](c.go) <https://example.com> [ext](https://x.test/y)", // 8
		"[ref]: ref.md",               // 9
		"[nested [brackets]](<d.md>)", // 10
	}, "\n") + "\n"
	want := []link{
		{"docs/a.md#intro", 1}, {"charts/c.svg", 1}, {"b.md#x-y", 2}, {"c.go", 8},
		{"https://x.test/y", 8}, {"d.md", 10}, {"ref.md", 9},
	}
	if got := links(doc); !reflect.DeepEqual(got, want) {
		t.Errorf("links =\n%v\nwant\n%v", got, want)
	}
}

func TestResolve(t *testing.T) {
	for _, c := range []struct {
		file, target, path, anchor string
		follow, fails              bool
	}{
		{"README.md", "docs/a.md#x", "docs/a.md", "x", true, false},
		{"docs/a.md", "../lambda/doc.go", "lambda/doc.go", "", true, false},
		{"docs/a.md", "charts/c.svg", "docs/charts/c.svg", "", true, false},
		{"docs/a.md", "#local", "docs/a.md", "local", true, false},
		{"docs/a.md", "/Makefile", "Makefile", "", true, false},
		{"docs/a.md", "my%20file.md", "docs/my file.md", "", true, false},
		{"docs/a.md", "https://example.com/x.md", "", "", false, false},
		{"docs/a.md", "mailto:a@b.test", "", "", false, false},
		{"docs/a.md", "../../outside.md", "", "", false, true},
	} {
		p, anchor, follow, err := resolve(c.file, c.target)
		if p != c.path || anchor != c.anchor || follow != c.follow || (err != nil) != c.fails {
			t.Errorf("resolve(%q, %q) = %q, %q, %v, %v; want %q, %q, %v, error %v",
				c.file, c.target, p, anchor, follow, err, c.path, c.anchor, c.follow, c.fails)
		}
	}
}

// repo is a small repository with one of every kind of link, good and bad.
var repo = fstest.MapFS{
	"README.md": {Data: []byte("# R\n\n[ok](docs/a.md#second-part) [dir](lambda) [code](lambda/x.go#L3)\n" +
		"[missing file](docs/gone.md) [bad anchor](docs/a.md#nope) [up](../x.md)\n" +
		"[url](https://example.com/gone.md) [self](#r) [self bad](#s)\n")},
	"docs/a.md":   {Data: []byte("# A\n\n## Second part\n\n[back](../README.md#r) [pic](charts/p.svg)\n")},
	"docs/b.md":   {Data: []byte("# B\n\nNot linked from the README at all, so the check must name it here.\n")},
	"lambda/x.go": {Data: []byte("package x\n")},
}

func TestBrokenLinks(t *testing.T) {
	got, err := brokenLinks(repo, "README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`README.md:4: link "docs/gone.md": docs/gone.md does not exist`,
		`README.md:4: link "docs/a.md#nope": no heading of docs/a.md has the anchor #nope`,
		`README.md:4: link "../x.md" leads outside the repository`,
		`README.md:5: link "#s": no heading of README.md has the anchor #s`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("brokenLinks(README.md) =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got, err = brokenLinks(repo, "docs/a.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`docs/a.md:5: link "charts/p.svg": docs/charts/p.svg does not exist`}; !reflect.DeepEqual(got, want) {
		t.Errorf("brokenLinks(docs/a.md) = %q, want %q", got, want)
	}
}

func TestUnlinked(t *testing.T) {
	got, err := unlinked(repo, "README.md", []string{"docs/a.md", "docs/b.md"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"docs/b.md"}; !reflect.DeepEqual(got, want) {
		t.Errorf("unlinked = %q, want %q", got, want)
	}
}

func TestSummaryProblem(t *testing.T) {
	summary := "What this page answers, in one paragraph of plain prose that is long enough to say what the reader will find below.\n"
	for name, c := range map[string]struct{ doc, want string }{
		"good":                {"# Title\n\n" + summary + "\n## More\n", ""},
		"good, wrapped":       {"# Title\n\nWhat this page answers, in one paragraph\nof plain prose that is long enough to say what\nthe reader will find below it.\n", ""},
		"empty":               {"\n\n", "is empty"},
		"no title":            {summary, "does not open with a `# Title` line"},
		"level-2 title":       {"## Title\n\n" + summary, "does not open with a `# Title` line"},
		"title only":          {"# Title\n", "has a title but no summary paragraph"},
		"no blank line":       {"# Title\n" + summary, "has no blank line between its title"},
		"heading after title": {"# Title\n\n## Part\n\n" + summary, "follows its title with a heading"},
		"list after title":    {"# Title\n\n- " + summary, "follows its title with a list"},
		"numbered list":       {"# Title\n\n1. " + summary, "follows its title with a list"},
		"code after title":    {"# Title\n\n```sh\nmake\n```\n", "follows its title with a code block"},
		"table after title":   {"# Title\n\n| a | b |\n", "follows its title with a table"},
		"picture after title": {"# Title\n\n![x](x.svg)\n", "follows its title with a picture"},
		"too short":           {"# Title\n\nSee below.\n", "has a summary of 2 words"},
		"not a sentence":      {"# Title\n\n" + strings.TrimSuffix(summary, ".\n") + ":\n", "does not end a sentence"},
	} {
		got := summaryProblem(c.doc)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: summaryProblem = %q, want %q", name, got, c.want)
		}
	}
}

func TestLineCount(t *testing.T) {
	for s, want := range map[string]int{"": 0, "a": 1, "a\n": 1, "a\nb\n": 2, "a\n\n": 2, "a\nb": 2} {
		if got := lineCount(s); got != want {
			t.Errorf("lineCount(%q) = %d, want %d", s, got, want)
		}
	}
}
