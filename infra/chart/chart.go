// Package chart draws simple horizontal bar charts as standalone SVG, for
// the planner's per-shard load and the comparison results. No plotting
// dependency: the pictures are committed and must regenerate anywhere.
package chart

import (
	"bytes"
	"fmt"
	"html"
	"math"
)

// Panel is one bar chart: a bar per label, and optionally a reference line
// (a ceiling, a target) drawn across all bars.
type Panel struct {
	Title string
	// Unit follows each bar's value ("events/s").
	Unit string
	Bars []Bar
	// Reference, when set, draws a dashed line at its value.
	Reference *Reference
}

// Bar is one labelled value; Note is printed after the value.
type Bar struct {
	Label string
	Value float64
	Note  string
}

// Reference is a labelled line across a panel.
type Reference struct {
	Label string
	Value float64
}

// Layout, in SVG user units; the label column fits the longest label.
const (
	plotSpace  = 420
	charWidth  = 7
	barHeight  = 22
	barGap     = 8
	titleSpace = 34
	panelGap   = 26
	margin     = 16
	// minValueSpace is the least room right of the plot for a bar's value;
	// a longer value (a note) widens the picture rather than being cut.
	minValueSpace = 230
)

// Render draws the panels one under another under a title.
func Render(title string, panels ...Panel) []byte {
	height := margin + titleSpace
	longest, valueSpace := 10, minValueSpace
	for _, p := range panels {
		height += titleSpace + len(p.Bars)*(barHeight+barGap) + panelGap
		for _, bar := range p.Bars {
			longest = max(longest, len([]rune(bar.Label)))
			valueSpace = max(valueSpace, 6+len([]rune(valueText(p, bar)))*charWidth)
		}
	}
	l := layout{labelWidth: margin + longest*charWidth + 8}
	l.width = l.labelWidth + plotSpace + valueSpace + margin
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="13">`+"\n", l.width, height, l.width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="17" font-weight="bold">%s</text>`+"\n", margin, margin+16, esc(title))
	y := margin + titleSpace
	for _, p := range panels {
		y = l.renderPanel(&b, p, y)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

type layout struct{ labelWidth, width int }

func (l layout) renderPanel(b *bytes.Buffer, p Panel, y int) int {
	labelWidth := l.labelWidth
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="14" font-weight="bold">%s</text>`+"\n", margin, y+18, esc(p.Title))
	y += titleSpace
	scaleMax := 0.0
	for _, bar := range p.Bars {
		scaleMax = math.Max(scaleMax, bar.Value)
	}
	if p.Reference != nil {
		scaleMax = math.Max(scaleMax, p.Reference.Value)
	}
	plotWidth := float64(plotSpace)
	x := func(v float64) float64 {
		if scaleMax <= 0 {
			return 0
		}
		return v / scaleMax * plotWidth
	}
	top := y
	for _, bar := range p.Bars {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", labelWidth-8, y+barHeight-6, esc(bar.Label))
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="#4878a8"/>`+"\n", labelWidth, y, x(bar.Value), barHeight)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" fill="#333">%s</text>`+"\n", float64(labelWidth)+x(bar.Value)+6, y+barHeight-6, esc(valueText(p, bar)))
		y += barHeight + barGap
	}
	if r := p.Reference; r != nil {
		rx := float64(labelWidth) + x(r.Value)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#c0392b" stroke-width="2" stroke-dasharray="6 4"/>`+"\n", rx, top-4, rx, y-barGap+4)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" fill="#c0392b" text-anchor="middle">%s</text>`+"\n", rx, y+10, esc(fmt.Sprintf("%s: %s %s", r.Label, number(r.Value), p.Unit)))
	}
	return y + panelGap
}

// number prints a value with the precision its size deserves.
func number(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e9:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func esc(s string) string { return html.EscapeString(s) }

// valueText is what is written right of a bar: its value, unit and note.
func valueText(p Panel, bar Bar) string {
	value := fmt.Sprintf("%s %s", number(bar.Value), p.Unit)
	if bar.Note != "" {
		value += " · " + bar.Note
	}
	return value
}
