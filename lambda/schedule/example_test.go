package schedule_test

import (
	"context"
	"log"
	"log/slog"
	"os"

	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
)

// The consumer's wiring: an HTTP client for the third-party API, a handler
// on top of it, and the handler inside the ordering engine.
func ExampleNewHandler() {
	client, err := scheduleapi.New(scheduleapi.Options{
		BaseURL: os.Getenv("SCHEDULE_API_BASE_URL"),
		// In the Lambda, lambda/secret supplies the cached key.
		APIKey: func(context.Context) (string, error) { return os.Getenv("SCHEDULE_API_KEY"), nil },
	})
	if err != nil {
		log.Fatal(err)
	}
	handler, err := schedule.NewHandler(client, schedule.WithObserver(schedule.Observer{
		Decoded: func(ctx context.Context, rec ordering.Record, ev event.Event) {
			slog.InfoContext(ctx, "event", "eventId", ev.ID, "recordId", rec.ID, "eventTime", ev.Time)
		},
	}))
	if err != nil {
		log.Fatal(err)
	}
	// In the Lambda, lambda/poison sends these to the poison queue.
	poison := ordering.PoisonSinkFunc(func(ctx context.Context, rec ordering.Record, reason error) error {
		slog.ErrorContext(ctx, "poisoned", "recordId", rec.ID, "error", reason.Error())
		return nil
	})
	engine, err := ordering.New(handler, ordering.Options{Poison: poison})
	if err != nil {
		log.Fatal(err)
	}
	_ = engine // source.NewHandler(engine, ...) is the Lambda entry point
}
