package assembly

import (
	"reflect"
	"strings"
	"testing"
)

func dashboardTemplate(body any) Template {
	return Template{Resources: map[string]Resource{
		"Dash": {Type: "AWS::CloudWatch::Dashboard", Properties: map[string]any{"DashboardBody": body}},
	}}
}

func TestDashboardReadsWidgetsAndTokens(t *testing.T) {
	body := map[string]any{"Fn::Join": []any{"", []any{
		`{"widgets":[{"type":"metric","x":0,"y":3,"width":8,"height":6,"properties":{"title":"T","region":"`,
		map[string]any{"Ref": "AWS::Region"},
		`","metrics":[["AWS/SQS","ApproximateAgeOfOldestMessage","QueueName","`,
		map[string]any{"Fn::GetAtt": []any{"Queue", "QueueName"}},
		`",{"label":"age","period":60,"stat":"Maximum"}],["Orderly","LagMs","FunctionName","`,
		map[string]any{"Ref": "Fn"},
		`"]],"annotations":{"alarms":["`,
		map[string]any{"Fn::GetAtt": []any{"Alarm", "Arn"}},
		`"]}}},{"type":"alarm","x":0,"y":9,"width":24,"height":3,"properties":{"title":"A","alarms":["`,
		map[string]any{"Fn::GetAtt": []any{"Alarm", "Arn"}},
		`"]}},{"type":"text","x":0,"y":0,"width":24,"height":3,"properties":{"markdown":"# Hi"}}]}`,
	}}}
	ds, err := dashboardTemplate(body).Dashboards()
	if err != nil {
		t.Fatal(err)
	}
	want := []Dashboard{{LogicalID: "Dash", Widgets: []Widget{
		{Type: "metric", Y: 3, Width: 8, Height: 6, Title: "T", Alarms: []string{"${Alarm.Arn}"}, Metrics: []WidgetMetric{
			{Namespace: "AWS/SQS", Name: "ApproximateAgeOfOldestMessage", Dimensions: map[string]string{"QueueName": "${Queue.QueueName}"}, Stat: "Maximum", Period: 60, Label: "age"},
			{Namespace: "Orderly", Name: "LagMs", Dimensions: map[string]string{"FunctionName": "${Fn}"}, Stat: DefaultWidgetStat, Period: DefaultWidgetPeriod},
		}},
		{Type: "alarm", Y: 9, Width: 24, Height: 3, Title: "A", Alarms: []string{"${Alarm.Arn}"}},
		{Type: "text", Width: 24, Height: 3, Markdown: "# Hi"},
	}}}
	if !reflect.DeepEqual(ds, want) {
		t.Errorf("got\n%+v\nwant\n%+v", ds, want)
	}
}

func TestDashboardRefusesWhatItCannotRead(t *testing.T) {
	for name, body := range map[string]any{
		"metric math":     `{"widgets":[{"type":"metric","properties":{"metrics":[[{"expression":"m1+m2"}]]}}]}`,
		"shorthand":       `{"widgets":[{"type":"metric","properties":{"metrics":[[".","Errors","FunctionName","f"]]}}]}`,
		"odd dimensions":  `{"widgets":[{"type":"metric","properties":{"metrics":[["AWS/Lambda","Errors","FunctionName"]]}}]}`,
		"other intrinsic": map[string]any{"Fn::Join": []any{"", []any{`{"widgets":[`, map[string]any{"Fn::Sub": "x"}, `]}`}}},
		"not JSON":        `{"widgets":`,
	} {
		if _, err := dashboardTemplate(body).Dashboards(); err == nil || !strings.Contains(err.Error(), "DashboardBody") {
			t.Errorf("%s: error %v, want one naming DashboardBody", name, err)
		}
	}
}

// Every golden stack has one dashboard whose widgets fit CloudWatch's
// 24-column grid without overlapping.
func TestGoldenDashboardsFitTheGrid(t *testing.T) {
	for _, name := range []string{"prod/KinesisStack.json", "prod/FifoStack.json", "fifo-groups-3/FifoStack.json"} {
		ds, err := golden(t, name).Dashboards()
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 {
			t.Fatalf("%s: %d dashboards, want 1", name, len(ds))
		}
		ws := ds[0].Widgets
		for i, a := range ws {
			if a.Width <= 0 || a.Height <= 0 || a.X+a.Width > 24 {
				t.Errorf("%s: widget %q at x %d width %d height %d", name, a.Title, a.X, a.Width, a.Height)
			}
			for _, b := range ws[i+1:] {
				if a.X < b.X+b.Width && b.X < a.X+a.Width && a.Y < b.Y+b.Height && b.Y < a.Y+a.Height {
					t.Errorf("%s: widgets %q and %q overlap", name, a.Title, b.Title)
				}
			}
		}
	}
}
