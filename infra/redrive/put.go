package redrive

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/orderly-dev/orderly/infra/deploycheck/awsenv"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// PutEvents limits: 10 entries and 256 KiB per request.
const (
	maxEntries    = 10
	maxBatchBytes = 256 * 1024
)

// put sends the plan in order, in batches, and deletes each message or
// object as soon as every event it carries was accepted.
func (run *run) put(ctx context.Context, plan []*pending) error {
	for len(plan) > 0 {
		batch, entries, size := run.batch(plan)
		plan = plan[len(batch):]
		out, err := run.client.events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			return fmt.Errorf("put %d event(s) on %s (nothing of this batch was deleted): %s", len(entries), run.bus, awsenv.Describe(err))
		}
		if len(out.Entries) != len(entries) {
			return fmt.Errorf("put %d event(s) on %s: PutEvents answered %d entries; nothing of this batch was deleted", len(entries), run.bus, len(out.Entries))
		}
		accepted := 0
		for i, res := range out.Entries {
			p := batch[i]
			if res.ErrorCode != nil {
				run.report.Rejected++
				for _, it := range p.items {
					it.keep(fmt.Sprintf("PutEvents rejected event %s: %s: %s", p.change.Stamp.EventID, aws.ToString(res.ErrorCode), aws.ToString(res.ErrorMessage)))
				}
				continue
			}
			accepted++
			run.report.count(p.change.Period)
			for _, it := range p.items {
				it.unaccepted--
				if it.unaccepted == 0 && len(it.problems) == 0 && !it.deleted {
					run.remove(ctx, it)
				}
			}
		}
		fmt.Fprintf(run.o.Progress, "redrive: put %d/%d event(s) (%d bytes) on %s; %d put so far\n",
			accepted, len(entries), size, run.bus, run.report.Events)
	}
	return nil
}

// batch takes the longest prefix of plan that fits one PutEvents request.
func (run *run) batch(plan []*pending) (batch []*pending, entries []ebtypes.PutEventsRequestEntry, size int) {
	for _, p := range plan {
		entry := run.entry(p)
		n := entrySize(entry)
		if len(entries) == maxEntries || (len(entries) > 0 && size+n > maxBatchBytes) {
			break
		}
		batch, entries, size = append(batch, p), append(entries, entry), size+n
	}
	return batch, entries, size
}

// entry is the original event as PutEvents takes it, its detail carrying
// the original event id so that the copy keeps the original's stamp.
func (run *run) entry(p *pending) ebtypes.PutEventsRequestEntry {
	detail, err := schedule.WithOriginalEventID(p.ev.Detail, p.ev.ID)
	if err != nil {
		// ParseChange accepted the detail as an object.
		panic(err)
	}
	e := ebtypes.PutEventsRequestEntry{
		EventBusName: aws.String(run.bus),
		Source:       aws.String(p.ev.Source),
		DetailType:   aws.String(p.ev.DetailType),
		Detail:       aws.String(string(detail)),
		Resources:    p.ev.Resources,
	}
	if !p.ev.Time.IsZero() {
		e.Time = aws.Time(p.ev.Time)
	}
	return e
}

// entrySize is an entry's size as EventBridge counts it toward the limit.
func entrySize(e ebtypes.PutEventsRequestEntry) int {
	n := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}
