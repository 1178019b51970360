package docs

import (
	"io/fs"
	"os"
	"path"
	"sort"
	"testing"
)

// root is the repository, seen from this package's directory.
var root = os.DirFS("../..")

// maxReadmeLines keeps README.md to what a reader deciding whether to use
// orderly, then deploying it, needs; reference material belongs in docs/.
const maxReadmeLines = 300

// pages are the documentation pages: README.md and every .md under docs/.
func pages(t *testing.T) []string {
	t.Helper()
	out := []string{"README.md"}
	err := fs.WalkDir(root, "docs", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path.Ext(p) == ".md" {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// topDocs are docs/*.md, the pages that answer one question each.
func topDocs(t *testing.T) []string {
	t.Helper()
	out, err := fs.Glob(root, "docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no docs/*.md found: is the test running from test/docs?")
	}
	return out
}

func TestReadmeIsShort(t *testing.T) {
	data, err := fs.ReadFile(root, "README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := lineCount(string(data)); n > maxReadmeLines {
		t.Errorf("README.md has %d lines, more than %d: move reference material into a page under docs/ and link it", n, maxReadmeLines)
	}
}

func TestLinksResolve(t *testing.T) {
	for _, p := range pages(t) {
		problems, err := brokenLinks(root, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, problem := range problems {
			t.Error(problem)
		}
	}
}

func TestDocsOpenWithTitleAndSummary(t *testing.T) {
	for _, p := range topDocs(t) {
		data, err := fs.ReadFile(root, p)
		if err != nil {
			t.Fatal(err)
		}
		if problem := summaryProblem(string(data)); problem != "" {
			t.Errorf("%s %s", p, problem)
		}
	}
}

func TestDocsAreLinkedFromReadme(t *testing.T) {
	missing, err := unlinked(root, "README.md", topDocs(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range missing {
		t.Errorf("README.md links nowhere to %s: add it to the documentation table", p)
	}
}
