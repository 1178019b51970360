package plan

import (
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/awsmetrics"
)

// line returns the quantity of the cost line whose item starts with
// prefix, and whether there is one.
func line(c StackCost, prefix string) (float64, bool) {
	for _, l := range c.Lines {
		if strings.HasPrefix(l.Item, prefix) {
			return l.Quantity, true
		}
	}
	return 0, false
}

// The observability settings that cost money appear in the cost table when
// they are on, and only then.
func TestObservabilityCostLines(t *testing.T) {
	perKey := FifoDelivery{Pipe: true, Route: func(k string) (string, error) { return k, nil }}
	const esm = "CloudWatch event source mapping metrics"
	for _, on := range []bool{true, false} {
		cfg := resolve(t, "prod", map[string]any{"function.eventSourceMetrics": on})
		p, err := Make(cfg, workload(50, december), perKey, CostInputs{KinesisAlarms: 6, FifoAlarms: 7})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"KinesisStack": len(awsmetrics.StreamEventCounts()), "FifoStack": len(awsmetrics.QueueEventCounts())}
		for _, c := range p.Cost {
			if n, ok := line(c, "CloudWatch dashboard"); n != 1 || !ok {
				t.Errorf("%s: %v dashboards in the cost table, want 1", c.Stack, n)
			}
			n, ok := line(c, esm)
			if ok != on || (on && n != float64(want[c.Stack])) {
				t.Errorf("eventSourceMetrics %v, %s: line present %v with %v metrics, want %d", on, c.Stack, ok, n, want[c.Stack])
			}
		}
	}
}

// Bus logging costs nothing when off, a stated zero at "error", and at
// "info" its ingestion grows with the events.
func TestBusLogCostLines(t *testing.T) {
	route := FifoDelivery{Pipe: true, Route: func(k string) (string, error) { return k, nil }}
	const prefix = "EventBridge bus logs"
	for level, want := range map[string]func(n float64, ok bool) bool{
		"off":   func(_ float64, ok bool) bool { return !ok },
		"error": func(n float64, ok bool) bool { return ok && n == 0 },
		"info":  func(n float64, ok bool) bool { return ok && n > 0 },
	} {
		cfg := resolve(t, "dev", map[string]any{"bus.logLevel": level})
		p, err := Make(cfg, workload(50, december), route, CostInputs{KinesisAlarms: 6, FifoAlarms: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Cost {
			if n, ok := line(c, prefix); !want(n, ok) {
				t.Errorf("bus.logLevel=%s, %s: line present %v, quantity %v", level, c.Stack, ok, n)
			}
		}
	}
}
