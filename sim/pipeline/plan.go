package pipeline

import (
	"fmt"

	"github.com/orderly-dev/orderly/lambda/envvar"
)

// plan is how many consumer instances a run needs and how to describe the
// configuration.
type plan struct {
	concurrency int
	describe    string
}

// planFor sizes the pool as Lambda would scale the function, within the
// local cap: Kinesis runs shards × parallelization factor batches at once;
// an SQS FIFO mapping at most MaxConcurrency, and never more than there are
// message groups; reserved concurrency bounds both.
func planFor(opts Options, s Settings) plan {
	limit := func(n, bound int) int {
		if bound > 0 && bound < n {
			return bound
		}
		return n
	}
	var p plan
	switch {
	case opts.Unordered:
		p.concurrency = opts.MaxConcurrency
		p.describe = fmt.Sprintf("one invocation per event, %d at once", p.concurrency)
		return p
	case s.Stack == StackKinesis:
		k := s.Kinesis
		shards := k.ShardCount
		if k.OnDemand {
			shards = onDemandShards
		}
		p.concurrency = limit(shards*k.ParallelizationFactor, k.ReservedConcurrency)
		p.describe = fmt.Sprintf("shards=%d batchSize=%d parallelizationFactor=%d bisect=%v retryAttempts=%d maxRecordAge=%ds periodPath=%s reservedConcurrency=%d",
			shards, k.BatchSize, k.ParallelizationFactor, k.BisectBatchOnError, k.RetryAttempts, k.MaxRecordAgeSeconds, k.PartitionKeyPath, k.ReservedConcurrency)
	default:
		f := s.Fifo
		groups := len(f.GroupIDs)
		if f.Delivery.PipeGroupIDPath != "" {
			groups = opts.Workload.Partitions
		}
		mode := "groups=" + f.Groups()
		p.concurrency = limit(limit(groups, f.MaxConcurrency), f.ReservedConcurrency)
		p.describe = fmt.Sprintf("%s batchSize=%d maxConcurrency=%d reservedConcurrency=%d visibilityTimeout=%ds maxReceiveCount=%d retryBackoff=%s",
			mode, f.BatchSize, f.MaxConcurrency, f.ReservedConcurrency, f.VisibilityTimeout, f.MaxReceiveCount, retryBackoff(s.Function.Environment))
	}
	if c := s.Function.Environment[envvar.Coalesce]; c != "" {
		p.describe += " coalesce=" + c
	}
	p.concurrency = max(1, min(p.concurrency, opts.MaxConcurrency))
	return p
}

// onDemandShards models an on-demand stream by its initial 4 shards.
const onDemandShards = 4

// retryBackoff describes the consumer's SQS retry backoff as the
// synthesized function's environment sets it.
func retryBackoff(env map[string]string) string {
	base, capS := env[envvar.RetryBackoffBaseSeconds], env[envvar.RetryBackoffMaxSeconds]
	if capS == "" || capS == "0" {
		return "off"
	}
	return base + "s..." + capS + "s"
}
