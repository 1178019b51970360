package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/telemetry"
)

// emfDoc mirrors the EMF specification, so a wrong key name fails decoding
// into the expected fields.
type emfDoc struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

func TestEmitWritesValidEMF(t *testing.T) {
	at := time.Date(2026, 11, 28, 10, 0, 0, 123_000_000, time.UTC)
	tests := []struct {
		name        string
		metrics     telemetry.BatchMetrics
		wantValues  map[string]float64
		wantUnits   map[string]string
		wantNoLagMs bool
	}{
		{
			name: "with lag",
			metrics: telemetry.BatchMetrics{Source: "kinesis", Processed: 7, Failed: 1, Poisoned: 2, Skipped: 3, Stale: 2, Superseded: 3, PeriodsSplit: 2,
				Isolated: 1, PeriodSpecific: 1, VendorWide: 0, Duration: 1500 * time.Microsecond, Lag: 2*time.Second + 250*time.Millisecond, LagKnown: true},
			wantValues: map[string]float64{"RecordsProcessed": 7, "RecordsFailed": 1, "RecordsPoisoned": 2, "RecordsSkipped": 3, "RecordsStale": 2, "RecordsSuperseded": 3, "PeriodsSplitAcrossPartitions": 2, "RecordsIsolated": 1, "FailuresPeriodSpecific": 1, "FailuresVendorWide": 0, "BatchDurationMs": 1.5, "LagMs": 2250},
			wantUnits:  map[string]string{"RecordsProcessed": "Count", "RecordsFailed": "Count", "RecordsPoisoned": "Count", "RecordsSkipped": "Count", "RecordsStale": "Count", "RecordsSuperseded": "Count", "PeriodsSplitAcrossPartitions": "Count", "RecordsIsolated": "Count", "FailuresPeriodSpecific": "Count", "FailuresVendorWide": "Count", "BatchDurationMs": "Milliseconds", "LagMs": "Milliseconds"},
		},
		{
			name:        "without lag",
			metrics:     telemetry.BatchMetrics{Source: "sqs", Poisoned: 4, Duration: 42 * time.Millisecond},
			wantValues:  map[string]float64{"RecordsProcessed": 0, "RecordsFailed": 0, "RecordsPoisoned": 4, "RecordsSkipped": 0, "RecordsStale": 0, "RecordsSuperseded": 0, "PeriodsSplitAcrossPartitions": 0, "RecordsIsolated": 0, "FailuresPeriodSpecific": 0, "FailuresVendorWide": 0, "BatchDurationMs": 42},
			wantUnits:   map[string]string{"RecordsProcessed": "Count", "RecordsFailed": "Count", "RecordsPoisoned": "Count", "RecordsSkipped": "Count", "RecordsStale": "Count", "RecordsSuperseded": "Count", "PeriodsSplitAcrossPartitions": "Count", "RecordsIsolated": "Count", "FailuresPeriodSpecific": "Count", "FailuresVendorWide": "Count", "BatchDurationMs": "Milliseconds"},
			wantNoLagMs: true,
		},
		{
			name:       "negative lag from clock skew is clamped",
			metrics:    telemetry.BatchMetrics{Source: "sqs", Lag: -time.Second, LagKnown: true},
			wantValues: map[string]float64{"RecordsProcessed": 0, "RecordsFailed": 0, "RecordsPoisoned": 0, "RecordsSkipped": 0, "RecordsStale": 0, "RecordsSuperseded": 0, "PeriodsSplitAcrossPartitions": 0, "RecordsIsolated": 0, "FailuresPeriodSpecific": 0, "FailuresVendorWide": 0, "BatchDurationMs": 0, "LagMs": 0},
			wantUnits:  map[string]string{"RecordsProcessed": "Count", "RecordsFailed": "Count", "RecordsPoisoned": "Count", "RecordsSkipped": "Count", "RecordsStale": "Count", "RecordsSuperseded": "Count", "PeriodsSplitAcrossPartitions": "Count", "RecordsIsolated": "Count", "FailuresPeriodSpecific": "Count", "FailuresVendorWide": "Count", "BatchDurationMs": "Milliseconds", "LagMs": "Milliseconds"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := telemetry.NewMetrics(&out, func() time.Time { return at }).Emit(tc.metrics); err != nil {
				t.Fatal(err)
			}
			line := out.Bytes()
			if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
				t.Fatalf("want exactly one newline-terminated line, got %q", line)
			}
			var doc emfDoc
			var flat map[string]any
			if err := json.Unmarshal(line, &doc); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(line, &flat); err != nil {
				t.Fatal(err)
			}
			if doc.AWS.Timestamp != at.UnixMilli() {
				t.Errorf("Timestamp %d, want %d", doc.AWS.Timestamp, at.UnixMilli())
			}
			if len(doc.AWS.CloudWatchMetrics) != 1 {
				t.Fatalf("CloudWatchMetrics = %+v, want one directive", doc.AWS.CloudWatchMetrics)
			}
			dir := doc.AWS.CloudWatchMetrics[0]
			if dir.Namespace != "Orderly" {
				t.Errorf("Namespace %q", dir.Namespace)
			}
			// Every dimension must be a top-level string member.
			if len(dir.Dimensions) != 1 || !slices.Equal(dir.Dimensions[0], []string{"Source"}) {
				t.Errorf("Dimensions %v, want [[Source]]", dir.Dimensions)
			}
			if flat["Source"] != tc.metrics.Source {
				t.Errorf("Source member %v, want %q", flat["Source"], tc.metrics.Source)
			}
			gotUnits := map[string]string{}
			for _, m := range dir.Metrics {
				gotUnits[m.Name] = m.Unit
				// Every listed metric must be a top-level number.
				v, ok := flat[m.Name].(float64)
				if !ok {
					t.Errorf("metric %s has no numeric top-level value: %v", m.Name, flat[m.Name])
					continue
				}
				if v != tc.wantValues[m.Name] {
					t.Errorf("%s = %v, want %v", m.Name, v, tc.wantValues[m.Name])
				}
			}
			if len(gotUnits) != len(tc.wantUnits) {
				t.Errorf("metrics %v, want %v", gotUnits, tc.wantUnits)
			}
			for name, unit := range tc.wantUnits {
				if gotUnits[name] != unit {
					t.Errorf("unit of %s = %q, want %q", name, gotUnits[name], unit)
				}
			}
			if _, has := flat["LagMs"]; has == tc.wantNoLagMs {
				t.Errorf("LagMs present = %v, want %v", has, !tc.wantNoLagMs)
			}
		})
	}
}

func TestSummarizeCountsOutcomes(t *testing.T) {
	res := ordering.Result{Outcomes: []ordering.Outcome{
		ordering.Succeeded, ordering.Failed, ordering.Skipped, ordering.Skipped, ordering.Poisoned, ordering.Succeeded, ordering.Succeeded,
	}}
	got := telemetry.Summarize("kinesis", res, time.Second)
	want := telemetry.BatchMetrics{Source: "kinesis", Processed: 3, Failed: 1, Poisoned: 1, Skipped: 2, Duration: time.Second}
	if got != want {
		t.Fatalf("Summarize = %+v, want %+v", got, want)
	}
}

func TestEMFPublishesUnderTheFunctionNameToo(t *testing.T) {
	var buf bytes.Buffer
	m := telemetry.NewMetrics(&buf, func() time.Time { return time.Unix(0, 0) }).WithFunctionName("orderly-prod-fifo-consumer")
	if err := m.Emit(telemetry.BatchMetrics{Source: "sqs", PeriodsSplit: 1}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FunctionName string `json:"FunctionName"`
		AWS          struct {
			CloudWatchMetrics []struct{ Dimensions [][]string }
		} `json:"_aws"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	dims := doc.AWS.CloudWatchMetrics[0].Dimensions
	if doc.FunctionName != "orderly-prod-fifo-consumer" || len(dims) != 2 || dims[1][0] != telemetry.FunctionNameDimension {
		t.Fatalf("line %s: want FunctionName set and dimension sets [[Source] [FunctionName]]", buf.String())
	}
}

func TestPublishedMetricsCountsWhatEMFWrites(t *testing.T) {
	line, err := telemetry.BatchMetrics{Source: "kinesis", LagKnown: true}.EMF(time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AWS struct {
			CloudWatchMetrics []struct{ Metrics []struct{ Name string } }
		} `json:"_aws"`
	}
	if err := json.Unmarshal(line, &doc); err != nil {
		t.Fatal(err)
	}
	if got := len(doc.AWS.CloudWatchMetrics[0].Metrics); got != telemetry.PublishedMetrics {
		t.Errorf("EMF writes %d metrics, telemetry.PublishedMetrics says %d", got, telemetry.PublishedMetrics)
	}
}

func TestRetryBackoffFailedWritesOneCountLine(t *testing.T) {
	at := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	hook := telemetry.RetryBackoffFailed(telemetry.NewMetrics(&out, func() time.Time { return at }), slog.New(slog.DiscardHandler))
	hook(context.Background(), 3)
	if bytes.Count(out.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("want one line, got %q", out.String())
	}
	var doc emfDoc
	var flat map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Bytes(), &flat); err != nil {
		t.Fatal(err)
	}
	dirs := doc.AWS.CloudWatchMetrics
	if len(dirs) != 1 || dirs[0].Namespace != telemetry.Namespace || len(dirs[0].Metrics) != 1 ||
		dirs[0].Metrics[0].Name != telemetry.MetricRetryBackoffFailed || dirs[0].Metrics[0].Unit != "Count" ||
		len(dirs[0].Dimensions) != 1 || !slices.Equal(dirs[0].Dimensions[0], []string{telemetry.SourceDimension}) {
		t.Fatalf("directive %+v, want one Count metric %s under [[Source]]", dirs, telemetry.MetricRetryBackoffFailed)
	}
	if flat[telemetry.MetricRetryBackoffFailed] != 3.0 || flat[telemetry.SourceDimension] != "sqs" || doc.AWS.Timestamp != at.UnixMilli() {
		t.Errorf("line %s: want %s = 3 for Source sqs at %d", out.String(), telemetry.MetricRetryBackoffFailed, at.UnixMilli())
	}
}
