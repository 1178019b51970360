package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiffShowsChangedLinesWithContext(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh"
	b := "a\nb\nc\nD\ne\nf\ng\nh"
	got := Diff(a, b, 1)
	want := "  c\n- d\n+ D\n  e\n"
	if got != want {
		t.Errorf("Diff:\n%s\nwant:\n%s", got, want)
	}
}

func TestDiffSeparatesDistantHunks(t *testing.T) {
	got := Diff("1\n2\n3\n4\n5\n6\n7", "x\n2\n3\n4\n5\n6\ny", 1)
	if !strings.Contains(got, "...\n") || !strings.HasPrefix(got, "- 1\n+ x\n") || !strings.HasSuffix(got, "- 7\n+ y\n") {
		t.Errorf("unexpected diff:\n%s", got)
	}
}

func TestCheckUpdateWritesAndThenMatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.json")
	Check(t, path, []byte("{}\n"), true)
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "{}\n" {
		t.Fatalf("update wrote %q, %v", data, err)
	}
	Check(t, path, []byte("{}\n"), false)
}

func TestCheckReportsMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.json")
	if err := os.WriteFile(path, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{TB: t}
	Check(rec, path, []byte("b\n"), false)
	if !rec.failed || !strings.Contains(rec.msg, "- a\n+ b") {
		t.Errorf("mismatch not reported: failed=%v msg=%q", rec.failed, rec.msg)
	}
}

// recorder captures Errorf so a failing comparison can be asserted on.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg = strings.TrimSpace(strings.ReplaceAll(format, "%s", "")) + " " + joinArgs(args)
}

func (r *recorder) Helper() {}

func joinArgs(args []any) string {
	var b strings.Builder
	for _, a := range args {
		if s, ok := a.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}
