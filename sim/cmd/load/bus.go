package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/sdkhttp"
	"github.com/orderly-dev/orderly/sim/pipeline"
)

// putEventsBatch is the most entries one PutEvents call takes.
const putEventsBatch = 10

// putEventsAPI is the part of the EventBridge client the sender uses.
type putEventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// sendToBus sends the workload to a deployed bus. It cannot see the
// consumer's side: check the stack's alarms, queues and the API instead.
func sendToBus(ctx context.Context, f flags, stdout, stderr io.Writer) error {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("AWS configuration: %w", err)
	}
	cfg.HTTPClient = sdkhttp.Guard(cfg.HTTPClient)
	events, err := pipeline.Generate(pipeline.Workload{
		Events: f.events, Partitions: f.partitions, EntitiesPerPartition: f.entities, PoisonRate: f.poisonRate, Seed: f.seed,
		Source: f.source, DetailTypes: []string{schedule.DetailTypeUpserted, schedule.DetailTypeDeleted},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "sending %d events to bus %s\n", len(events), f.bus)
	sent, failed, err := putEvents(ctx, eventbridge.NewFromConfig(cfg), f.bus, events, f.rate)
	if err != nil {
		return err
	}
	line, _ := json.Marshal(map[string]any{"bus": f.bus, "eventsSent": sent, "eventsFailed": failed})
	fmt.Fprintln(stdout, string(line))
	if failed > 0 {
		return fmt.Errorf("%d events were refused by PutEvents", failed)
	}
	return nil
}

// putEvents sends events in order, in batches of 10, at rate events per
// second (0: as fast as PutEvents answers).
func putEvents(ctx context.Context, api putEventsAPI, bus string, events []pipeline.Event, rate float64) (sent, failed int, err error) {
	start := time.Now()
	for i := 0; i < len(events); i += putEventsBatch {
		batch := events[i:min(i+putEventsBatch, len(events))]
		if rate > 0 {
			due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			select {
			case <-ctx.Done():
				return sent, failed, ctx.Err()
			case <-time.After(time.Until(due)):
			}
		}
		entries := make([]types.PutEventsRequestEntry, len(batch))
		for j, e := range batch {
			entry, err := busEntry(bus, e)
			if err != nil {
				return sent, failed, err
			}
			entries[j] = entry
		}
		out, err := api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			return sent, failed, fmt.Errorf("PutEvents: %w", err)
		}
		failed += int(out.FailedEntryCount)
		sent += len(batch) - int(out.FailedEntryCount)
	}
	return sent, failed, nil
}

// busEntry turns a generated event into a PutEvents entry: EventBridge
// assigns the id and time itself.
func busEntry(bus string, e pipeline.Event) (types.PutEventsRequestEntry, error) {
	var ev struct {
		Source     string          `json:"source"`
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(e.JSON, &ev); err != nil {
		return types.PutEventsRequestEntry{}, err
	}
	return types.PutEventsRequestEntry{
		EventBusName: aws.String(bus),
		Source:       aws.String(ev.Source),
		DetailType:   aws.String(ev.DetailType),
		Detail:       aws.String(string(ev.Detail)),
	}, nil
}
