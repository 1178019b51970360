package artifact_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/telemetry"
	"github.com/orderly-dev/orderly/sim/payloads"
)

const eventQueueURL = "https://sqs." + payloads.Region + ".amazonaws.com/" + payloads.Account + "/orderly-events.fifo"

// TestBootstrapRetryBackoff runs the real bootstrap with a 2 s base and a
// 20 s cap: the messages it reports for retry must get visibility timeouts
// on their receive counts, and a failing ChangeMessageVisibilityBatch must
// leave the response as it is.
func TestBootstrapRetryBackoff(t *testing.T) {
	_, queue, env := startFakes(t)
	env[envvar.RetryBackoffBaseSeconds] = "2"
	env[envvar.RetryBackoffMaxSeconds] = "20"
	emu := startConsumer(t, env)

	// Three groups fail (the outage period) on their 1st, 2nd and 5th
	// receive; a fourth succeeds and is not reported.
	receives := []int{1, 2, 5}
	// The backoff in whole seconds: min(2 × 2^(n−1), 20), up to 20% shorter.
	bounds := map[int][2]int{1: {2, 2}, 2: {3, 4}, 5: {16, 20}}
	batch := func(round int) ([]byte, []string) {
		var msgs []payloads.Message
		var failed []string
		for i, n := range receives {
			id := fmt.Sprintf("5fd1a9c4-0000-4000-8000-%06d%06d", round, i)
			msgs = append(msgs, payloads.Message{Partition: fmt.Sprintf("g%d", i), ID: id, ReceiveCount: n,
				Data: upsert(fmt.Sprintf("r%d-e%d", round, i), outagePeriod, fmt.Sprintf("driver/d-%d", i), round+1)})
			failed = append(failed, id)
		}
		msgs = append(msgs, payloads.Message{Partition: "g9", ID: fmt.Sprintf("5fd1a9c4-0000-4000-8000-%06d999999", round), ReceiveCount: 3,
			Data: upsert(fmt.Sprintf("r%d-ok", round), "2026-11-28", "vehicle/v-1", round+1)})
		return payloads.SQSPayload(msgs...), failed
	}

	t.Run("visibility timeouts on the receive counts", func(t *testing.T) {
		payload, failed := batch(0)
		assertFailures(t, emu.invoke(t, payload), failed)
		changes := queue.VisibilityChanges()
		if len(changes) != len(receives) {
			t.Fatalf("visibility changes %+v, want one per reported message", changes)
		}
		for i, c := range changes {
			b := bounds[receives[i]]
			if c.QueueURL != eventQueueURL || c.ReceiptHandle != "AQEB"+failed[i] || c.VisibilityTimeout < b[0] || c.VisibilityTimeout > b[1] || c.Err != "" {
				t.Errorf("change %+v for receive count %d: want %s, receipt of %s, %d to %d s",
					c, receives[i], eventQueueURL, failed[i], b[0], b[1])
			}
		}
		if got := emu.lines(telemetry.MetricRetryBackoffFailed); len(got) != 0 {
			t.Errorf("successful changes counted as failed: %q", got)
		}
	})

	t.Run("a failing ChangeMessageVisibilityBatch leaves the response", func(t *testing.T) {
		before := len(queue.VisibilityChanges())
		// Every attempt of the SDK's retries answers 500.
		queue.FailNextSQS(100)
		defer queue.FailNextSQS(0)
		payload, failed := batch(1)
		assertFailures(t, emu.invoke(t, payload), failed)
		if got := len(queue.VisibilityChanges()) - before; got != 0 {
			t.Errorf("%d changes applied through a failing endpoint", got)
		}
		if emu.awaitLines(telemetry.MetricRetryBackoffFailed, 1) != 1 {
			t.Fatalf("no %s metric line in the output", telemetry.MetricRetryBackoffFailed)
		}
		var doc map[string]any
		line := emu.lines(telemetry.MetricRetryBackoffFailed)[0]
		if err := json.Unmarshal([]byte(line[strings.Index(line, "{"):]), &doc); err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		if doc[telemetry.MetricRetryBackoffFailed] != float64(len(failed)) || doc[telemetry.SourceDimension] != "sqs" {
			t.Errorf("metric line %q: want %s = %d for sqs", line, telemetry.MetricRetryBackoffFailed, len(failed))
		}
		if emu.awaitLines("ChangeMessageVisibilityBatch failed", 1) != 1 {
			t.Error("the failed call was not logged")
		}
	})
}
