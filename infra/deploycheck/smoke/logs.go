package smoke

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/telemetry"
)

// logLine is one "record processed" line of a canary event.
type logLine struct {
	at       time.Time // the consumer's own timestamp (nanoseconds)
	logged   int64     // CloudWatch's timestamp, to break ties
	eventID  string
	recordID string
	outcome  string
	effect   string
	err      string
}

// filterPattern selects the canary events' lines in the log group.
func filterPattern(ids []string) string {
	terms := make([]string, len(ids))
	for i, id := range ids {
		terms[i] = `($.` + telemetry.FieldEventID + ` = "` + id + `")`
	}
	return "{ " + strings.Join(terms, " || ") + " }"
}

// readLines returns every processed-record line of the given events since
// start, in the order the consumer wrote them.
func readLines(ctx context.Context, logs *cloudwatchlogs.Client, group string, ids []string, since time.Time) ([]logLine, error) {
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName:  aws.String(group),
		FilterPattern: aws.String(filterPattern(ids)),
		StartTime:     aws.Int64(since.UnixMilli()),
	}
	var lines []logLine
	for {
		out, err := logs.FilterLogEvents(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, e := range out.Events {
			if l, ok := parseLine(aws.ToString(e.Message)); ok {
				l.logged = aws.ToInt64(e.Timestamp)
				lines = append(lines, l)
			}
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	sort.SliceStable(lines, func(i, j int) bool {
		if !lines[i].at.Equal(lines[j].at) {
			return lines[i].at.Before(lines[j].at)
		}
		return lines[i].logged < lines[j].logged
	})
	return lines, nil
}

func parseLine(msg string) (logLine, bool) {
	var doc map[string]any
	if json.Unmarshal([]byte(msg), &doc) != nil || doc[slog.MessageKey] != ordering.LogRecordProcessed {
		return logLine{}, false
	}
	str := func(k string) string { s, _ := doc[k].(string); return s }
	at, _ := time.Parse(time.RFC3339Nano, str(slog.TimeKey))
	return logLine{
		at: at, eventID: str(telemetry.FieldEventID), recordID: str(ordering.LogRecordID),
		outcome: str(ordering.LogOutcome), effect: str(telemetry.FieldEffect), err: str(ordering.LogError),
	}, true
}

// settled reports whether a line is an event's final outcome: applied or
// stale (succeeded), poisoned, or isolated. Failed and skipped records
// come back.
func (l logLine) settled() bool {
	switch l.outcome {
	case ordering.Succeeded.String(), ordering.Poisoned.String(), ordering.Isolated.String():
		return true
	}
	return false
}
