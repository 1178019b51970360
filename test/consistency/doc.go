// Package consistency holds end-to-end consistency tests of the consumer:
// random workloads run through the real Lambda entry point (source.Handler),
// the ordering engine and the schedule handler against the fake third-party
// API, with Lambda's Kinesis and SQS FIFO redelivery rules simulated around
// it. It has no non-test code; it lives apart from package schedule so that
// the domain package's tests stay free of AWS imports.
package consistency
