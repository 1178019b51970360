// Package pipeline runs the orderly pipeline on one machine without AWS: the
// settings synthesized into a cloud assembly, the bundled consumer
// (bootstrap) under the Lambda Runtime Interface Emulator, a real Kinesis
// API (kinesalite) or the SQS FIFO model, the fake third-party API, and a
// producer of EventBridge-shaped events; then it checks the outcome against
// what the producer sent. With Options.Replay it then re-sends every event
// in shuffled order, as an EventBridge archive replay would, and checks that
// nothing changed (replay.go). The load command (sim/cmd/load) and the
// integration test drive it.
//
// Everything listens on 127.0.0.1. Every process it starts runs in its own
// session and is stopped when Run returns, whether it succeeded, failed or
// its context was canceled.
//
// What it deliberately leaves out: EventBridge itself (the producer
// evaluates the synthesized rules' patterns and writes to the stream or
// queue directly, as the rule target would; EventBridge's retries,
// reordering and target dead-letter queue are not emulated), IAM, KMS, and
// the network between services. Local timings are not AWS timings.
package pipeline
