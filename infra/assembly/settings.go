package assembly

import (
	"fmt"
	"slices"

	"github.com/orderly-dev/orderly/infra/routing"
)

// KinesisSettings are the deployed settings that decide ordering and
// throughput of KinesisStack.
type KinesisSettings struct {
	// ShardCount is 0 for an on-demand stream.
	ShardCount            int
	OnDemand              bool
	PartitionKeyPath      string
	BatchSize             int
	ParallelizationFactor int
	RetryAttempts         int
	MaxRecordAgeSeconds   int
	BisectBatchOnError    bool
	ReportsItemFailures   bool
	ReservedConcurrency   int
}

// FifoSettings are the deployed settings of FifoStack.
type FifoSettings struct {
	// GroupIDs are the static group ids of the rules' SQS targets; empty in
	// per-key mode, where PipeGroupIDPath is set instead.
	GroupIDs            []string
	PipeGroupIDPath     string
	BatchSize           int
	MaxConcurrency      int
	ReservedConcurrency int
	VisibilityTimeout   int
	MaxReceiveCount     int
	ReportsItemFailures bool
}

// Kinesis extracts KinesisSettings from a KinesisStack template.
func (t Template) Kinesis() (KinesisSettings, error) {
	var s KinesisSettings
	stream, err := t.one("AWS::Kinesis::Stream")
	if err != nil {
		return s, err
	}
	s.ShardCount, _ = num(stream.Properties, "ShardCount")
	if mode, ok := stream.Properties["StreamModeDetails"].(map[string]any); ok {
		s.OnDemand = mode["StreamMode"] == "ON_DEMAND"
	}
	rule, err := t.one("AWS::Events::Rule")
	if err != nil {
		return s, err
	}
	for _, target := range list(rule.Properties["Targets"]) {
		if kp, ok := target["KinesisParameters"].(map[string]any); ok {
			s.PartitionKeyPath, _ = kp["PartitionKeyPath"].(string)
		}
	}
	esm, err := t.one("AWS::Lambda::EventSourceMapping")
	if err != nil {
		return s, err
	}
	p := esm.Properties
	s.BatchSize, _ = num(p, "BatchSize")
	s.ParallelizationFactor, _ = num(p, "ParallelizationFactor")
	s.RetryAttempts, _ = num(p, "MaximumRetryAttempts")
	s.MaxRecordAgeSeconds, _ = num(p, "MaximumRecordAgeInSeconds")
	s.BisectBatchOnError, _ = p["BisectBatchOnFunctionError"].(bool)
	s.ReportsItemFailures = reportsItemFailures(p)
	s.ReservedConcurrency, err = t.reservedConcurrency()
	if s.PartitionKeyPath == "" {
		return s, fmt.Errorf("the rule's Kinesis target has no PartitionKeyPath")
	}
	return s, err
}

// Fifo extracts FifoSettings from a FifoStack template.
func (t Template) Fifo() (FifoSettings, error) {
	var s FifoSettings
	for _, rule := range t.OfType("AWS::Events::Rule") {
		for _, target := range list(rule.Properties["Targets"]) {
			if sp, ok := target["SqsParameters"].(map[string]any); ok {
				if g, ok := sp["MessageGroupId"].(string); ok {
					s.GroupIDs = append(s.GroupIDs, g)
				}
			}
		}
	}
	if pipe, ok := t.pipe(); ok {
		s.PipeGroupIDPath, _ = pipeSQSParameters(pipe, "TargetParameters")["MessageGroupId"].(string)
		s.GroupIDs = nil
	}
	slices.Sort(s.GroupIDs)
	esm, err := t.one("AWS::Lambda::EventSourceMapping")
	if err != nil {
		return s, err
	}
	s.BatchSize, _ = num(esm.Properties, "BatchSize")
	if sc, ok := esm.Properties["ScalingConfig"].(map[string]any); ok {
		s.MaxConcurrency, _ = num(sc, "MaximumConcurrency")
	}
	s.ReportsItemFailures = reportsItemFailures(esm.Properties)
	queue, err := t.getAttTarget(esm.Properties["EventSourceArn"])
	if err != nil {
		return s, fmt.Errorf("event source mapping: %w", err)
	}
	s.VisibilityTimeout, _ = num(queue.Properties, "VisibilityTimeout")
	if rp, ok := queue.Properties["RedrivePolicy"].(map[string]any); ok {
		s.MaxReceiveCount, _ = num(rp, "maxReceiveCount")
	}
	s.ReservedConcurrency, err = t.reservedConcurrency()
	return s, err
}

func (t Template) reservedConcurrency() (int, error) {
	fn, err := t.one("AWS::Lambda::Function")
	if err != nil {
		return 0, err
	}
	n, _ := num(fn.Properties, "ReservedConcurrentExecutions")
	return n, nil
}

func reportsItemFailures(esm map[string]any) bool {
	types, _ := esm["FunctionResponseTypes"].([]any)
	for _, v := range types {
		if v == "ReportBatchItemFailures" {
			return true
		}
	}
	return false
}

// getAttTarget resolves {"Fn::GetAtt": [logicalId, attr]} to its resource.
func (t Template) getAttTarget(ref any) (Resource, error) {
	id, err := t.getAttID(ref)
	if err != nil {
		return Resource{}, err
	}
	r, ok := t.Resources[id]
	if !ok {
		return Resource{}, fmt.Errorf("reference to missing resource %q", id)
	}
	return r, nil
}

func list(v any) []map[string]any {
	items, _ := v.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, item := range items {
		if m, ok := item.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Groups describes the grouping as the template's description counts it:
// "per-key(<path>)", the static group count, and "+catch-all" when a
// catch-all rule takes events without a routable period.
func (f FifoSettings) Groups() string {
	if f.PipeGroupIDPath != "" {
		return "per-key(" + f.PipeGroupIDPath + ")"
	}
	if slices.Contains(f.GroupIDs, routing.CatchAllGroup) {
		return fmt.Sprintf("%d+catch-all", len(f.GroupIDs)-1)
	}
	return fmt.Sprint(len(f.GroupIDs))
}
