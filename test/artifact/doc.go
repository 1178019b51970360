// Package artifact holds the artifact tests: they build the consumer's
// bootstrap exactly as the stacks bundle it (lambda/buildspec) and run the
// real linux/arm64 binary under the Lambda Runtime Interface Emulator
// (through qemu-user on other hosts), against loopback fakes of the
// third-party API and of SQS. The timing tests take the bootstrap, the
// function timeout and the api.* environment from a synthesized
// KinesisStack instead.
package artifact
