package relay

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/awsmetrics"
	"github.com/orderly-dev/orderly/lambda/telemetry"
)

// NamedRule is a rule with the construct id the dashboard labels it by.
type NamedRule struct {
	ID   string
	Rule awsevents.IRule
}

// DashboardProps configures NewDashboard. Every field but EventSourceID is
// required.
type DashboardProps struct {
	// Title heads the dashboard: the stack's name (Aws_STACK_NAME, so the
	// template does not depend on what the app calls the stack).
	Title string
	// Flow is one markdown sentence on the path an event takes.
	Flow string
	// Ingress and Rules: the rules whose matched events start the flow.
	Ingress *Ingress
	Rules   []NamedRule
	// TransportTitle and Transport chart what reached the stream or the
	// queues (labelled metrics).
	TransportTitle string
	Transport      []awscloudwatch.IMetric
	// Function is the consumer.
	Function awslambda.IFunction
	// IsolatedQueue is the consumer's isolated queue, whose depth is
	// charted with the failures that fill it; nil when isolation is off.
	IsolatedQueue awssqs.IQueue
	// EventSourceID is the consumer's event source mapping (its Ref) when
	// it publishes EventCount metrics, whose names are EventCounts; nil when
	// it publishes none.
	EventSourceID *string
	EventCounts   []string
	// Alarms are the stack's alarms, all created: each one's metric is
	// charted, and its state listed.
	Alarms *Alarms
}

// NewDashboard creates one CloudWatch dashboard that follows an event
// through the stack: the events the rules matched, what reached the stream
// or queue, what the event source mapping and the consumer made of them
// (outcomes, duration, lag); then the metric of every alarm, drawn from the
// very metric the alarm watches (Alarms.All), so a chart and its alarm
// cannot disagree; and last the state of every alarm.
func NewDashboard(scope constructs.Construct, id string, p DashboardProps) awscloudwatch.Dashboard {
	d := awscloudwatch.NewDashboard(scope, jsii.String(id), &awscloudwatch.DashboardProps{})
	d.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String("# " + p.Title + "\n" + p.Flow + " The first two rows follow the events; the rows below chart the " +
			"metric of every alarm, as the alarm watches it, and the last lists every alarm's state. " +
			"Failed events wait in the dead-letter queues, the poison queue" + isolatedStore(p) + " or the on-failure bucket: `make redrive` puts them back."),
		Width: jsii.Number(24), Height: jsii.Number(3),
	}))

	matched := make([]awscloudwatch.IMetric, len(p.Rules))
	for i, r := range p.Rules {
		matched[i] = RuleMetric(awsmetrics.MatchedEvents, r.Rule, p.Ingress).With(&awscloudwatch.MetricOptions{Label: jsii.String(r.ID)})
	}
	third := graph("3. Consumer invocations", 6, labelled(FunctionMetric(awsmetrics.Invocations, p.Function), "invocations"))
	if p.EventSourceID != nil {
		counts := make([]awscloudwatch.IMetric, len(p.EventCounts))
		for i, name := range p.EventCounts {
			counts[i] = labelled(EventSourceMetric(name, p.EventSourceID), name)
		}
		third = graph("3. Event source mapping: events by fate", 6, counts...)
	}
	sum := awscloudwatch.Stats_SUM()
	d.AddWidgets(
		graph("1. Events matched by the rules", 6, matched...),
		graph("2. "+p.TransportTitle, 6, p.Transport...),
		third,
		graph("4. Consumer: records by outcome", 6,
			labelled(ConsumerMetric(telemetry.MetricRecordsProcessed, p.Function, sum), "succeeded (applied, stale or superseded)"),
			labelled(ConsumerMetric(telemetry.MetricRecordsStale, p.Function, sum), "of those stale"),
			labelled(ConsumerMetric(telemetry.MetricRecordsSuperseded, p.Function, sum), "of those superseded in a coalesced push"),
			labelled(ConsumerMetric(telemetry.MetricRecordsFailed, p.Function, sum), "failed, retried"),
			labelled(ConsumerMetric(telemetry.MetricRecordsSkipped, p.Function, sum), "skipped, retried"),
			labelled(ConsumerMetric(telemetry.MetricRecordsPoisoned, p.Function, sum), "poisoned"),
			labelled(ConsumerMetric(telemetry.MetricRecordsIsolated, p.Function, sum), "isolated")),
	)
	maximum := awscloudwatch.Stats_MAXIMUM()
	// Whether a failing third-party API fails one period (its records are
	// isolated once old enough) or every period (an outage: everything
	// waits in line), and what sits in the isolated queue.
	reach := []awscloudwatch.IMetric{
		labelled(ConsumerMetric(telemetry.MetricFailuresPeriodSpecific, p.Function, sum), "period-specific failures"),
		labelled(ConsumerMetric(telemetry.MetricFailuresVendorWide, p.Function, sum), "vendor-wide failures"),
		labelled(ConsumerMetric(telemetry.MetricRecordsIsolated, p.Function, sum), "records isolated"),
	}
	if p.IsolatedQueue != nil {
		reach = append(reach, labelled(p.IsolatedQueue.MetricApproximateNumberOfMessagesVisible(MaxPerMinute()), "waiting in the isolated queue"))
	}
	d.AddWidgets(
		graph("5. Consumer: batch duration and lag (ms, max)", 8,
			labelled(ConsumerMetric(telemetry.MetricBatchDurationMs, p.Function, maximum), "batch duration"),
			labelled(ConsumerMetric(telemetry.MetricLagMs, p.Function, maximum), "lag behind the event time")),
		graph("6. Consumer: invocation duration (ms, max)", 8,
			labelled(metric(awsmetrics.Lambda, awsmetrics.Duration, map[string]*string{awsmetrics.FunctionName: p.Function.FunctionName()}, maximum), "duration")),
		graph("7. Consumer: transient failures by reach, and isolation", 8, reach...),
	)

	all := p.Alarms.All()
	var panels []awscloudwatch.IWidget
	for _, panel := range alarmPanels(p.Alarms) {
		panels = append(panels, graph(panel.title, 8, panel.metrics...))
	}
	for len(panels) > 0 {
		n := min(3, len(panels))
		d.AddWidgets(panels[:n]...)
		panels = panels[n:]
	}
	d.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title:  jsii.String("Every alarm's state"),
		Alarms: alarmRefs(all),
		Width:  jsii.Number(24),
		// One line per four alarms, and the title.
		Height: jsii.Number(float64(2 + (len(all)+3)/4)),
	}))
	return d
}

// isolatedStore names the isolated queue among the failure stores when
// there is one.
func isolatedStore(p DashboardProps) string {
	if p.IsolatedQueue == nil {
		return ""
	}
	return ", the isolated queue"
}

func graph(title string, width float64, metrics ...awscloudwatch.IMetric) awscloudwatch.GraphWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Left: &metrics, Width: jsii.Number(width), Height: jsii.Number(6),
	})
}

func labelled(m awscloudwatch.Metric, label string) awscloudwatch.IMetric {
	return m.With(&awscloudwatch.MetricOptions{Label: jsii.String(label)})
}

// alarmPanel is one chart of alarmed metrics.
type alarmPanel struct {
	title   string
	rank    int
	metrics []awscloudwatch.IMetric
}

// panelOf places an alarmed metric: related alarms share a chart, and the
// charts follow an event's path (delivery, transport, consumer, failure
// stores). A metric without a place here still gets a chart of its own.
func panelOf(namespace, name string) (title string, rank int) {
	switch {
	case namespace == awsmetrics.Events && name == awsmetrics.FailedInvocations:
		return "Rule deliveries given up (to the target DLQ)", 0
	case namespace == awsmetrics.Events && name == awsmetrics.InvocationsFailedToBeSentToDlq:
		return "Rule deliveries lost (DLQ send failed)", 1
	case namespace == awsmetrics.Pipes:
		return "Keyed pipe failures", 2
	case namespace == awsmetrics.Kinesis:
		return "Stream: iterator age (ms)", 3
	case namespace == awsmetrics.SQS && name == awsmetrics.ApproximateAgeOfOldestMessage:
		return "Queues: age of the oldest message (s)", 3
	case namespace == awsmetrics.Lambda && (name == awsmetrics.Errors || name == awsmetrics.Throttles):
		return "Consumer: errors and throttles", 4
	case namespace == telemetry.Namespace:
		return "Consumer: periods split across partitions", 5
	case namespace == awsmetrics.SQS && name == awsmetrics.ApproximateNumberOfMessagesVisible:
		return "Failure stores: messages waiting", 6
	case namespace == awsmetrics.S3:
		return "On-failure bucket: discarded batches written", 7
	case namespace == awsmetrics.Lambda && name == awsmetrics.DestinationDeliveryFailures:
		return "On-failure records Lambda could not write", 8
	}
	return name + " (" + namespace + ")", 9
}

// alarmPanels groups the metrics of every alarm into charts, each metric
// labelled with its alarm's id.
func alarmPanels(a *Alarms) []alarmPanel {
	var out []alarmPanel
	for _, w := range a.watched {
		title, rank := "Other alarmed metrics", 10
		if stat := w.metric.ToMetricConfig().MetricStat; stat != nil {
			title, rank = panelOf(*stat.Namespace, *stat.MetricName)
		}
		i := slices.IndexFunc(out, func(p alarmPanel) bool { return p.title == title })
		if i < 0 {
			out = append(out, alarmPanel{title: title, rank: rank})
			i = len(out) - 1
		}
		m := w.metric
		if plain, ok := m.(awscloudwatch.Metric); ok {
			m = plain.With(&awscloudwatch.MetricOptions{Label: w.alarm.Node().Id()})
		}
		out[i].metrics = append(out[i].metrics, m)
	}
	slices.SortStableFunc(out, func(x, y alarmPanel) int {
		if x.rank != y.rank {
			return x.rank - y.rank
		}
		return strings.Compare(x.title, y.title)
	})
	return out
}

func alarmRefs(alarms []awscloudwatch.Alarm) *[]interfacesawscloudwatch.IAlarmRef {
	out := make([]interfacesawscloudwatch.IAlarmRef, len(alarms))
	for i, a := range alarms {
		out[i] = a
	}
	return &out
}
