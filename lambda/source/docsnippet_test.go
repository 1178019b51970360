package source_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

const (
	docPath    = "../../docs/consumer.md"
	docSection = "## Use the engine in your own Lambda"
	// startMarker ends the part of Example that a Lambda's main needs; the
	// doc replaces it with the call it names.
	startMarker = "\t// In your Lambda's main: lambda.Start(handler.Invoke)\n"
)

// The snippet in docs/consumer.md is Example's setup, verbatim, as the body
// of main: the code readers copy is the code go test compiles and runs.
func TestDocSnippetIsTheExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	body := exampleBody(t, src, "Example")
	setup, _, found := strings.Cut(body, startMarker)
	if !found {
		t.Fatalf("Example has no line %q marking the end of the setup", startMarker)
	}
	want := "func main() {\n" + setup + "\tlambda.Start(handler.Invoke)\n}\n"

	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	got := firstGoBlock(t, string(doc), docSection)
	if got != want {
		t.Fatalf("the snippet in %s under %q differs from Example in example_test.go; paste this:\n```go\n%s```\ngot:\n%s", docPath, docSection, want, got)
	}
}

// exampleBody returns the source between the braces of func name, starting
// after the opening line.
func exampleBody(t *testing.T, src []byte, name string) string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "example_test.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == name && fn.Recv == nil {
			open := fset.Position(fn.Body.Lbrace).Offset + len("{\n")
			return string(src[open:fset.Position(fn.Body.Rbrace).Offset])
		}
	}
	t.Fatalf("example_test.go has no func %s", name)
	return ""
}

// firstGoBlock returns the contents of the first ```go block after heading.
func firstGoBlock(t *testing.T, doc, heading string) string {
	t.Helper()
	_, section, found := strings.Cut(doc, "\n"+heading+"\n")
	if !found {
		t.Fatalf("%s has no heading %q", docPath, heading)
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	_, block, found := strings.Cut(section, "```go\n")
	if !found {
		t.Fatalf("%s: section %q has no ```go block", docPath, heading)
	}
	block, _, found = strings.Cut(block, "```\n")
	if !found {
		t.Fatalf("%s: section %q: unterminated ```go block", docPath, heading)
	}
	return block
}
