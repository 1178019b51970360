package telemetry

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "Orderly"

// SourceDimension is the dimension that separates the Kinesis and SQS stacks.
const SourceDimension = "Source"

// FunctionNameDimension separates the consumers of several stacks or
// environments in one account; the stacks' own alarms use it.
const FunctionNameDimension = "FunctionName"

// Metric names. They are for operators' CloudWatch dashboards and metric
// queries, and for Logs Insights queries over the EMF lines themselves; the
// stacks alarm on MetricPeriodsSplit only (infra/relay), and on AWS's own
// metrics otherwise.
const (
	MetricRecordsProcessed = "RecordsProcessed" // records that succeeded
	MetricRecordsFailed    = "RecordsFailed"    // transient failures, will be retried
	MetricRecordsPoisoned  = "RecordsPoisoned"  // permanent failures sent to the poison queue
	MetricRecordsSkipped   = "RecordsSkipped"   // not started (blocked partition or deadline), will be retried
	// MetricRecordsStale and MetricRecordsSuperseded count succeeded
	// records that were not pushed on their own (schedule.EffectStale,
	// schedule.EffectSuperseded): included in RecordsProcessed.
	MetricRecordsStale      = "RecordsStale"
	MetricRecordsSuperseded = "RecordsSuperseded"
	MetricBatchDurationMs   = "BatchDurationMs"
	MetricLagMs             = "LagMs" // largest (processing start - event time) in the batch
	// MetricPeriodsSplit counts periods that one batch delivered under more
	// than one partition (Kinesis key or FIFO group): a producer or routing
	// that does not key delivery on the period. The batch serializes them,
	// but concurrent invocations can still lose their updates.
	MetricPeriodsSplit = "PeriodsSplitAcrossPartitions"
	// MetricRetryBackoffFailed counts SQS messages reported for retry whose
	// visibility timeout the consumer could not shorten (lambda/visibility):
	// they keep the queue's visibility timeout, so their group resumes
	// later. Nothing is lost. Written on its own line, only when non-zero.
	MetricRetryBackoffFailed = "RetryBackoffFailed"
	// MetricFailuresPeriodSpecific and MetricFailuresVendorWide classify
	// the batch's transient failures (ordering.FailureScope): one period
	// failing while others succeed, or nothing succeeding (the vendor looks
	// down). MetricRecordsIsolated counts records taken out of line to the
	// isolated queue (docs/isolation.md); the stacks alarm on that queue.
	MetricFailuresPeriodSpecific = "FailuresPeriodSpecific"
	MetricFailuresVendorWide     = "FailuresVendorWide"
	MetricRecordsIsolated        = "RecordsIsolated"
)

// PublishedMetrics is how many metrics a deployed consumer publishes per
// dimension set (LagMs included); with a function name there are two sets,
// Source and FunctionName. The cost planner counts custom metrics with it,
// and a test pins it to what EMF writes.
const PublishedMetrics = 12

// BatchMetrics are the numbers published for one batch.
type BatchMetrics struct {
	Source string
	// FunctionName, when set, adds a second dimension set, FunctionName
	// alone, that every metric is also published under.
	FunctionName string
	Processed    int
	Failed       int
	Poisoned     int
	Skipped      int
	// Stale and Superseded count succeeded records by effect (RecordEffect).
	Stale      int
	Superseded int
	// PeriodsSplit is len(Result.SplitKeys): periods seen under several
	// partitions in this batch.
	PeriodsSplit int
	// Isolated counts records taken out of line; PeriodSpecific and
	// VendorWide classify the Failed records (ordering.Result.Scopes).
	Isolated       int
	PeriodSpecific int
	VendorWide     int
	Duration       time.Duration
	// Lag is only published when LagKnown: an empty or fully malformed
	// batch has no event time, and a made-up zero would skew the statistic.
	Lag      time.Duration
	LagKnown bool
}

// Summarize counts the outcomes of res.
func Summarize(source string, res ordering.Result, took time.Duration) BatchMetrics {
	return BatchMetrics{
		Source:         source,
		Processed:      res.Count(ordering.Succeeded),
		Failed:         res.Count(ordering.Failed),
		Poisoned:       res.Count(ordering.Poisoned),
		Skipped:        res.Count(ordering.Skipped),
		PeriodsSplit:   len(res.SplitKeys),
		Isolated:       res.Count(ordering.Isolated),
		PeriodSpecific: res.CountScope(ordering.KeyFailure),
		VendorWide:     res.CountScope(ordering.WideFailure),
		Duration:       took,
	}
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// EMF returns the metrics as one Embedded Metric Format document (without
// trailing newline), timestamped at.
func (m BatchMetrics) EMF(at time.Time) ([]byte, error) {
	doc := map[string]any{
		SourceDimension:              m.Source,
		MetricRecordsProcessed:       m.Processed,
		MetricRecordsFailed:          m.Failed,
		MetricRecordsPoisoned:        m.Poisoned,
		MetricRecordsSkipped:         m.Skipped,
		MetricRecordsStale:           m.Stale,
		MetricRecordsSuperseded:      m.Superseded,
		MetricPeriodsSplit:           m.PeriodsSplit,
		MetricRecordsIsolated:        m.Isolated,
		MetricFailuresPeriodSpecific: m.PeriodSpecific,
		MetricFailuresVendorWide:     m.VendorWide,
		MetricBatchDurationMs:        milliseconds(m.Duration),
	}
	metrics := []emfMetric{
		{MetricRecordsProcessed, "Count"},
		{MetricRecordsFailed, "Count"},
		{MetricRecordsPoisoned, "Count"},
		{MetricRecordsSkipped, "Count"},
		{MetricRecordsStale, "Count"},
		{MetricRecordsSuperseded, "Count"},
		{MetricPeriodsSplit, "Count"},
		{MetricRecordsIsolated, "Count"},
		{MetricFailuresPeriodSpecific, "Count"},
		{MetricFailuresVendorWide, "Count"},
		{MetricBatchDurationMs, "Milliseconds"},
	}
	if m.LagKnown {
		doc[MetricLagMs] = milliseconds(max(m.Lag, 0))
		metrics = append(metrics, emfMetric{MetricLagMs, "Milliseconds"})
	}
	return emfDocument(doc, metrics, m.FunctionName, at)
}

// CountEMF returns one EMF document holding a single Count metric, under
// the Source dimension and, when functionName is set, FunctionName too.
func CountEMF(source, functionName, name string, n int, at time.Time) ([]byte, error) {
	return emfDocument(map[string]any{SourceDimension: source, name: n}, []emfMetric{{name, "Count"}}, functionName, at)
}

// emfDocument adds the EMF metadata declaring metrics to doc (which holds
// their values) and marshals it. The metrics are published under the Source
// dimension, and under FunctionName alone when functionName is set.
func emfDocument(doc map[string]any, metrics []emfMetric, functionName string, at time.Time) ([]byte, error) {
	dimensions := [][]string{{SourceDimension}}
	if functionName != "" {
		doc[FunctionNameDimension] = functionName
		dimensions = append(dimensions, []string{FunctionNameDimension})
	}
	doc["_aws"] = emfMetadata{
		Timestamp: at.UnixMilli(),
		CloudWatchMetrics: []emfDirective{{
			Namespace:  Namespace,
			Dimensions: dimensions,
			Metrics:    metrics,
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("marshal EMF document: %w", err)
	}
	return b, nil
}

func milliseconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Metrics writes EMF lines; create one per container.
type Metrics struct {
	w            io.Writer
	now          func() time.Time
	functionName string
}

// WithFunctionName publishes every metric under the function's name too
// (FunctionNameDimension); empty leaves the Source dimension alone.
func (p *Metrics) WithFunctionName(name string) *Metrics {
	p.functionName = name
	return p
}

// NewMetrics writes to w (stdout in Lambda; share the logger's SyncWriter).
// now defaults to time.Now.
func NewMetrics(w io.Writer, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	return &Metrics{w: w, now: now}
}

// Emit writes m as one line, in a single Write.
func (p *Metrics) Emit(m BatchMetrics) error {
	m.FunctionName = p.functionName
	b, err := m.EMF(p.now())
	if err != nil {
		return err
	}
	return p.writeLine(b)
}

// EmitCount writes one line with the Count metric name = n for source.
func (p *Metrics) EmitCount(source, name string, n int) error {
	b, err := CountEMF(source, p.functionName, name, n, p.now())
	if err != nil {
		return err
	}
	return p.writeLine(b)
}

func (p *Metrics) writeLine(b []byte) error {
	if _, err := p.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write EMF line: %w", err)
	}
	return nil
}
