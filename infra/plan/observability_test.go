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
