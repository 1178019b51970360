// Package lambdaemu runs the consumer's real linux/arm64 bootstrap locally under
// AWS's Lambda Runtime Interface Emulator (aws-lambda-rie), through
// qemu-aarch64 on hosts that are not arm64. It is test infrastructure,
// shared by the artifact test and the local pipeline.
//
// One emulator serves one invocation at a time, like one Lambda execution
// environment. Concurrency therefore needs several instances: Pool keeps a
// few, each on its own free loopback ports (the invoke API and the runtime
// API), and restarts an instance whose process died or was killed, the way
// Lambda replaces a crashed execution environment.
//
// Every instance runs in its own session (package session), so stopping or
// killing it also ends the runtime that the emulator started in a process
// group of its own.
package lambdaemu
