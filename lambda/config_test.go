package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
	"github.com/orderly-dev/orderly/lambda/visibility"
)

func TestLoadConfig(t *testing.T) {
	valid := map[string]string{
		"SCHEDULE_API_BASE_URL": "https://schedule.example.com",
		"POISON_QUEUE_URL":      "https://sqs.eu-west-1.amazonaws.com/111122223333/orderly-poison",
	}
	with := func(kv ...string) map[string]string {
		env := map[string]string{}
		for k, v := range valid {
			env[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    config
		wantErr []string
	}{
		{
			name: "defaults",
			env:  valid,
			want: config{scheduleAPIBaseURL: valid["SCHEDULE_API_BASE_URL"], poisonQueueURL: valid["POISON_QUEUE_URL"],
				maxConcurrentPartitions: ordering.DefaultMaxConcurrentPartitions, coalesce: true, maxChunk: ordering.DefaultMaxChunk,
				// Two 20 s retry budgets (fetch, push) and 1 s for the response.
				deadlineMargin: 41 * time.Second,
				apiLimits:      scheduleapi.Limits{CallTimeout: 10 * time.Second, MaxAttempts: 3, RetryBudget: 20 * time.Second},
				logLevel:       slog.LevelInfo},
		},
		{
			name: "everything set",
			env: with("ORDERLY_MAX_CONCURRENT_PARTITIONS", "7", "ORDERLY_DEADLINE_MARGIN_MS", "6000", "AWS_LAMBDA_LOG_LEVEL", "DEBUG",
				"ORDERLY_PERIOD_PATH", "$.detail.schedule.date",
				"ORDERLY_API_CALL_TIMEOUT_MS", "1500", "ORDERLY_API_MAX_ATTEMPTS", "2", "ORDERLY_API_RETRY_BUDGET_MS", "2500",
				"ORDERLY_COALESCE", "false", "ORDERLY_MAX_CHUNK_RECORDS", "25", "ORDERLY_API_REQUESTS_PER_SECOND", "2.5",
				"ORDERLY_RETRY_BACKOFF_BASE_SECONDS", "2", "ORDERLY_RETRY_BACKOFF_MAX_SECONDS", "50"),
			want: config{scheduleAPIBaseURL: valid["SCHEDULE_API_BASE_URL"], poisonQueueURL: valid["POISON_QUEUE_URL"],
				maxConcurrentPartitions: 7, maxChunk: 25, deadlineMargin: 6 * time.Second, periodPath: schedule.MustPeriodPath("$.detail.schedule.date"),
				apiLimits:    scheduleapi.Limits{CallTimeout: 1500 * time.Millisecond, MaxAttempts: 2, RetryBudget: 2500 * time.Millisecond, RequestsPerSecond: 2.5},
				retryBackoff: visibility.Backoff{Base: 2 * time.Second, Max: 50 * time.Second},
				logLevel:     slog.LevelDebug},
		},
		{
			name: "retry backoff: base 0 retries at once, base unset is 1 s",
			env:  with("ORDERLY_RETRY_BACKOFF_BASE_SECONDS", "0", "ORDERLY_RETRY_BACKOFF_MAX_SECONDS", "30"),
			want: config{scheduleAPIBaseURL: valid["SCHEDULE_API_BASE_URL"], poisonQueueURL: valid["POISON_QUEUE_URL"],
				maxConcurrentPartitions: ordering.DefaultMaxConcurrentPartitions, coalesce: true, maxChunk: ordering.DefaultMaxChunk, deadlineMargin: 41 * time.Second,
				apiLimits:    scheduleapi.Limits{CallTimeout: 10 * time.Second, MaxAttempts: 3, RetryBudget: 20 * time.Second},
				retryBackoff: visibility.Backoff{Base: 0, Max: 30 * time.Second},
				logLevel:     slog.LevelInfo},
		},
		{
			name: "isolation and the outage hold",
			env: with("ORDERLY_ISOLATE_AFTER_SECONDS", "180", "ISOLATED_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/111122223333/orderly-isolated",
				"ORDERLY_OUTAGE_HOLD_SECONDS", "180"),
			want: config{scheduleAPIBaseURL: valid["SCHEDULE_API_BASE_URL"], poisonQueueURL: valid["POISON_QUEUE_URL"],
				maxConcurrentPartitions: ordering.DefaultMaxConcurrentPartitions, coalesce: true, maxChunk: ordering.DefaultMaxChunk, deadlineMargin: 41 * time.Second,
				apiLimits:    scheduleapi.Limits{CallTimeout: 10 * time.Second, MaxAttempts: 3, RetryBudget: 20 * time.Second},
				isolateAfter: 3 * time.Minute, isolatedQueueURL: "https://sqs.eu-west-1.amazonaws.com/111122223333/orderly-isolated",
				outageHold: visibility.Hold(3 * time.Minute),
				logLevel:   slog.LevelInfo},
		},
		{
			name:    "isolation without its queue",
			env:     with("ORDERLY_ISOLATE_AFTER_SECONDS", "180"),
			wantErr: []string{"ORDERLY_ISOLATE_AFTER_SECONDS is set: ISOLATED_QUEUE_URL is required"},
		},
		{
			name:    "isolation into a FIFO queue, a hold past SQS's 12 hours",
			env:     with("ORDERLY_ISOLATE_AFTER_SECONDS", "60", "ISOLATED_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/111122223333/x.fifo", "ORDERLY_OUTAGE_HOLD_SECONDS", "43201"),
			wantErr: []string{`ISOLATED_QUEUE_URL="https://sqs.eu-west-1.amazonaws.com/111122223333/x.fifo": want a standard SQS queue`, `ORDERLY_OUTAGE_HOLD_SECONDS="43201": want an integer from 0 to 43200`},
		},
		{
			name:    "retry backoff out of range",
			env:     with("ORDERLY_RETRY_BACKOFF_BASE_SECONDS", "-1", "ORDERLY_RETRY_BACKOFF_MAX_SECONDS", "43201"),
			wantErr: []string{`ORDERLY_RETRY_BACKOFF_BASE_SECONDS="-1": want an integer from 0 to 43200`, `ORDERLY_RETRY_BACKOFF_MAX_SECONDS="43201": want an integer from 0 to 43200`},
		},
		{
			name:    "retry backoff base above its maximum",
			env:     with("ORDERLY_RETRY_BACKOFF_BASE_SECONDS", "90", "ORDERLY_RETRY_BACKOFF_MAX_SECONDS", "60"),
			wantErr: []string{"ORDERLY_RETRY_BACKOFF_BASE_SECONDS and ORDERLY_RETRY_BACKOFF_MAX_SECONDS: base 1m30s exceeds max 1m0s"},
		},
		{
			name: "margin derived from the call limits",
			env:  with("ORDERLY_API_CALL_TIMEOUT_MS", "2000", "ORDERLY_API_RETRY_BUDGET_MS", "2000"),
			want: config{scheduleAPIBaseURL: valid["SCHEDULE_API_BASE_URL"], poisonQueueURL: valid["POISON_QUEUE_URL"],
				maxConcurrentPartitions: ordering.DefaultMaxConcurrentPartitions, coalesce: true, maxChunk: ordering.DefaultMaxChunk, deadlineMargin: 5 * time.Second,
				apiLimits: scheduleapi.Limits{CallTimeout: 2 * time.Second, MaxAttempts: 3, RetryBudget: 2 * time.Second},
				logLevel:  slog.LevelInfo},
		},
		{
			name:    "margin below the worst-case record",
			env:     with("ORDERLY_API_RETRY_BUDGET_MS", "2000", "ORDERLY_API_CALL_TIMEOUT_MS", "2000", "ORDERLY_DEADLINE_MARGIN_MS", "1000"),
			wantErr: []string{"ORDERLY_DEADLINE_MARGIN_MS=1000: below 5000", "ORDERLY_API_RETRY_BUDGET_MS=2000"},
		},
		{
			name:    "retry budget shorter than the call timeout",
			env:     with("ORDERLY_API_RETRY_BUDGET_MS", "1000", "ORDERLY_API_CALL_TIMEOUT_MS", "2000"),
			wantErr: []string{"ORDERLY_API_CALL_TIMEOUT_MS, ORDERLY_API_RETRY_BUDGET_MS and ORDERLY_API_REQUESTS_PER_SECOND", "shorter than the call timeout"},
		},
		{
			name:    "request rate not a positive number",
			env:     with("ORDERLY_API_REQUESTS_PER_SECOND", "-1"),
			wantErr: []string{`ORDERLY_API_REQUESTS_PER_SECOND="-1": want a positive number of requests per second`},
		},
		{
			name:    "nothing set reports both required variables",
			env:     map[string]string{},
			wantErr: []string{"SCHEDULE_API_BASE_URL is required", "POISON_QUEUE_URL is required"},
		},
		{
			name:    "relative URL",
			env:     with("SCHEDULE_API_BASE_URL", "schedule.example.com"),
			wantErr: []string{`SCHEDULE_API_BASE_URL="schedule.example.com": want an absolute http(s) URL`},
		},
		{
			name:    "FIFO poison queue",
			env:     with("POISON_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/111122223333/orderly-poison.fifo"),
			wantErr: []string{"want a standard SQS queue, not a FIFO queue"},
		},
		{
			name:    "bad numbers",
			env:     with("ORDERLY_MAX_CONCURRENT_PARTITIONS", "0", "ORDERLY_DEADLINE_MARGIN_MS", "2s"),
			wantErr: []string{`ORDERLY_MAX_CONCURRENT_PARTITIONS="0": want an integer from 1 to 1000`, `ORDERLY_DEADLINE_MARGIN_MS="2s": want an integer`},
		},
		{
			name:    "bad coalescing settings",
			env:     with("ORDERLY_COALESCE", "yes", "ORDERLY_MAX_CHUNK_RECORDS", "1001"),
			wantErr: []string{`ORDERLY_COALESCE="yes": want true or false`, `ORDERLY_MAX_CHUNK_RECORDS="1001": want an integer from 1 to 1000`},
		},
		{
			name:    "period path on a field that is not the period",
			env:     with("ORDERLY_PERIOD_PATH", "$.detail.entityId"),
			wantErr: []string{`ORDERLY_PERIOD_PATH="$.detail.entityId" names detail.entityId, which is not the schedule period`},
		},
		{
			name:    "bad log level",
			env:     with("AWS_LAMBDA_LOG_LEVEL", "chatty"),
			wantErr: []string{"AWS_LAMBDA_LOG_LEVEL", "want one of"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadConfig(func(k string) string { return tc.env[k] })
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("loadConfig succeeded with %+v, want errors %q", got, tc.wantErr)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not mention %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("config = %+v, want %+v", got, tc.want)
			}
		})
	}
}
