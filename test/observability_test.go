package test

import (
	"testing"
)

// TestEventSourceMappingsPublishEventCounts: both event source mappings set
// MetricsConfig to EventCount in every environment and grouping mode, and
// function.eventSourceMetrics=false leaves it out.
func TestEventSourceMappingsPublishEventCounts(t *testing.T) {
	cases := append(allSyntheses(t), synthCase{name: "off", env: "dev", overrides: map[string]string{"function.eventSourceMetrics": "false"}})
	for _, tc := range cases {
		s := synth(t, tc.env, tc.overrides)
		for _, stackID := range []string{kinesisID, fifoID} {
			if tc.fifoOnly && stackID != fifoID {
				continue
			}
			_, esm := s.only(t, stackID, "AWS::Lambda::EventSourceMapping")
			var want any = map[string]any{"Metrics": []any{"EventCount"}}
			if !s.cfg.Function.EventSourceMetrics {
				want = nil
			}
			expect(t, tc.name+" "+stackID+" MetricsConfig", esm["MetricsConfig"], want)
		}
	}
}
