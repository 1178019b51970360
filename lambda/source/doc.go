// Package source adapts the Lambda event sources (Kinesis and SQS FIFO) to
// the ordering engine: it turns their events into ordering.Records and turns
// the per-record outcomes into partial batch responses.
//
// One binary serves both stacks, so Handler.Invoke detects the source from
// the raw payload.
package source
