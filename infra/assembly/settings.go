package assembly

import (
	"fmt"
	"slices"

	"github.com/orderly-dev/orderly/infra/routing"
	"github.com/orderly-dev/orderly/lambda/envvar"
)

// Settings is what orderly reads from one stack's template, read once: the
// synth summary prints it, the planner and the local pipeline run it.
type Settings struct {
	Function FunctionSettings
	// Rules are the stack's rules in logical-id order.
	Rules []Rule
	// Isolation is how the consumer takes a failing period's records out
	// of line (both stacks).
	Isolation IsolationSettings
	// Kinesis is set for KinesisStack, Fifo for FifoStack.
	Kinesis *KinesisSettings
	Fifo    *FifoSettings
}

// IsolationSettings are the consumer's isolation settings as its
// environment states them.
type IsolationSettings struct {
	// AfterSeconds is envvar.IsolateAfterSeconds: the record age from which
	// a record whose period fails while others succeed is isolated; 0 when
	// isolation is off.
	AfterSeconds int
	// QueueLogicalID is the standard SQS queue envvar.IsolatedQueueURL
	// refers to; empty when isolation is off.
	QueueLogicalID string
}

// KinesisSettings are the deployed settings that decide ordering and
// throughput of KinesisStack.
type KinesisSettings struct {
	// ShardCount is 0 for an on-demand stream.
	ShardCount            int
	OnDemand              bool
	PartitionKeyPath      string
	BatchSize             int
	ParallelizationFactor int
	// RetryAttempts and MaxRecordAgeSeconds are -1 for unlimited.
	RetryAttempts       int
	MaxRecordAgeSeconds int
	BisectBatchOnError  bool
	ReportsItemFailures bool
	ReservedConcurrency int
}

// FifoSettings are the deployed settings of FifoStack.
type FifoSettings struct {
	// Delivery is how events reach the consumer's queue.
	Delivery FifoDelivery
	// GroupIDs are the static group ids of the rules' SQS targets, sorted;
	// empty in per-key mode, where Delivery.PipeGroupIDPath is set instead.
	GroupIDs            []string
	BatchSize           int
	MaxConcurrency      int
	ReservedConcurrency int
	VisibilityTimeout   int
	MaxReceiveCount     int
	ReportsItemFailures bool
	// OutageHoldSeconds is envvar.OutageHoldSeconds: how long the consumer
	// keeps a message invisible after a failure that looks vendor-wide; 0
	// when the hold is off.
	OutageHoldSeconds int
}

// Settings reads the stack's settings: Kinesis ones when the stack has a
// stream, FIFO ones otherwise.
func (t Template) Settings() (Settings, error) {
	var s Settings
	var err error
	if s.Function, err = t.function(); err != nil {
		return s, err
	}
	if s.Rules, err = t.rules(); err != nil {
		return s, err
	}
	if s.Isolation, err = t.isolation(); err != nil {
		return s, err
	}
	if len(t.idsOfType("AWS::Kinesis::Stream")) > 0 {
		k, err := t.kinesis(s.Rules)
		s.Kinesis = &k
		return s, err
	}
	f, err := t.fifo(s.Rules)
	s.Fifo = &f
	return s, err
}

func (t Template) kinesis(rules []Rule) (KinesisSettings, error) {
	var s KinesisSettings
	stream, err := t.one("AWS::Kinesis::Stream")
	if err != nil {
		return s, err
	}
	mode, ok, err := stream.object("StreamModeDetails")
	if err != nil {
		return s, err
	}
	if ok {
		m, err := mode.string("StreamMode")
		if err != nil {
			return s, err
		}
		s.OnDemand = m == "ON_DEMAND"
	}
	if !s.OnDemand {
		if s.ShardCount, err = stream.int("ShardCount"); err != nil {
			return s, err
		}
	}
	if len(rules) != 1 {
		return s, fmt.Errorf("want exactly one AWS::Events::Rule, found %d", len(rules))
	}
	if s.PartitionKeyPath = rules[0].PartitionKeyPath; s.PartitionKeyPath == "" {
		return s, fmt.Errorf("the rule's Kinesis target has no PartitionKeyPath")
	}
	esm, err := t.one("AWS::Lambda::EventSourceMapping")
	if err != nil {
		return s, err
	}
	if s.BatchSize, err = esm.intOr("BatchSize", DefaultKinesisBatchSize); err != nil {
		return s, err
	}
	if s.ParallelizationFactor, err = esm.intOr("ParallelizationFactor", DefaultParallelizationFactor); err != nil {
		return s, err
	}
	if s.RetryAttempts, err = esm.intOr("MaximumRetryAttempts", DefaultMaximumRetryAttempts); err != nil {
		return s, err
	}
	if s.MaxRecordAgeSeconds, err = esm.intOr("MaximumRecordAgeInSeconds", DefaultMaximumRecordAgeSeconds); err != nil {
		return s, err
	}
	if s.BisectBatchOnError, err = esm.boolOr("BisectBatchOnFunctionError", false); err != nil {
		return s, err
	}
	if s.ReportsItemFailures, err = reportsItemFailures(esm); err != nil {
		return s, err
	}
	s.ReservedConcurrency, err = t.reservedConcurrency()
	return s, err
}

func (t Template) fifo(rules []Rule) (FifoSettings, error) {
	var s FifoSettings
	var err error
	if s.Delivery, err = t.fifoDelivery(rules); err != nil {
		return s, err
	}
	if s.Delivery.PipeGroupIDPath == "" {
		for _, r := range rules {
			s.GroupIDs = append(s.GroupIDs, r.MessageGroupID)
		}
		slices.Sort(s.GroupIDs)
	}
	esm, err := t.one("AWS::Lambda::EventSourceMapping")
	if err != nil {
		return s, err
	}
	if s.BatchSize, err = esm.intOr("BatchSize", DefaultSQSBatchSize); err != nil {
		return s, err
	}
	if scaling, ok, err := esm.object("ScalingConfig"); err != nil {
		return s, err
	} else if ok {
		if s.MaxConcurrency, err = scaling.intOr("MaximumConcurrency", NoMaximumConcurrency); err != nil {
			return s, err
		}
	}
	if s.ReportsItemFailures, err = reportsItemFailures(esm); err != nil {
		return s, err
	}
	queue, err := t.eventSourceQueue()
	if err != nil {
		return s, err
	}
	if s.VisibilityTimeout, err = queue.intOr("VisibilityTimeout", DefaultSQSVisibilityTimeout); err != nil {
		return s, err
	}
	redrive, ok, err := queue.object("RedrivePolicy")
	if err != nil {
		return s, err
	}
	if !ok {
		return s, queue.errorf("RedrivePolicy", "is missing: a message that always fails would block its group forever")
	}
	if s.MaxReceiveCount, err = redrive.int("maxReceiveCount"); err != nil {
		return s, err
	}
	if s.ReservedConcurrency, err = t.reservedConcurrency(); err != nil {
		return s, err
	}
	vars, err := t.functionVariables()
	if err != nil {
		return s, err
	}
	s.OutageHoldSeconds, err = vars.envSecondsOr(envvar.OutageHoldSeconds, 0)
	return s, err
}

// functionVariables are the consumer's environment variables (empty when
// it has none).
func (t Template) functionVariables() (props, error) {
	fn, err := t.one("AWS::Lambda::Function")
	if err != nil {
		return props{}, err
	}
	env, ok, err := fn.object("Environment")
	if err != nil || !ok {
		return props{where: fn.where + ": Environment.Variables", m: map[string]any{}}, err
	}
	vars, ok, err := env.object("Variables")
	if err != nil || !ok {
		return props{where: env.where + ".Variables", m: map[string]any{}}, err
	}
	return vars, nil
}

// isolation reads the isolation age and the queue the consumer isolates
// to: both set, or neither, and the queue a standard one of the stack (the
// consumer refuses a FIFO queue).
func (t Template) isolation() (IsolationSettings, error) {
	var s IsolationSettings
	vars, err := t.functionVariables()
	if err != nil {
		return s, err
	}
	if s.AfterSeconds, err = vars.envSecondsOr(envvar.IsolateAfterSeconds, 0); err != nil {
		return s, err
	}
	if (s.AfterSeconds > 0) != vars.has(envvar.IsolatedQueueURL) {
		return s, vars.errorf(envvar.IsolatedQueueURL, "is set without %s above 0, or missing with it: the consumer isolates to that queue exactly when the age is set", envvar.IsolateAfterSeconds)
	}
	if s.AfterSeconds == 0 {
		return s, nil
	}
	if s.QueueLogicalID, err = vars.ref(envvar.IsolatedQueueURL); err != nil {
		return s, err
	}
	queue := t.props(s.QueueLogicalID)
	if t.Resources[s.QueueLogicalID].Type != "AWS::SQS::Queue" {
		return s, vars.errorf(envvar.IsolatedQueueURL, "refers to %s, which is not an AWS::SQS::Queue of the stack", s.QueueLogicalID)
	}
	if fifo, err := queue.boolOr("FifoQueue", false); err != nil {
		return s, err
	} else if fifo {
		return s, vars.errorf(envvar.IsolatedQueueURL, "refers to the FIFO queue %s: the isolated queue must be a standard queue", s.QueueLogicalID)
	}
	return s, nil
}

func (t Template) reservedConcurrency() (int, error) {
	fn, err := t.one("AWS::Lambda::Function")
	if err != nil {
		return 0, err
	}
	return fn.intOr("ReservedConcurrentExecutions", NoReservedConcurrency)
}

func reportsItemFailures(esm props) (bool, error) {
	types, err := esm.strings("FunctionResponseTypes")
	return slices.Contains(types, reportBatchItemFailuresResponse), err
}

// Groups describes the grouping as the template's description counts it:
// "per-key(<path>)", the static group count, and "+catch-all" when a
// catch-all rule takes events without a routable period.
func (f FifoSettings) Groups() string {
	if f.Delivery.PipeGroupIDPath != "" {
		return "per-key(" + f.Delivery.PipeGroupIDPath + ")"
	}
	if slices.Contains(f.GroupIDs, routing.CatchAllGroup) {
		return fmt.Sprintf("%d+catch-all", len(f.GroupIDs)-1)
	}
	return fmt.Sprint(len(f.GroupIDs))
}
