// Package consistency holds end-to-end consistency tests of the consumer:
// random workloads run through the real Lambda entry point (source.Handler),
// the ordering engine and the schedule handler against the fake third-party
// API, called as a Go function by the simulator's own models of Lambda's
// Kinesis and SQS FIFO event source mappings (sim/kinesisesm, sim/sqsfifo),
// the same models `make local` drives the real bootstrap with. The runs
// execute in testing/synctest bubbles, so the models' retry delays,
// poll intervals and visibility timeouts are virtual time. The consumer
// coalesces in most runs and processes one record at a time in the others;
// TestCoalescingDifferential compares the two directly, batch by batch,
// under API faults that depend on content only. It has no
// non-test code; it lives apart from package schedule so that the domain
// package's tests stay free of AWS imports.
package consistency
