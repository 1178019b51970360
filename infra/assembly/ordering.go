package assembly

import (
	"fmt"
	"slices"
	"strings"
)

// CloudFormation's and AWS's values for ordering settings a template may
// leave out.
const (
	StreamModeProvisioned = "PROVISIONED"
	StreamModeOnDemand    = "ON_DEMAND"
	// DefaultRecordDistributionStrategy is an on-demand stream's strategy
	// when none is stated: records placed by partition key.
	DefaultRecordDistributionStrategy = "USER_PARTITION_KEY"
	// OrderlyEnvPrefix starts the name of every environment variable that
	// configures the consumer's ordering engine (lambda/envvar).
	OrderlyEnvPrefix = "ORDERLY_"
)

// Ordering is every setting of a stack that decides whether events keep
// their order, as its template states them, by resource: what the drift
// check compares with the deployed resources (infra/deploycheck/drift).
type Ordering struct {
	// Stream is KinesisStack's stream; nil for FifoStack.
	Stream *StreamOrdering
	// Rules are every rule and what its target keys delivery on.
	Rules []Rule
	// Queues are the FIFO queues events travel through: the consumer's,
	// and the ingest queue in per-key mode.
	Queues []QueueOrdering
	// Mapping is the consumer's event source mapping.
	Mapping MappingOrdering
	// Pipe is the per-key mode's pipe; nil otherwise.
	Pipe *PipeOrdering
	// Function is the consumer.
	Function FunctionOrdering
}

// StreamOrdering is a Kinesis stream's capacity mode and, on demand, its
// record distribution strategy ("" when provisioned: it has none).
type StreamOrdering struct {
	LogicalID                  string
	Mode                       string
	RecordDistributionStrategy string
}

// QueueOrdering is an SQS FIFO queue's ordering and redrive settings.
type QueueOrdering struct {
	LogicalID                 string
	Fifo                      bool
	ContentBasedDeduplication bool
	DeduplicationScope        string
	FifoThroughputLimit       string
	VisibilityTimeout         int
	// MaxReceiveCount is 0, and DeadLetterLogicalID empty, without a
	// redrive policy.
	MaxReceiveCount     int
	DeadLetterLogicalID string
}

// MappingOrdering is an event source mapping's ordering settings.
type MappingOrdering struct {
	LogicalID string
	Enabled   bool
	BatchSize int
	// ParallelizationFactor is 0 for an SQS mapping, which has none.
	ParallelizationFactor int
	ReportsItemFailures   bool
}

// PipeOrdering is what a pipe sets on the messages it sends.
type PipeOrdering struct {
	LogicalID           string
	GroupIDPath         string
	DeduplicationIDPath string
}

// FunctionOrdering is the consumer's ordering environment: every
// OrderlyEnvPrefix variable, each a literal in the template.
type FunctionOrdering struct {
	LogicalID   string
	Environment map[string]string
}

// Ordering reads the stack's ordering settings. A setting the template
// leaves out reads as CloudFormation's default; one it states in a form
// that cannot be compared (a value resolved at deploy time) is an error.
func (t Template) Ordering() (Ordering, error) {
	var o Ordering
	var err error
	if o.Rules, err = t.rules(); err != nil {
		return o, err
	}
	if ids := t.idsOfType("AWS::Kinesis::Stream"); len(ids) > 0 {
		if o.Stream, err = t.streamOrdering(); err != nil {
			return o, err
		}
	}
	if o.Mapping, err = t.mappingOrdering(); err != nil {
		return o, err
	}
	if o.Queues, err = t.queueOrdering(o); err != nil {
		return o, err
	}
	if pipe, ok, err := t.pipe(); err != nil {
		return o, err
	} else if ok {
		target, err := pipe.sqsParameters("TargetParameters")
		if err != nil {
			return o, err
		}
		p := &PipeOrdering{LogicalID: t.idsOfType("AWS::Pipes::Pipe")[0]}
		if p.GroupIDPath, err = target.string("MessageGroupId"); err != nil {
			return o, err
		}
		if p.DeduplicationIDPath, err = target.stringOr("MessageDeduplicationId", ""); err != nil {
			return o, err
		}
		o.Pipe = p
	}
	o.Function, err = t.functionOrdering()
	return o, err
}

func (t Template) streamOrdering() (*StreamOrdering, error) {
	id := t.idsOfType("AWS::Kinesis::Stream")
	if len(id) != 1 {
		return nil, fmt.Errorf("want exactly one AWS::Kinesis::Stream, found %d", len(id))
	}
	stream := t.props(id[0])
	s := &StreamOrdering{LogicalID: id[0], Mode: StreamModeProvisioned}
	if mode, ok, err := stream.object("StreamModeDetails"); err != nil {
		return nil, err
	} else if ok {
		if s.Mode, err = mode.string("StreamMode"); err != nil {
			return nil, err
		}
	}
	if s.Mode == StreamModeOnDemand {
		var err error
		if s.RecordDistributionStrategy, err = stream.stringOr("RecordDistributionStrategy", DefaultRecordDistributionStrategy); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (t Template) mappingOrdering() (MappingOrdering, error) {
	ids := t.idsOfType("AWS::Lambda::EventSourceMapping")
	if len(ids) != 1 {
		return MappingOrdering{}, fmt.Errorf("want exactly one AWS::Lambda::EventSourceMapping, found %d", len(ids))
	}
	esm := t.props(ids[0])
	m := MappingOrdering{LogicalID: ids[0]}
	var err error
	if m.Enabled, err = esm.boolOr("Enabled", true); err != nil {
		return m, err
	}
	source, err := esm.getAtt("EventSourceArn")
	if err != nil {
		return m, err
	}
	kinesis := t.Resources[source].Type == "AWS::Kinesis::Stream"
	def := DefaultSQSBatchSize
	if kinesis {
		def = DefaultKinesisBatchSize
	}
	if m.BatchSize, err = esm.intOr("BatchSize", def); err != nil {
		return m, err
	}
	if kinesis {
		if m.ParallelizationFactor, err = esm.intOr("ParallelizationFactor", DefaultParallelizationFactor); err != nil {
			return m, err
		}
	}
	m.ReportsItemFailures, err = reportsItemFailures(esm)
	return m, err
}

// queueOrdering reads the FIFO queues events travel through: the mapping's
// queue and every rule target queue.
func (t Template) queueOrdering(o Ordering) ([]QueueOrdering, error) {
	var ids []string
	if source, err := t.props(o.Mapping.LogicalID).getAtt("EventSourceArn"); err == nil && t.Resources[source].Type == "AWS::SQS::Queue" {
		ids = append(ids, source)
	}
	for _, r := range o.Rules {
		if t.Resources[r.TargetLogicalID].Type == "AWS::SQS::Queue" && !slices.Contains(ids, r.TargetLogicalID) {
			ids = append(ids, r.TargetLogicalID)
		}
	}
	slices.Sort(ids)
	var out []QueueOrdering
	for _, id := range ids {
		p := t.props(id)
		q := QueueOrdering{LogicalID: id}
		var err error
		if q.Fifo, err = p.boolOr("FifoQueue", false); err != nil {
			return nil, err
		}
		if q.ContentBasedDeduplication, err = p.boolOr("ContentBasedDeduplication", false); err != nil {
			return nil, err
		}
		if q.DeduplicationScope, err = p.stringOr("DeduplicationScope", DefaultDeduplicationScope); err != nil {
			return nil, err
		}
		if q.FifoThroughputLimit, err = p.stringOr("FifoThroughputLimit", DefaultFifoThroughputLimit); err != nil {
			return nil, err
		}
		if q.VisibilityTimeout, err = p.intOr("VisibilityTimeout", DefaultSQSVisibilityTimeout); err != nil {
			return nil, err
		}
		if redrive, ok, err := p.object("RedrivePolicy"); err != nil {
			return nil, err
		} else if ok {
			if q.MaxReceiveCount, err = redrive.int("maxReceiveCount"); err != nil {
				return nil, err
			}
			if q.DeadLetterLogicalID, err = redrive.getAtt("deadLetterTargetArn"); err != nil {
				return nil, err
			}
		}
		out = append(out, q)
	}
	return out, nil
}

func (t Template) functionOrdering() (FunctionOrdering, error) {
	ids := t.idsOfType("AWS::Lambda::Function")
	if len(ids) != 1 {
		return FunctionOrdering{}, fmt.Errorf("want exactly one AWS::Lambda::Function, found %d", len(ids))
	}
	f := FunctionOrdering{LogicalID: ids[0], Environment: map[string]string{}}
	env, ok, err := t.props(ids[0]).object("Environment")
	if err != nil || !ok {
		return f, err
	}
	vars, _, err := env.object("Variables")
	if err != nil {
		return f, err
	}
	for name := range vars.m {
		if !strings.HasPrefix(name, OrderlyEnvPrefix) {
			continue
		}
		if f.Environment[name], err = vars.string(name); err != nil {
			return f, err
		}
	}
	return f, nil
}
