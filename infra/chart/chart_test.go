package chart

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestRenderIsWellFormedAndScaled(t *testing.T) {
	svg := Render("title <&>", Panel{
		Title: "load", Unit: "events/s",
		Bars:      []Bar{{Label: "a", Value: 10}, {Label: "b", Value: 5, Note: "half"}},
		Reference: &Reference{Label: "mean", Value: 7.5},
	}, Panel{Title: "empty", Unit: "x"})
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	var widths []string
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed XML: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			for _, a := range se.Attr {
				if a.Name.Local == "width" && a.Value != "100%" {
					widths = append(widths, a.Value)
				}
			}
		}
	}
	// The longest bar spans the plot; the other is half of it.
	if len(widths) != 2 || widths[0] != "420.0" || widths[1] != "210.0" {
		t.Errorf("bar widths %v, want [420.0 210.0]", widths)
	}
	for _, want := range []string{"title &lt;&amp;&gt;", "5 events/s · half", "mean: 7.50 events/s"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("no %q", want)
		}
	}
}
