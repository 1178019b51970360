package test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/assembly"
	"github.com/orderly-dev/orderly/infra/awsmetrics"
	outputs_ "github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/lambda/telemetry"
)

// TestEventSourceMappingsPublishEventCounts: both event source mappings set
// MetricsConfig to EventCount in every environment and grouping mode, and
// function.eventSourceMetrics=false leaves it out.
func TestEventSourceMappingsPublishEventCounts(t *testing.T) {
	cases := append(allSyntheses(t), synthCase{name: "off", env: "dev", overrides: map[string]string{"function.eventSourceMetrics": "false"}})
	for _, tc := range cases {
		s := synth(t, tc.env, tc.overrides)
		for _, stackID := range []string{kinesisID, fifoID} {
			if tc.fifoOnly && stackID != fifoID {
				continue
			}
			_, esm := s.only(t, stackID, "AWS::Lambda::EventSourceMapping")
			var want any = map[string]any{"Metrics": []any{"EventCount"}}
			if !s.cfg.Function.EventSourceMetrics {
				want = nil
			}
			expect(t, tc.name+" "+stackID+" MetricsConfig", esm["MetricsConfig"], want)
		}
	}
}

// template converts a synthesized template to the assembly reader's form.
func (s *synthesis) template(t testing.TB, stackID string) assembly.Template {
	t.Helper()
	data, err := json.Marshal(s.templates[stackID])
	if err != nil {
		t.Fatal(err)
	}
	var tmpl assembly.Template
	if err := json.Unmarshal(data, &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// emfMetricNames are the metric names the consumer declares in its EMF
// lines: what it publishes under telemetry.Namespace.
func emfMetricNames(t testing.TB) map[string]bool {
	t.Helper()
	doc, err := telemetry.BatchMetrics{Source: "x", FunctionName: "f", LagKnown: true}.EMF(time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace string
				Metrics   []struct{ Name string }
			}
		} `json:"_aws"`
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, d := range parsed.AWS.CloudWatchMetrics {
		if d.Namespace != telemetry.Namespace {
			t.Fatalf("EMF namespace %q", d.Namespace)
		}
		for _, m := range d.Metrics {
			names[m.Name] = true
		}
	}
	names[telemetry.MetricRetryBackoffFailed] = true // its own line (EmitCount)
	return names
}

// dimensionTypes is the resource type each dimension's value must name.
var dimensionTypes = map[string]string{
	awsmetrics.FunctionName:           "AWS::Lambda::Function",
	awsmetrics.EventSourceMappingUUID: "AWS::Lambda::EventSourceMapping",
	awsmetrics.RuleName:               "AWS::Events::Rule",
	awsmetrics.EventBusName:           "AWS::Events::EventBus",
	awsmetrics.PipeName:               "AWS::Pipes::Pipe",
	awsmetrics.QueueName:              "AWS::SQS::Queue",
	awsmetrics.StreamName:             "AWS::Kinesis::Stream",
	awsmetrics.BucketName:             "AWS::S3::Bucket",
}

var tokenRE = regexp.MustCompile(`^\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}$`)

// emitted says why m is not a metric the stack publishes, or "".
func emitted(tmpl assembly.Template, emf map[string]bool, m assembly.WidgetMetric) string {
	if m.Namespace == telemetry.Namespace {
		if !emf[m.Name] {
			return "the consumer publishes no such metric"
		}
		if len(m.Dimensions) != 1 || m.Dimensions[telemetry.FunctionNameDimension] == "" {
			return "the consumer publishes its metrics under FunctionName alone (or Source)"
		}
	} else {
		dims, ok := awsmetrics.Catalog[m.Namespace][m.Name]
		if !ok {
			return "not in awsmetrics.Catalog"
		}
		for name := range m.Dimensions {
			if !slices.Contains(dims, name) {
				return "AWS publishes it without dimension " + name
			}
		}
	}
	for name, value := range m.Dimensions {
		if name == awsmetrics.FilterID {
			continue
		}
		match := tokenRE.FindStringSubmatch(value)
		if match == nil {
			return fmt.Sprintf("dimension %s = %q names no resource of the stack", name, value)
		}
		r, ok := tmpl.Resources[match[1]]
		if !ok || (dimensionTypes[name] != "" && r.Type != dimensionTypes[name]) {
			return fmt.Sprintf("dimension %s = %s is not a %s of the stack", name, value, dimensionTypes[name])
		}
		if name == awsmetrics.EventSourceMappingUUID && fmt.Sprint(r.Properties["MetricsConfig"]) != "map[Metrics:[EventCount]]" {
			return "the event source mapping publishes no EventCount metrics"
		}
	}
	return ""
}

// TestDashboardShowsEveryAlarmAndOnlyEmittedMetrics checks each stack's
// dashboard in every environment and grouping mode: it is named in the
// DashboardName output; it lists every alarm's state and charts every
// alarm's own metric (namespace, name, dimensions, statistic, period);
// and every metric it charts is one the stack publishes — an AWS metric of
// one of the stack's resources under a dimension AWS publishes it with
// (infra/awsmetrics), event source mapping counts only when the mapping
// enables them, or one the consumer declares in its EMF lines.
func TestDashboardShowsEveryAlarmAndOnlyEmittedMetrics(t *testing.T) {
	emf := emfMetricNames(t)
	cases := append(allSyntheses(t),
		synthCase{name: "no-esm-metrics", env: "dev", overrides: map[string]string{"function.eventSourceMetrics": "false"}},
		synthCase{name: "default-bus", env: "dev", overrides: map[string]string{"bus.existing": "default", "fifo.messageGroups": "2"}})
	for _, tc := range cases {
		s := synth(t, tc.env, tc.overrides)
		for _, stackID := range []string{kinesisID, fifoID} {
			if tc.fifoOnly && stackID != fifoID {
				continue
			}
			t.Run(tc.name+"/"+stackID, func(t *testing.T) {
				tmpl := s.template(t, stackID)
				ds, err := tmpl.Dashboards()
				if err != nil {
					t.Fatal(err)
				}
				if len(ds) != 1 {
					t.Fatalf("%d dashboards, want 1", len(ds))
				}
				outputs := s.templates[stackID]["Outputs"].(map[string]any)
				expect(t, "DashboardName output", outputs[outputs_.DashboardName].(map[string]any)["Value"], ref(ds[0].LogicalID))

				listed := map[string]bool{}
				charted := map[string]bool{}
				esmCharted := false
				for _, w := range ds[0].Widgets {
					for _, a := range w.Alarms {
						listed[a] = w.Type == "alarm" || listed[a]
					}
					for _, m := range w.Metrics {
						if problem := emitted(tmpl, emf, m); problem != "" {
							t.Errorf("widget %q charts %s %s %v: %s", w.Title, m.Namespace, m.Name, m.Dimensions, problem)
						}
						if _, ok := m.Dimensions[awsmetrics.EventSourceMappingUUID]; ok {
							esmCharted = true
						}
						charted[metricKey(m.Namespace, m.Name, m.Dimensions, m.Stat, m.Period)] = true
					}
				}
				if esmCharted != s.cfg.Function.EventSourceMetrics {
					t.Errorf("event source mapping counts charted %v, function.eventSourceMetrics %v", esmCharted, s.cfg.Function.EventSourceMetrics)
				}
				alarms := s.resources(stackID, "AWS::CloudWatch::Alarm")
				if len(alarms) == 0 {
					t.Fatal("no alarms")
				}
				for id, a := range alarms {
					if !listed["${"+id+".Arn}"] {
						t.Errorf("alarm %s is not in the dashboard's alarm status widget", id)
					}
					d := map[string]string{}
					for name, v := range dims(a) {
						tok, err := assembly.Token(v)
						if err != nil {
							tok = fmt.Sprint(v)
						}
						d[name] = tok
					}
					period, _ := a["Period"].(float64)
					key := metricKey(fmt.Sprint(a["Namespace"]), fmt.Sprint(a["MetricName"]), d, fmt.Sprint(a["Statistic"]), int(period))
					if !charted[key] {
						t.Errorf("alarm %s: its metric %s is charted nowhere on the dashboard", id, key)
					}
				}
			})
		}
	}
}

func metricKey(namespace, name string, dims map[string]string, stat string, period int) string {
	return fmt.Sprintf("%s/%s%v %s/%ds", namespace, name, dims, stat, period)
}

// TestBusLogging: bus.logLevel turns on the created bus's LogConfig
// (without event details) and delivers each of its log types to a log
// group of its own, which only this account's log delivery may write;
// "off", the default, adds nothing.
func TestBusLogging(t *testing.T) {
	for _, level := range []string{"off", "error", "info"} {
		s := synth(t, "dev", map[string]string{"bus.logLevel": level})
		for _, stackID := range []string{kinesisID, fifoID} {
			t.Run(level+"/"+stackID, func(t *testing.T) {
				busID, bus := s.only(t, stackID, "AWS::Events::EventBus")
				sources := s.resources(stackID, "AWS::Logs::DeliverySource")
				outputs := s.templates[stackID]["Outputs"].(map[string]any)
				if level == "off" {
					expect(t, "LogConfig", bus["LogConfig"], nil)
					expect(t, "delivery sources", len(sources), 0)
					expect(t, "BusLogGroupName output", outputs[outputs_.BusLogGroupName], nil)
					return
				}
				expect(t, "LogConfig", bus["LogConfig"], map[string]any{"Level": strings.ToUpper(level), "IncludeDetail": "NONE"})
				wantTypes := []string{"ERROR_LOGS"}
				if level == "info" {
					wantTypes = append(wantTypes, "INFO_LOGS")
				}
				var types []string
				for _, src := range sources {
					expect(t, "source ResourceArn", src["ResourceArn"], map[string]any{"Fn::GetAtt": []any{busID, "Arn"}})
					types = append(types, src["LogType"].(string))
				}
				slices.Sort(types)
				expect(t, "log types", types, wantTypes)
				destID, dest := s.only(t, stackID, "AWS::Logs::DeliveryDestination")
				deliveries := s.resources(stackID, "AWS::Logs::Delivery")
				expect(t, "deliveries", len(deliveries), len(wantTypes))
				for id, d := range deliveries {
					expect(t, id+" destination", d["DeliveryDestinationArn"], map[string]any{"Fn::GetAtt": []any{destID, "Arn"}})
				}
				// The destination is the log group the output names.
				group := outputs[outputs_.BusLogGroupName].(map[string]any)["Value"].(map[string]any)["Ref"].(string)
				if !strings.Contains(fmt.Sprint(dest["DestinationResourceArn"]), group) {
					t.Errorf("destination %v is not log group %s", dest["DestinationResourceArn"], group)
				}
				expect(t, "retention", s.resources(stackID, "AWS::Logs::LogGroup")[group]["RetentionInDays"], float64(s.cfg.Function.LogRetentionDays))
				_, policy := s.only(t, stackID, "AWS::Logs::ResourcePolicy")
				if doc := fmt.Sprint(policy["PolicyDocument"]); !strings.Contains(doc, "delivery.logs.amazonaws.com") || !strings.Contains(doc, "aws:SourceAccount") {
					t.Errorf("log group policy %s does not limit writes to this account's log delivery", doc)
				}
			})
		}
	}
}
