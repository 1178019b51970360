package plan

import (
	"strings"
	"testing"
)

// TestRateCapIsACeiling: with api.maxRequestsPerSecond = 40 at 2 calls per
// event, neither stack reaches past 20 events/s, whatever its shards or
// groups, and a target above that has no Kinesis recommendation.
func TestRateCapIsACeiling(t *testing.T) {
	cfg := resolve(t, "prod", map[string]any{"api.maxRequestsPerSecond": "40"})
	w := workload(50, december)
	k, err := PlanKinesis(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	if k.ReachablePeakPerSec > 20 || k.StreamCeilingPerSec > 20 {
		t.Errorf("Kinesis reachable %.1f, ceiling %.1f events/s: want at most 20 under the cap", k.ReachablePeakPerSec, k.StreamCeilingPerSec)
	}
	if k.Recommendation.Feasible || !strings.Contains(k.Recommendation.Reason, "api.maxRequestsPerSecond = 40") {
		t.Errorf("recommendation %+v: want none, naming the cap", k.Recommendation)
	}
	perKey := FifoDelivery{Pipe: true, Route: func(k string) (string, error) { return k, nil }}
	f, err := PlanFifo(cfg, w, perKey)
	if err != nil {
		t.Fatal(err)
	}
	if f.ReachablePeakPerSec > 20 || f.CeilingPerSec > 20 {
		t.Errorf("FIFO reachable %.1f, ceiling %.1f events/s: want at most 20 under the cap", f.ReachablePeakPerSec, f.CeilingPerSec)
	}

	uncapped, err := PlanKinesis(resolve(t, "prod", nil), w)
	if err != nil {
		t.Fatal(err)
	}
	if uncapped.ReachablePeakPerSec <= 20 {
		t.Fatalf("without a cap prod reaches %.1f events/s: the test needs more than 20", uncapped.ReachablePeakPerSec)
	}
}
