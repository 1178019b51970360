// Package telemetry sets up JSON logging and writes CloudWatch metrics in
// the Embedded Metric Format (EMF): one JSON line per batch on stdout, which
// CloudWatch Logs turns into metrics without any API call from the function.
package telemetry
