// Command lambda is the orderly consumer: one binary for both the Kinesis
// and the SQS FIFO stack. It only wires packages together: the environment
// (config.go) configures the schedule handler (lambda/schedule on
// lambda/scheduleapi), the poison sink (lambda/poison), the ordering engine
// (lambda/ordering), the Lambda entry point (lambda/source), the SQS retry
// backoff (lambda/visibility) and the logs and metrics hooks
// (lambda/telemetry). Its only code of its own is Lambda glue:
// loading the AWS configuration and tagging log lines with the request id.
// See lambda/ordering for the processing semantics.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/poison"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
	"github.com/orderly-dev/orderly/lambda/sdkhttp"
	"github.com/orderly-dev/orderly/lambda/secret"
	"github.com/orderly-dev/orderly/lambda/source"
	"github.com/orderly-dev/orderly/lambda/telemetry"
	"github.com/orderly-dev/orderly/lambda/visibility"
)

func main() {
	ctx := context.Background()
	out := telemetry.NewSyncWriter(os.Stdout)
	invoke, err := setup(ctx, os.Getenv, out, loadAWSConfig)
	if err != nil {
		// Logged as JSON so that the init failure is searchable like
		// everything else; exiting makes Lambda report an init error.
		telemetry.NewLogger(out, slog.LevelInfo, nil).Error("consumer init failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(invoke)
}

func loadAWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	// Wrapped after loading, so that a custom CA bundle still reaches the
	// client the SDK builds.
	cfg.HTTPClient = sdkhttp.Guard(cfg.HTTPClient)
	return cfg, nil
}

// setup builds the handler from the environment. AWS configuration comes
// through loadAWS so that tests can point the SDK at loopback fakes.
func setup(ctx context.Context, getenv func(string) string, out io.Writer, loadAWS func(context.Context) (aws.Config, error)) (telemetry.LambdaHandler, error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, err
	}
	log := telemetry.NewLogger(out, cfg.logLevel, requestAttrs)
	slog.SetDefault(log)

	awsCfg, err := loadAWS(ctx)
	if err != nil {
		return nil, err
	}
	apiKey, err := secret.FromEnv(getenv, func() secret.GetSecretValueAPI { return secretsmanager.NewFromConfig(awsCfg) })
	if err != nil {
		return nil, err
	}
	client, err := scheduleapi.New(scheduleapi.Options{
		BaseURL:       cfg.scheduleAPIBaseURL,
		APIKey:        apiKey.APIKey,
		RefreshAPIKey: apiKey.Refresh,
		Limits:        cfg.apiLimits,
	})
	if err != nil {
		return nil, err
	}
	handler, err := schedule.NewHandler(client, schedule.WithPeriodPath(cfg.periodPath),
		schedule.WithObserver(schedule.Observer{Decoded: telemetry.EventDecoded(log), Applied: telemetry.RecordEffect}))
	if err != nil {
		return nil, err
	}
	sqsClient := sqs.NewFromConfig(awsCfg)
	sink, err := poison.New(sqsClient, cfg.poisonQueueURL, nil)
	if err != nil {
		return nil, err
	}
	// The probe reads a period that succeeded recently, to tell a period
	// failing alone from an outage when no other period's record comes by
	// (one shard, one message group).
	isolation := ordering.Isolation{After: cfg.isolateAfter, Probe: handler.Probe}
	if cfg.isolateAfter > 0 {
		if isolation.Sink, err = poison.NewIsolated(sqsClient, cfg.isolatedQueueURL, nil); err != nil {
			return nil, err
		}
	}
	engine, err := ordering.New(handler, ordering.Options{
		MaxConcurrentPartitions: cfg.maxConcurrentPartitions,
		DeadlineMargin:          cfg.deadlineMargin,
		Poison:                  sink,
		Logger:                  log,
		// Defence in depth: even if delivery is not keyed on the period,
		// one batch never runs two read-modify-writes of a period at once.
		SerializeBy: cfg.periodPath.SerializeBy(),
		// One fetch and at most one push per run of a period's records.
		Coalesce: cfg.coalesce,
		MaxChunk: cfg.maxChunk,
		// A period failing while others succeed leaves the line once its
		// record is old enough; an outage holds everything.
		Isolation: isolation,
	})
	if err != nil {
		return nil, err
	}
	metrics := telemetry.NewMetrics(out, nil).WithFunctionName(getenv(envvar.FunctionName))
	// A group whose batch reported a failure resumes after this backoff
	// instead of the queue's visibility timeout.
	delayer, err := visibility.New(sqsClient, visibility.Options{
		Backoff:    cfg.retryBackoff,
		Hold:       cfg.outageHold,
		Logger:     log,
		NotDelayed: telemetry.RetryBackoffFailed(metrics, log),
	})
	if err != nil {
		return nil, err
	}
	src := source.NewHandler(engine, source.HandlerOptions{
		Logger:     log,
		OnBatch:    telemetry.PublishBatch(metrics, log),
		OnSQSRetry: func(ctx context.Context, retry []source.SQSRetry) { delayer.Delay(ctx, holdVendorWide(retry)) },
	})
	log.Info("consumer ready",
		"scheduleApiBaseUrl", cfg.scheduleAPIBaseURL, "poisonQueueUrl", cfg.poisonQueueURL,
		"periodPath", cfg.periodPath.String(), "maxConcurrentPartitions", cfg.maxConcurrentPartitions,
		"coalesce", cfg.coalesce, "maxChunkRecords", cfg.maxChunk, "deadlineMargin", cfg.deadlineMargin.String(),
		"apiCallTimeout", cfg.apiLimits.CallTimeout.String(), "apiMaxAttempts", cfg.apiLimits.MaxAttempts, "apiRetryBudget", cfg.apiLimits.RetryBudget.String(),
		"retryBackoffBase", cfg.retryBackoff.Base.String(), "retryBackoffMax", cfg.retryBackoff.Max.String(),
		"outageHold", time.Duration(cfg.outageHold).String(), "isolateAfter", cfg.isolateAfter.String(), "isolatedQueueUrl", cfg.isolatedQueueURL)
	return telemetry.TrackBatch(src.Invoke), nil
}

// holdVendorWide marks the retried messages whose failure looks vendor-wide
// for the outage hold; the others get the retry backoff.
func holdVendorWide(retry []source.SQSRetry) []visibility.Retry {
	out := make([]visibility.Retry, len(retry))
	for i, r := range retry {
		out[i] = visibility.Retry{Message: r.Message, Held: r.Scope == ordering.WideFailure}
	}
	return out
}

// requestAttrs tags every log line of an invocation with its request id.
func requestAttrs(ctx context.Context) []slog.Attr {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return []slog.Attr{slog.String("requestId", lc.AwsRequestID)}
	}
	return nil
}
