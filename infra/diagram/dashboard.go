package diagram

import (
	"fmt"
	"html"
	"strings"

	"github.com/orderly-dev/orderly/infra/assembly"
)

// The dashboard picture's scale: CloudWatch lays widgets on a grid of 24
// columns and rows of one height unit.
const (
	dashColumn = 40 // px per grid column
	dashRow    = 22 // px per grid row
	dashMargin = 10
	dashHeader = 30
)

// dashboardFill colours a widget by its type.
var dashboardFill = map[string]string{"text": "#f2f2f2", "metric": "#e8f1fb", "alarm": "#fdebd3"}

// DashboardSVG draws the layout of stack's synthesized dashboard: one box
// per widget where CloudWatch places it, with its title and what it shows.
func DashboardSVG(stack string, d assembly.Dashboard) string {
	height := 0
	for _, w := range d.Widgets {
		height = max(height, w.Y+w.Height)
	}
	width := 24*dashColumn + 2*dashMargin
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="Helvetica,Arial,sans-serif" font-size="12">`+"\n",
		width, height*dashRow+dashHeader+2*dashMargin)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="15" font-weight="bold">%s</text>`+"\n", dashMargin, dashMargin+16,
		html.EscapeString(stack+" dashboard: its layout"))
	for _, w := range d.Widgets {
		x, y := dashMargin+w.X*dashColumn, dashHeader+dashMargin+w.Y*dashRow
		fill := dashboardFill[w.Type]
		if fill == "" {
			fill = "#ffffff"
		}
		fmt.Fprintf(&b, `<rect class="widget" x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s" stroke="#888"/>`+"\n",
			x+2, y+2, w.Width*dashColumn-4, w.Height*dashRow-4, fill)
		lines := []string{widgetTitle(w)}
		lines = append(lines, widgetContents(w)...)
		for i, line := range lines {
			// The title in bold, what the widget shows in smaller type.
			style, perChar := `font-weight="bold"`, 7
			if i > 0 {
				style, perChar = `font-size="11"`, 6
			}
			if (i+1)*15+6 > w.Height*dashRow-4 {
				break
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" %s>%s</text>`+"\n", x+8, y+4+(i+1)*15, style,
				html.EscapeString(clip(line, w.Width*dashColumn/perChar)))
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func widgetTitle(w assembly.Widget) string {
	switch {
	case w.Title != "":
		return w.Title
	case w.Type == "text":
		return "About this dashboard"
	}
	return w.Type
}

// widgetContents says what a widget shows: its metrics' labels (or names),
// or the number of alarms it lists.
func widgetContents(w assembly.Widget) []string {
	switch w.Type {
	case "alarm":
		return []string{fmt.Sprintf("%d alarms: state of each", len(w.Alarms))}
	case "text":
		_, rest, _ := strings.Cut(w.Markdown, "\n")
		return []string{rest}
	}
	var out []string
	for _, m := range w.Metrics {
		if m.Label == "" || m.Label == m.Name {
			out = append(out, fmt.Sprintf("%s (%s)", m.Name, m.Namespace))
			continue
		}
		out = append(out, fmt.Sprintf("%s (%s %s)", m.Label, m.Namespace, m.Name))
	}
	return out
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:max(n-1, 0)]) + "…"
	}
	return s
}
