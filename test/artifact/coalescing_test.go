package artifact_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/sim/payloads"
)

// TestRepeatedEntitiesCostOneReadAndOneWritePerPeriod: the backlog an
// outage leaves behind, one Kinesis batch of 10 periods × 10 records whose
// changes cycle through 3 entities per period, against an API that takes
// 50 ms per call. Superseded changes share their period's push, so the
// batch costs one read and one write per period (at most 25 calls in all),
// and every entity ends in its newest event's state.
func TestRepeatedEntitiesCostOneReadAndOneWritePerPeriod(t *testing.T) {
	const (
		periods   = 10
		perPeriod = 10
		entities  = 3
	)
	api, env := slowAPI(t, 50*time.Millisecond)
	emu := startConsumer(t, env)
	var msgs []payloads.Message
	for i := range perPeriod {
		for p := range periods {
			period := fmt.Sprintf("2026-12-%02d", 10+p)
			msgs = append(msgs, payloads.Message{Partition: period, ID: kinesisSequence(len(msgs)),
				Data: upsert(fmt.Sprintf("r-%d-%d", p, i), period, fmt.Sprintf("driver/d-%d", i%entities), i+1)})
		}
	}
	assertFailures(t, emu.invoke(t, payloads.KinesisPayload(msgs...)), nil)

	st := api.Stats()
	if calls := st.Gets + st.Puts; calls > 25 || st.LostUpdates != 0 {
		t.Errorf("fake API stats %+v: want at most 25 calls for %d events and no lost update", st, len(msgs))
	}
	for p := range periods {
		period := fmt.Sprintf("2026-12-%02d", 10+p)
		doc, ok := api.Document(period)
		if !ok {
			t.Fatalf("period %s was never written", period)
		}
		for i := perPeriod - entities; i < perPeriod; i++ {
			key := schedule.EntityKey{Type: schedule.Driver, ID: fmt.Sprintf("d-%d", i%entities)}
			if got, want := doc.Entities[key].Stamp.EventID, fmt.Sprintf("r-%d-%d", p, i); got != want {
				t.Errorf("%s %s holds %s, want its newest event %s", period, key.ID, got, want)
			}
		}
	}
	t.Logf("%d events: %d reads, %d writes", len(msgs), st.Gets, st.Puts)
}
