// Command lambda is the orderly consumer: one binary for both the Kinesis
// and the SQS FIFO stack. It only wires packages together; see
// lambda/ordering for the processing semantics.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/poison"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
	"github.com/orderly-dev/orderly/lambda/secret"
	"github.com/orderly-dev/orderly/lambda/source"
	"github.com/orderly-dev/orderly/lambda/telemetry"
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
	return cfg, nil
}

// invokeFunc is the Lambda handler signature: the raw payload, because the
// source is only known after looking at it.
type invokeFunc func(ctx context.Context, payload json.RawMessage) (any, error)

// setup builds the handler from the environment. AWS configuration comes
// through loadAWS so that tests can point the SDK at loopback fakes.
func setup(ctx context.Context, getenv func(string) string, out io.Writer, loadAWS func(context.Context) (aws.Config, error)) (invokeFunc, error) {
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
	client, err := scheduleapi.New(scheduleapi.Options{BaseURL: cfg.scheduleAPIBaseURL, APIKey: apiKey.APIKey})
	if err != nil {
		return nil, err
	}
	handler, err := schedule.NewHandler(client, schedule.WithObserver(schedule.Observer{
		Decoded: func(ctx context.Context, rec ordering.Record, ev event.Event) {
			telemetry.ObserveEventTime(ctx, ev.Time)
			ordering.Annotate(ctx, slog.String(telemetry.FieldEventID, ev.ID))
			log.LogAttrs(ctx, slog.LevelDebug, "event decoded",
				slog.String(ordering.LogRecordID, rec.ID), slog.String(telemetry.FieldEventID, ev.ID), slog.String("detailType", ev.DetailType))
		},
		// The effect goes on the record's line so that the smoke check can
		// replay a period's outcomes in order against the domain rules.
		Applied: func(ctx context.Context, _ event.Event, _ schedule.Change, changed bool) {
			ordering.Annotate(ctx, slog.String(telemetry.FieldEffect, telemetry.Effect(changed)))
		},
	}))
	if err != nil {
		return nil, err
	}
	sink, err := poison.New(sqs.NewFromConfig(awsCfg), cfg.poisonQueueURL, nil)
	if err != nil {
		return nil, err
	}
	engine, err := ordering.New(handler, ordering.Options{
		MaxConcurrentPartitions: cfg.maxConcurrentPartitions,
		DeadlineMargin:          cfg.deadlineMargin,
		Poison:                  sink,
		Logger:                  log,
	})
	if err != nil {
		return nil, err
	}
	metrics := telemetry.NewMetrics(out, nil)
	src := source.NewHandler(engine, source.HandlerOptions{
		Logger: log,
		OnBatch: func(ctx context.Context, r source.BatchReport) {
			m := telemetry.Summarize(string(r.Source), r.Result, r.Finished.Sub(r.Started))
			m.Lag, m.LagKnown = telemetry.MaxLag(ctx)
			if err := metrics.Emit(m); err != nil {
				log.ErrorContext(ctx, "emit metrics", "error", err.Error())
			}
		},
	})
	log.Info("consumer ready",
		"scheduleApiBaseUrl", cfg.scheduleAPIBaseURL, "poisonQueueUrl", cfg.poisonQueueURL,
		"maxConcurrentPartitions", cfg.maxConcurrentPartitions, "deadlineMargin", cfg.deadlineMargin.String())
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		ctx, _ = telemetry.WithLagTracker(ctx, nil)
		return src.Invoke(ctx, payload)
	}, nil
}

// requestAttrs tags every log line of an invocation with its request id.
func requestAttrs(ctx context.Context) []slog.Attr {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return []slog.Attr{slog.String("requestId", lc.AwsRequestID)}
	}
	return nil
}
