package main

import (
	"fmt"
	"strings"

	"github.com/orderly-dev/orderly/infra/chart"
	"github.com/orderly-dev/orderly/infra/plan"
)

// shardChart draws the load per shard at peak, with the mean shard load as
// the reference line (the skew is the longest bar over that line), and the
// load per FIFO group.
func shardChart(p plan.Plan) []byte {
	k := p.Kinesis
	shards := chart.Panel{
		Title:     fmt.Sprintf("KinesisStack: load per shard at a peak of %.0f events/s (%d shards, factor %d, skew %.2f)", p.Workload.PeakPerSec, k.Shards, k.ParallelizationFactor, k.Skew),
		Unit:      "events/s",
		Reference: &chart.Reference{Label: "mean per shard", Value: p.Workload.PeakPerSec / float64(k.Shards)},
	}
	for _, s := range k.ShardLoads {
		note := fmt.Sprintf("%d periods, ceiling %.0f/s, %s", len(s.Keys), s.CeilingPerSec, s.Risk)
		if len(s.Keys) == 0 {
			note = "no period hashes here"
		}
		shards.Bars = append(shards.Bars, chart.Bar{Label: s.ShardID, Value: s.EventsPerSec, Note: note})
	}
	f := p.Fifo
	groups := chart.Panel{
		Title: fmt.Sprintf("FifoStack (messageGroups=%s): load per message group (balance %.2f)", f.Mode, f.Skew),
		Unit:  "events/s",
	}
	for _, g := range f.Groups {
		groups.Bars = append(groups.Bars, chart.Bar{Label: g.Group, Value: g.EventsPerSec, Note: fmt.Sprintf("%d periods", len(g.Keys))})
	}
	return chart.Render(fmt.Sprintf("orderly plan, env=%s: %d live periods (%s … %s)", p.Env, p.Workload.Periods, first(k.Keys), last(k.Keys)), shards, groups)
}

func first(keys []plan.KeyPlacement) string { return keyAt(keys, 0) }
func last(keys []plan.KeyPlacement) string  { return keyAt(keys, len(keys)-1) }

func keyAt(keys []plan.KeyPlacement, i int) string {
	if i < 0 || i >= len(keys) {
		return ""
	}
	return strings.TrimSpace(keys[i].Key)
}
