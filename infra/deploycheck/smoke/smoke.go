package smoke

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck"
	"github.com/orderly-dev/orderly/infra/deploycheck/awsenv"
	"github.com/orderly-dev/orderly/infra/deploycheck/drift"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/lambda/ordering"
	"github.com/orderly-dev/orderly/lambda/schedule"
)

// Defaults of Options.
const (
	DefaultTimeout = 5 * time.Minute
	DefaultPoll    = 5 * time.Second
	// logClockSkew widens the log search window: the consumer's clock, not
	// ours, stamps its lines.
	logClockSkew = time.Minute
)

// Options configure Run. Zero values take the documented defaults.
type Options struct {
	// Config is the resolved environment. Required.
	Config config.Config
	// Kind is config.KindKinesis or config.KindFifo. Required.
	Kind string
	// AWS is the configuration with credentials already checked.
	AWS aws.Config
	// Timeout bounds the wait for the canary's outcomes. Default DefaultTimeout.
	Timeout time.Duration
	// Poll is the interval between log searches. Default DefaultPoll.
	Poll time.Duration
	// PeekWaitSeconds is the long-poll wait of each queue peek, so that SQS
	// asks every server. Default 0 (tests); the command passes 1.
	PeekWaitSeconds int32
	// Progress receives one line per poll. Default io.Discard.
	Progress io.Writer
	// RunID names this run's canary entities. Default: random.
	RunID string
	// Assembly is the cloud assembly synthesized for this environment,
	// whose template the deployed stack's ordering settings are compared
	// with (infra/deploycheck/drift). Default deploycheck.DefaultAssembly.
	Assembly string
}

// ErrBadInput marks errors found before anything was sent.
var ErrBadInput = errors.New("smoke")

// Report is the outcome of a run.
type Report struct {
	Stack      string `json:"stack"`
	RunID      string `json:"runId"`
	Events     int    `json:"events"`
	Settled    int    `json:"settled"`
	Applied    int    `json:"applied"`
	Stale      int    `json:"stale"`
	Superseded int    `json:"superseded"`
	Retries    int    `json:"retries"`
	// OrderingSettings is how many ordering settings were compared with
	// the template; a difference is a problem.
	OrderingSettings int           `json:"orderingSettingsCompared"`
	Took             time.Duration `json:"tookNs"`
	Problems         []string      `json:"problems"`
	OK               bool          `json:"ok"`
}

// WriteText writes the problems, then one verdict line.
func (r Report) WriteText(w io.Writer) error {
	for _, p := range r.Problems {
		if _, err := fmt.Fprintln(w, "problem:", p); err != nil {
			return err
		}
	}
	verdict := "PASS"
	if !r.OK {
		verdict = "FAIL"
	}
	_, err := fmt.Fprintf(w, "smoke %s: %s: %d/%d canary events settled in period %s (%d applied, %d stale, %d superseded, %d retried attempts), %d ordering settings compared with the template, run %s, %s\n",
		verdict, r.Stack, r.Settled, r.Events, CanaryPeriod, r.Applied, r.Stale, r.Superseded, r.Retries, r.OrderingSettings, r.RunID, r.Took.Round(time.Second))
	return err
}

// Run sends the canary and checks it. An error (wrapping ErrBadInput when
// nothing was sent) means no verdict could be reached.
func Run(ctx context.Context, o Options) (Report, error) {
	o = withDefaults(o)
	c := o.Config
	r := Report{Stack: c.StackName(o.Kind), RunID: o.RunID}
	out, err := stackOutputs(ctx, o)
	if err != nil {
		return r, err
	}
	bus, group := out[outputs.EventBusName], out[outputs.LogGroupName]
	if err := checkTargets(ctx, o, bus, group); err != nil {
		return r, err
	}
	if err := checkDrift(ctx, o, &r); err != nil {
		return r, err
	}
	start := time.Now()
	events, err := send(ctx, o, bus, start)
	if err != nil {
		return r, err
	}
	r.Events = len(events)
	lines, err := waitForOutcomes(ctx, o, group, events, start)
	if err != nil {
		return r, err
	}
	evaluate(&r, c.PeriodPath, events, lines)
	isCanary := canaryMatcher(o.RunID, recordIDs(lines))
	checkQueues(ctx, o, &r, out, isCanary)
	if bucket := deploycheck.FailureBucket(o.Kind); bucket != "" {
		checkBucket(ctx, o, &r, bucket, out[bucket], start, isCanary)
	}
	r.Took = time.Since(start)
	r.OK = len(r.Problems) == 0
	return r, nil
}

// checkDrift compares the deployed stack's ordering settings with the
// synthesized template (infra/deploycheck/drift): each difference is a
// problem, and so is a setting that cannot be read. A missing or foreign
// template is bad input: nothing is sent.
func checkDrift(ctx context.Context, o Options, r *Report) error {
	s, err := deploycheck.Synthesized(o.Assembly, o.Config, o.Kind)
	if err != nil {
		return badInput("%v", err)
	}
	res, err := drift.Check(ctx, o.AWS, s.Name, s.Template)
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("cannot compare the deployed ordering settings with the template: %v (the identity needs %s)",
			err, strings.Join(drift.Permissions, ", ")))
		return nil
	}
	r.OrderingSettings = res.Compared
	for _, d := range res.Differences {
		r.Problems = append(r.Problems, "drift: "+d.String())
	}
	return nil
}

func withDefaults(o Options) Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Assembly == "" {
		o.Assembly = deploycheck.DefaultAssembly
	}
	if o.RunID == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.RunID = hex.EncodeToString(b)
	}
	return o
}

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

func stackOutputs(ctx context.Context, o Options) (map[string]string, error) {
	out, err := deploycheck.StackOutputs(ctx, o.AWS, o.Config, o.Kind, RequiredOutputs(o.Config, o.Kind))
	if err != nil {
		return nil, badInput("%s", err)
	}
	return out, nil
}

// checkTargets proves the bus and the log group exist before anything is sent.
func checkTargets(ctx context.Context, o Options, bus, group string) error {
	rt := o.Config.Rule.DetailTypes
	if len(rt) > 0 && (!slices.Contains(rt, schedule.DetailTypeUpserted) || !slices.Contains(rt, schedule.DetailTypeDeleted)) {
		return badInput("rule.detailTypes %q does not match both %q and %q: the canary would not reach the consumer", rt, schedule.DetailTypeUpserted, schedule.DetailTypeDeleted)
	}
	if _, err := eventbridge.NewFromConfig(o.AWS).DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(bus)}); err != nil {
		if awsenv.ErrorCode(err) == "ResourceNotFoundException" {
			return badInput("event bus %s (the stack's %s output) does not exist in %s", bus, outputs.EventBusName, o.AWS.Region)
		}
		return badInput("cannot describe event bus %s: %s", bus, awsenv.Describe(err))
	}
	if _, err := cloudwatchlogs.NewFromConfig(o.AWS).FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(group), Limit: aws.Int32(1), StartTime: aws.Int64(time.Now().UnixMilli()),
	}); err != nil {
		return badInput("cannot read the consumer's log group %s: %s", group, awsenv.Describe(err))
	}
	return nil
}

func send(ctx context.Context, o Options, bus string, start time.Time) ([]*canaryEvent, error) {
	events := burst()
	source := o.Config.Rule.Sources[0]
	at := start.UTC().Truncate(time.Second)
	entries := make([]ebtypes.PutEventsRequestEntry, len(events))
	details := make([][]byte, len(events))
	for i, e := range events {
		dt, detail := e.detail(o.RunID, o.Config.PeriodPath)
		details[i] = detail
		entries[i] = ebtypes.PutEventsRequestEntry{
			EventBusName: aws.String(bus), Source: aws.String(source), DetailType: aws.String(dt),
			Detail: aws.String(string(detail)), Time: aws.Time(at),
		}
	}
	out, err := eventbridge.NewFromConfig(o.AWS).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err != nil {
		return nil, fmt.Errorf("put the canary events on %s: %s", bus, awsenv.Describe(err))
	}
	var rejected []string
	for i, res := range out.Entries {
		if res.ErrorCode != nil {
			rejected = append(rejected, fmt.Sprintf("%s: %s", aws.ToString(res.ErrorCode), aws.ToString(res.ErrorMessage)))
			continue
		}
		events[i].sent(aws.ToString(res.EventId), source, aws.ToString(entries[i].DetailType), details[i], at)
	}
	if len(rejected) > 0 || len(out.Entries) != len(events) {
		return nil, fmt.Errorf("EventBridge rejected %d of %d canary events: %s", len(events)-len(out.Entries)+len(rejected), len(events), strings.Join(rejected, "; "))
	}
	fmt.Fprintf(o.Progress, "smoke: put %d canary events on %s (period %s, run %s)\n", len(events), bus, CanaryPeriod, o.RunID)
	return events, nil
}

// waitForOutcomes polls the log group until every canary event has a final
// outcome or the timeout passes, printing one progress line per poll.
func waitForOutcomes(ctx context.Context, o Options, group string, events []*canaryEvent, start time.Time) ([]logLine, error) {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.id
	}
	logs := cloudwatchlogs.NewFromConfig(o.AWS)
	deadline := start.Add(o.Timeout)
	for {
		lines, err := readLines(ctx, logs, group, ids, start.Add(-logClockSkew))
		if err != nil {
			return nil, fmt.Errorf("read the consumer's log group %s: %s", group, awsenv.Describe(err))
		}
		settled := map[string]bool{}
		for _, l := range lines {
			if l.settled() {
				settled[l.eventID] = true
			}
		}
		fmt.Fprintf(o.Progress, "smoke: %d/%d canary events settled after %s (timeout %s)\n",
			len(settled), len(events), time.Since(start).Round(time.Second), o.Timeout)
		if len(settled) == len(events) || !time.Now().Add(o.Poll).Before(deadline) {
			return lines, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(o.Poll):
		}
	}
}

// evaluate replays the succeeded lines, in the order the consumer wrote
// them, through the domain's own Apply: each must have had exactly the
// effect Apply predicts given the ones before it. A lost update or an
// out-of-order application shows up as a wrong effect. A change the
// consumer coalesced away (superseded) must be one Apply would have
// applied, and a newer change of its entity must be applied after it.
func evaluate(r *Report, period schedule.PeriodPath, events []*canaryEvent, lines []logLine) {
	byID := map[string]*canaryEvent{}
	for _, e := range events {
		byID[e.id] = e
	}
	model := schedule.Schedule{Period: CanaryPeriod}
	settled := map[string]bool{}
	// superseded holds, per entity, a change logged as superseded whose
	// newer change has not been applied yet.
	superseded := map[schedule.EntityKey]*canaryEvent{}
	for _, l := range lines {
		e := byID[l.eventID]
		if e == nil {
			continue
		}
		switch l.outcome {
		case ordering.Succeeded.String():
			settled[e.id] = true
			change, err := schedule.ParseChange(e.ev, period)
			if err != nil {
				r.Problems = append(r.Problems, fmt.Sprintf("%s: cannot model it: %v", e, err))
				continue
			}
			want := schedule.EffectStale
			if schedule.Apply(&model, change) {
				want = schedule.EffectApplied
			}
			got := schedule.Effect(l.effect)
			switch {
			case got == schedule.EffectSuperseded && want == schedule.EffectApplied:
				superseded[change.Key] = e
			case got != want:
				r.Problems = append(r.Problems, fmt.Sprintf("%s was logged %q but should be %q after the canary events before it: an update was lost or applied out of order", e, l.effect, want))
			}
			switch got {
			case schedule.EffectApplied:
				delete(superseded, change.Key)
				r.Applied++
			case schedule.EffectSuperseded:
				r.Superseded++
			default:
				r.Stale++
			}
		case ordering.Poisoned.String():
			settled[e.id] = true
			r.Problems = append(r.Problems, fmt.Sprintf("%s was poisoned: %s", e, l.err))
		case ordering.Isolated.String():
			settled[e.id] = true
			r.Problems = append(r.Problems, fmt.Sprintf("%s was isolated (its period kept failing while others succeeded; redrive it once the period works): %s", e, l.err))
		default:
			r.Retries++
		}
	}
	unresolved := map[*canaryEvent]bool{}
	for _, e := range superseded {
		unresolved[e] = true
	}
	for _, e := range events { // in the order sent, for a stable report
		if unresolved[e] {
			r.Problems = append(r.Problems, fmt.Sprintf("%s was logged superseded, but no newer change of its entity was applied after it: an update was lost", e))
		}
	}
	r.Settled = len(settled)
	for _, e := range events {
		if !settled[e.id] {
			r.Problems = append(r.Problems, fmt.Sprintf("%s has no outcome in the consumer's log group yet", e))
		}
	}
}

func recordIDs(lines []logLine) []string {
	var ids []string
	for _, l := range lines {
		ids = append(ids, l.recordID)
	}
	return ids
}

func checkQueues(ctx context.Context, o Options, r *Report, out map[string]string, isCanary func(string) bool) {
	client := sqs.NewFromConfig(o.AWS)
	for _, key := range WatchedQueues(o.Config, o.Kind) {
		held, canary, complete, err := peekQueue(ctx, client, out[key], o.PeekWaitSeconds, isCanary)
		if err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("cannot inspect %s (%s): %s", key, out[key], awsenv.Describe(err)))
			continue
		}
		if msg := describeQueue(key, held, canary, complete); msg != "" && canary > 0 {
			r.Problems = append(r.Problems, msg)
		} else if msg != "" {
			fmt.Fprintln(o.Progress, "smoke: note:", msg)
		}
	}
}
