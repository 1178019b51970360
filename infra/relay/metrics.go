package relay

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awspipes"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/awsmetrics"
	"github.com/orderly-dev/orderly/lambda/telemetry"
)

// The metric definitions the alarms and the dashboards share: an alarm
// watches one of these, and the dashboard draws the alarm's own metric
// (Alarms.All) next to others built here, so a chart and the alarm on it
// cannot disagree on namespace, name, dimensions or statistic.

// sumPerMinute counts events per minute: the window of every count metric.
func sumPerMinute() *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Period: oneMinute, Statistic: awscloudwatch.Stats_SUM()}
}

func metric(namespace, name string, dims map[string]*string, stat *string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(namespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &dims,
		Period:        oneMinute,
		Statistic:     stat,
	})
}

// RuleMetric is one of a rule's AWS/Events metrics, summed per minute.
// CloudWatch publishes a custom bus's rule metrics under both the
// EventBusName and RuleName dimensions, the default bus's under RuleName
// only.
func RuleMetric(name string, rule awsevents.IRule, bus *Ingress) awscloudwatch.Metric {
	dims := map[string]*string{awsmetrics.RuleName: rule.RuleName()}
	if !bus.IsDefaultBus() {
		dims[awsmetrics.EventBusName] = bus.Bus.EventBusName()
	}
	return metric(awsmetrics.Events, name, dims, awscloudwatch.Stats_SUM())
}

// FunctionMetric is one of a function's AWS/Lambda metrics, summed per
// minute.
func FunctionMetric(name string, fn awslambda.IFunction) awscloudwatch.Metric {
	return metric(awsmetrics.Lambda, name, map[string]*string{awsmetrics.FunctionName: fn.FunctionName()}, awscloudwatch.Stats_SUM())
}

// EventSourceMetric is one of an event source mapping's EventCount metrics
// (published only when its MetricsConfig names EventCount), summed per
// minute. uuid is the mapping's id (its Ref).
func EventSourceMetric(name string, uuid *string) awscloudwatch.Metric {
	return metric(awsmetrics.Lambda, name, map[string]*string{awsmetrics.EventSourceMappingUUID: uuid}, awscloudwatch.Stats_SUM())
}

// PipeMetric is one of a pipe's AWS/EventBridge/Pipes metrics, summed per
// minute.
func PipeMetric(name string, pipe awspipes.CfnPipe) awscloudwatch.Metric {
	// A pipe's Ref is its name.
	return metric(awsmetrics.Pipes, name, map[string]*string{awsmetrics.PipeName: pipe.Ref()}, awscloudwatch.Stats_SUM())
}

// ConsumerMetric is one of the consumer's own EMF metrics (lambda/telemetry)
// under its FunctionName dimension, with the statistic stat.
func ConsumerMetric(name string, fn awslambda.IFunction, stat *string) awscloudwatch.Metric {
	return metric(telemetry.Namespace, name, map[string]*string{telemetry.FunctionNameDimension: fn.FunctionName()}, stat)
}

// BucketPutRequests counts the objects written to bucket per minute, by its
// S3 request-metrics configuration filterID (which must cover the whole
// bucket).
func BucketPutRequests(bucket awss3.IBucket, filterID string) awscloudwatch.Metric {
	return metric(awsmetrics.S3, awsmetrics.PutRequests, map[string]*string{
		awsmetrics.BucketName: bucket.BucketName(),
		awsmetrics.FilterID:   jsii.String(filterID),
	}, awscloudwatch.Stats_SUM())
}
