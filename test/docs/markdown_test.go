package docs

import (
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"
)

// fence opens or closes a fenced code block, also inside a list item.
var fence = regexp.MustCompile("^\\s*(```|~~~)")

// prose returns doc with the contents of fenced code blocks and inline code
// spans replaced by spaces, line breaks kept, so that nothing quoted as code
// is taken for a heading or a link and every offset still maps to its line.
func prose(doc string) string {
	lines := strings.SplitAfter(doc, "\n")
	inFence := false
	for i, l := range lines {
		if fence.MatchString(l) {
			inFence = !inFence
			lines[i] = blank(l)
			continue
		}
		if inFence {
			lines[i] = blank(l)
		}
	}
	return codeSpan.ReplaceAllStringFunc(strings.Join(lines, ""), blank)
}

// codeSpan is an inline code span; it may wrap onto the next line.
var codeSpan = regexp.MustCompile("`[^`]*`")

// blank keeps the line breaks of s and turns everything else into spaces.
func blank(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		return ' '
	}, s)
}

// atxHeading is a heading line: up to three spaces, 1-6 #, the text, and
// optional closing #s. Setext headings (underlined) are not used in this
// repository's documents and are not recognised.
var atxHeading = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)

// headings lists the text of doc's headings outside code blocks, as
// written (inline code included).
func headings(doc string) []string {
	var out []string
	src := strings.Split(doc, "\n")
	for i, l := range strings.Split(prose(doc), "\n") {
		// Match the code-blanked line, read the text from the source line
		// so that a heading's inline code counts for its slug.
		if atxHeading.MatchString(l) {
			if s := atxHeading.FindStringSubmatch(src[i]); s != nil {
				out = append(out, s[2])
			}
		}
	}
	return out
}

// inlineLink is [text](target) or ![alt](target), with an optional title;
// the text may span lines and hold one level of brackets.
var (
	inlineLink   = regexp.MustCompile(`\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^\s()<>]+)>?(?:\s+"[^"]*")?\s*\)`)
	refLink      = regexp.MustCompile(`(?m)^ {0,3}\[[^\]]+\]:[ \t]*<?(\S+?)>?(?:[ \t]+.*)?$`)
	markupLink   = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	urlScheme    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	emphasisMark = strings.NewReplacer("`", "", "*", "")
)

type link struct {
	target string
	line   int
}

// links lists the targets of doc's inline links, images and link reference
// definitions outside code, with the line each starts on.
func links(doc string) []link {
	text := prose(doc)
	var out []link
	for _, re := range []*regexp.Regexp{inlineLink, refLink} {
		for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
			out = append(out, link{
				target: text[m[2]:m[3]],
				line:   strings.Count(text[:m[0]], "\n") + 1,
			})
		}
	}
	return out
}

// slug is the anchor GitHub gives a heading: the rendered text (markup
// removed) in lower case, keeping letters, digits, marks, '_' and '-',
// each space becoming '-', everything else dropped (github-slugger).
func slug(text string) string {
	text = markupLink.ReplaceAllString(text, "$1")
	text = emphasisMark.Replace(text)
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors lists every #anchor doc's headings produce: a repeated slug gets
// -1, -2, ... in order, as on GitHub.
func anchors(doc string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, h := range headings(doc) {
		s := slug(h)
		a := s
		if n := seen[s]; n > 0 {
			a = fmt.Sprintf("%s-%d", s, n)
		}
		seen[s]++
		out[a] = true
	}
	return out
}

// resolve turns a link target in file (slash-separated, relative to the
// repository root) into the repository path it names and its anchor. ok is
// false for links this check does not follow: a URL with a scheme or a
// protocol-relative one. A target above the repository root is an error.
func resolve(file, target string) (p, anchor string, ok bool, err error) {
	if urlScheme.MatchString(target) || strings.HasPrefix(target, "//") {
		return "", "", false, nil
	}
	target, anchor, _ = strings.Cut(target, "#")
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	if target, err = url.PathUnescape(target); err != nil {
		return "", "", false, err
	}
	switch {
	case target == "":
		p = file // #anchor in the same document
	case strings.HasPrefix(target, "/"):
		p = path.Clean(strings.TrimPrefix(target, "/")) // GitHub: from the repository root
	default:
		p = path.Join(path.Dir(file), target)
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", "", false, fmt.Errorf("leads outside the repository")
	}
	return p, anchor, true, nil
}

// brokenLinks reports each relative link in file that names a path fsys
// does not hold, or an #anchor that no heading of the Markdown file it
// names produces. Anchors into other kinds of files (GitHub's #L10 line
// anchors) are not checked.
func brokenLinks(fsys fs.FS, file string) ([]string, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, l := range links(string(data)) {
		where := fmt.Sprintf("%s:%d: link %q", file, l.line, l.target)
		p, anchor, ok, err := resolve(file, l.target)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %v", where, err))
			continue
		}
		if !ok {
			continue
		}
		info, err := fs.Stat(fsys, p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s does not exist", where, p))
			continue
		}
		if anchor == "" || info.IsDir() || !strings.HasSuffix(p, ".md") {
			continue
		}
		target, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		if !anchors(string(target))[anchor] {
			problems = append(problems, fmt.Sprintf("%s: no heading of %s has the anchor #%s", where, p, anchor))
		}
	}
	return problems, nil
}

// summaryProblem says what is wrong with the opening of a docs page, or ""
// when it opens with a level-1 title followed by a summary paragraph: plain
// prose (not a heading, list, table, quote, picture, HTML or code) of at
// least minSummaryWords words that ends a sentence.
func summaryProblem(doc string) string {
	blocks := paragraphs(doc)
	if len(blocks) == 0 {
		return "is empty"
	}
	title := blocks[0]
	if !strings.HasPrefix(title, "# ") {
		return fmt.Sprintf("does not open with a `# Title` line (it opens with %q)", firstLine(title))
	}
	if strings.Contains(title, "\n") {
		return "has no blank line between its title and the summary paragraph"
	}
	if len(blocks) < 2 {
		return "has a title but no summary paragraph after it"
	}
	summary := blocks[1]
	if kind := nonProse(summary); kind != "" {
		return fmt.Sprintf("follows its title with %s (%q), not a summary paragraph", kind, firstLine(summary))
	}
	if n := len(strings.Fields(summary)); n < minSummaryWords {
		return fmt.Sprintf("has a summary of %d words; write at least %d", n, minSummaryWords)
	}
	if !strings.HasSuffix(summary, ".") {
		return fmt.Sprintf("has a summary that does not end a sentence (%q)", lastLine(summary))
	}
	return ""
}

// minSummaryWords is a floor that a sentence fragment or a bare
// "See below." cannot pass and any real summary does.
const minSummaryWords = 20

// paragraphs splits doc into blank-line-separated blocks, trimmed.
func paragraphs(doc string) []string {
	var out []string
	for _, b := range strings.Split(strings.ReplaceAll(doc, "\r\n", "\n"), "\n\n") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

var (
	listItem    = regexp.MustCompile(`^([-*+]|\d+[.)])\s`)
	blockStarts = []struct{ prefix, kind string }{
		{"#", "a heading"}, {"```", "a code block"}, {"~~~", "a code block"},
		{"|", "a table"}, {">", "a quote"}, {"![", "a picture"}, {"<", "HTML"},
	}
)

// nonProse names what kind of block b is when it is not a paragraph.
func nonProse(b string) string {
	for _, s := range blockStarts {
		if strings.HasPrefix(b, s.prefix) {
			return s.kind
		}
	}
	if listItem.MatchString(b) {
		return "a list"
	}
	if strings.HasPrefix(b, "    ") || strings.HasPrefix(b, "\t") {
		return "a code block"
	}
	return ""
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func lastLine(s string) string { return s[strings.LastIndexByte(s, '\n')+1:] }

// lineCount counts lines as wc -l would for a file that ends in a newline,
// and counts a final unterminated line too.
func lineCount(s string) int {
	n := strings.Count(s, "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}

// unlinked lists the pages among docs that no link in readme (a file in
// fsys) leads to, anchors ignored.
func unlinked(fsys fs.FS, readme string, docs []string) ([]string, error) {
	data, err := fs.ReadFile(fsys, readme)
	if err != nil {
		return nil, err
	}
	linked := map[string]bool{}
	for _, l := range links(string(data)) {
		if p, _, ok, err := resolve(readme, l.target); err == nil && ok {
			linked[p] = true
		}
	}
	var out []string
	for _, d := range docs {
		if !linked[d] {
			out = append(out, d)
		}
	}
	return out, nil
}
