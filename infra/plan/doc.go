// Package plan is the capacity and cost planner: given an environment's
// resolved configuration and a workload, it shows where each live period
// key lands (Kinesis shard or FIFO message group), how unevenly the load
// spreads, the throughput ceilings, the iterator-age risk at peak, a
// recommended shard count and parallelization factor, each stack's blast
// radius (what a broken period or a vendor outage costs the other periods),
// and a monthly cost estimate for both stacks.
//
// It is pure Go (no CDK import), so `make plan` builds in seconds. FIFO
// routing is not modelled here: the caller passes a Router that evaluates
// the synthesized rules, so the planner can never drift from the stacks.
package plan
