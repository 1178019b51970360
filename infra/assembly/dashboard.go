package assembly

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Dashboard is a stack's CloudWatch dashboard as its template states it:
// its DashboardBody, a JSON document that CloudFormation assembles with
// Fn::Join from literal text and references (the region, the names of the
// stack's resources). References read as Token strings.
type Dashboard struct {
	LogicalID string
	Widgets   []Widget
}

// Widget is one dashboard widget, placed on CloudWatch's 24-column grid.
type Widget struct {
	// Type is "metric", "text" or "alarm" (an alarm status widget).
	Type                string
	X, Y, Width, Height int
	Title               string
	// Markdown is a text widget's content.
	Markdown string
	// Metrics are a metric widget's metrics.
	Metrics []WidgetMetric
	// Alarms are the alarm ARNs an alarm status widget lists, or a metric
	// widget annotates, as Tokens.
	Alarms []string
}

// WidgetMetric is one metric of a widget. Stat and Period are CloudWatch's
// widget defaults (Average, 300 s) when the widget leaves them out.
type WidgetMetric struct {
	Namespace, Name string
	// Dimensions maps each dimension's name to its value (often a Token).
	Dimensions map[string]string
	Stat       string
	Period     int
	Label      string
}

// The widget defaults CloudWatch applies to a metric without its own.
const (
	DefaultWidgetStat   = "Average"
	DefaultWidgetPeriod = 300
)

// Token renders a template reference the way Dashboard shows it:
// {"Ref": "X"} as "${X}", {"Fn::GetAtt": ["X", "Attr"]} as "${X.Attr}".
func Token(ref any) (string, error) {
	m, ok := ref.(map[string]any)
	if !ok || len(m) != 1 {
		return "", fmt.Errorf("%v is not a Ref or Fn::GetAtt", ref)
	}
	if id, ok := m["Ref"].(string); ok {
		return "${" + id + "}", nil
	}
	if args, ok := m["Fn::GetAtt"].([]any); ok && len(args) == 2 {
		return fmt.Sprintf("${%v.%v}", args[0], args[1]), nil
	}
	return "", fmt.Errorf("%v is not a Ref or Fn::GetAtt", ref)
}

// Dashboards reads every AWS::CloudWatch::Dashboard of the template, in
// logical-id order.
func (t Template) Dashboards() ([]Dashboard, error) {
	var out []Dashboard
	for _, id := range t.idsOfType("AWS::CloudWatch::Dashboard") {
		d, err := t.dashboard(id)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (t Template) dashboard(id string) (Dashboard, error) {
	p := t.props(id)
	body, err := joined(p.m["DashboardBody"])
	if err != nil {
		return Dashboard{}, p.errorf("DashboardBody", "%v", err)
	}
	var doc struct {
		Widgets []struct {
			Type       string `json:"type"`
			X          int    `json:"x"`
			Y          int    `json:"y"`
			Width      int    `json:"width"`
			Height     int    `json:"height"`
			Properties struct {
				Title       string   `json:"title"`
				Markdown    string   `json:"markdown"`
				Metrics     [][]any  `json:"metrics"`
				Alarms      []string `json:"alarms"`
				Annotations struct {
					Alarms []string `json:"alarms"`
				} `json:"annotations"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return Dashboard{}, p.errorf("DashboardBody", "is not a dashboard body: %v", err)
	}
	d := Dashboard{LogicalID: id}
	for i, w := range doc.Widgets {
		widget := Widget{Type: w.Type, X: w.X, Y: w.Y, Width: w.Width, Height: w.Height,
			Title: w.Properties.Title, Markdown: w.Properties.Markdown,
			Alarms: slices.Concat(w.Properties.Alarms, w.Properties.Annotations.Alarms)}
		for _, raw := range w.Properties.Metrics {
			m, err := widgetMetric(raw)
			if err != nil {
				return Dashboard{}, p.errorf("DashboardBody", "widget %d (%q): %v", i, widget.Title, err)
			}
			widget.Metrics = append(widget.Metrics, m)
		}
		d.Widgets = append(d.Widgets, widget)
	}
	return d, nil
}

// widgetMetric reads ["Namespace", "Name", "Dim", "value", ..., {options}].
// The "." shorthand of the console (repeat the metric above) is refused:
// the CDK never writes it.
func widgetMetric(raw []any) (WidgetMetric, error) {
	m := WidgetMetric{Dimensions: map[string]string{}, Stat: DefaultWidgetStat, Period: DefaultWidgetPeriod}
	var words []string
	for _, item := range raw {
		switch v := item.(type) {
		case string:
			words = append(words, v)
		case map[string]any:
			if s, ok := v["stat"].(string); ok {
				m.Stat = s
			}
			if p, ok := v["period"].(float64); ok {
				m.Period = int(p)
			}
			m.Label, _ = v["label"].(string)
			if expr, ok := v["expression"].(string); ok {
				return m, fmt.Errorf("metric math %q is not read here", expr)
			}
		default:
			return m, fmt.Errorf("metric %v: item %v is neither a string nor options", raw, item)
		}
	}
	if len(words) < 2 || len(words)%2 != 0 || slices.Contains(words, ".") {
		return m, fmt.Errorf("metric %v: want namespace, name and dimension pairs", raw)
	}
	m.Namespace, m.Name = words[0], words[1]
	for i := 2; i < len(words); i += 2 {
		m.Dimensions[words[i]] = words[i+1]
	}
	return m, nil
}

// joined renders a string or an Fn::Join of strings and references, the
// references as Tokens. Only references inside JSON strings are expected:
// a Token carries no quote or backslash, so it stays valid JSON text.
func joined(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		args, ok := x["Fn::Join"].([]any)
		if !ok || len(args) != 2 {
			return "", fmt.Errorf("is %v, want a string or an Fn::Join", v)
		}
		sep, _ := args[0].(string)
		parts, _ := args[1].([]any)
		var b strings.Builder
		for i, part := range parts {
			if i > 0 {
				b.WriteString(sep)
			}
			if s, ok := part.(string); ok {
				b.WriteString(s)
				continue
			}
			tok, err := Token(part)
			if err != nil {
				return "", err
			}
			b.WriteString(tok)
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("is %T, want a string or an Fn::Join", v)
}
