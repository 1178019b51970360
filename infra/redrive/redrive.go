package redrive

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/lambda/event"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// DefaultVisibility is how long a received message stays hidden while a
// run works on it; a run that dies leaves it to reappear after this.
const DefaultVisibility = 5 * time.Minute

// Options configure Run. Zero values take the documented defaults.
type Options struct {
	// Config is the resolved environment. Required.
	Config config.Config
	// Kind is config.KindKinesis or config.KindFifo. Required.
	Kind string
	// AWS is the configuration with credentials already checked.
	AWS aws.Config
	// DryRun lists what would be sent and deleted, and sends and deletes
	// nothing.
	DryRun bool
	// Visibility of received messages. Default DefaultVisibility.
	Visibility time.Duration
	// WaitSeconds is each receive's long-poll wait, so that SQS asks every
	// server. Default 0 (tests); the command passes 1.
	WaitSeconds int32
	// Progress receives a line per round and per batch, and in a dry run
	// one per event. Default io.Discard.
	Progress io.Writer
}

// ErrBadInput marks errors found before anything was received or sent.
var ErrBadInput = errors.New("redrive")

// Run redrives every failed event of the stack. Its error means the run
// stopped (bad input, an AWS call that failed as a whole); the report then
// says what was done before.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Visibility <= 0 {
		o.Visibility = DefaultVisibility
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	c := o.Config
	r := Report{Stack: c.StackName(o.Kind), DryRun: o.DryRun}
	queues := deploycheck.FailureQueues(c, o.Kind)
	// The isolated queue is read wherever the stack declares it, and
	// required nowhere: a stack deployed before isolation was turned on
	// has none yet, and one deployed since it was turned off may still
	// hold records isolated before.
	queues = slices.DeleteFunc(queues, func(q string) bool { return q == outputs.IsolatedQueueURL })
	required := append([]string{outputs.EventBusName}, queues...)
	bucket := deploycheck.FailureBucket(o.Kind)
	if bucket != "" {
		required = append(required, bucket)
	}
	out, err := deploycheck.StackOutputs(ctx, o.AWS, c, o.Kind, required)
	if err != nil {
		return r, fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	if out[outputs.IsolatedQueueURL] != "" {
		queues = append(queues, outputs.IsolatedQueueURL)
	} else if c.Isolation.AfterSeconds > 0 {
		fmt.Fprintf(o.Progress, "redrive: stack %s has no %s output yet (isolation.afterSeconds is set; deploy to create the queue): not read\n", r.Stack, outputs.IsolatedQueueURL)
	}
	run := &run{o: o, period: c.PeriodPath, bus: out[outputs.EventBusName], report: &r, client: newClients(o.AWS)}
	for _, q := range queues {
		run.sources = append(run.sources, &source{output: q, ref: out[q], queue: true})
	}
	if bucket != "" {
		run.sources = append(run.sources, &source{output: bucket, ref: out[bucket]})
	}
	for _, s := range run.sources {
		r.Sources = append(r.Sources, &s.stats)
		s.stats.Source, s.stats.Ref = s.output, s.ref
	}
	defer run.release()
	for round := 1; ; round++ {
		items, err := run.collect(ctx)
		if err != nil {
			return r, err
		}
		if len(items) == 0 {
			break
		}
		r.Rounds = round
		plan := run.plan(items)
		fmt.Fprintf(o.Progress, "redrive: round %d: %d message(s) and object(s), %d event(s) of %d period(s) to put\n",
			round, len(items), len(plan), countPeriods(plan))
		if o.DryRun {
			run.list(plan)
			break
		}
		if err := run.put(ctx, plan); err != nil {
			return r, err
		}
	}
	run.remaining(ctx)
	r.finish(run.sources)
	return r, nil
}

// pending is one original event to put, and every message or object that
// carries it (the same event can sit in two places).
type pending struct {
	ev     event.Event
	change schedule.Change
	items  []*item
}

// plan parses the items' events, keeps one pending per original event id,
// and orders them per period by stamp.
func (run *run) plan(items []*item) []*pending {
	byID := map[string]*pending{}
	var plan []*pending
	for _, it := range items {
		for _, ev := range it.events {
			change, err := schedule.ParseChange(ev, run.period)
			if err != nil {
				it.keep(err.Error())
				continue
			}
			p := byID[change.Stamp.EventID]
			if p == nil {
				p = &pending{ev: ev, change: change}
				byID[change.Stamp.EventID] = p
				plan = append(plan, p)
			}
			p.items = append(p.items, it)
			it.unaccepted++
		}
	}
	slices.SortStableFunc(plan, func(a, b *pending) int {
		return cmp.Or(cmp.Compare(a.change.Period, b.change.Period), a.change.Stamp.Compare(b.change.Stamp))
	})
	return plan
}

func countPeriods(plan []*pending) int {
	n := 0
	for i, p := range plan {
		if i == 0 || p.change.Period != plan[i-1].change.Period {
			n++
		}
	}
	return n
}

// list prints what a dry run would do, in the order a run would.
func (run *run) list(plan []*pending) {
	for _, p := range plan {
		c := p.change
		fmt.Fprintf(run.o.Progress, "redrive: would put period %s %s %s/%s v%d %s event %s (from %s)\n",
			c.Period, c.Op, c.Key.Type, c.Key.ID, c.Stamp.Version, c.Stamp.Time.Format(time.RFC3339), c.Stamp.EventID, p.items[0].source.output)
		run.report.count(c.Period)
	}
	for _, s := range run.sources {
		for _, it := range s.items {
			if it.unaccepted > 0 && len(it.problems) == 0 {
				s.stats.WouldDelete++
			}
		}
	}
}
