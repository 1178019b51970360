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
	return chart.Render(fmt.Sprintf("orderly plan, env=%s: %d live periods (%s … %s)", p.Env, p.Workload.Periods, first(k.Keys), last(k.Keys)), shards, groups, blastPanel(p))
}

// blastPanel draws how long the periods sharing a broken period's shard or
// group wait, with and without isolation, and how long an outage is held
// (docs/isolation.md). Ranges are drawn at their longest.
func blastPanel(p plan.Plan) chart.Panel {
	panel := chart.Panel{Title: "Blast radius: how long the periods sharing a broken period's shard or group wait", Unit: "min"}
	add := func(label string, w *plan.Wait, note string) {
		if w == nil {
			panel.Bars = append(panel.Bars, chart.Bar{Label: label, Note: "isolation off (isolation.afterSeconds = 0)"})
			return
		}
		longest := max(w.Seconds, w.MaxSeconds)
		if w.MaxSeconds > w.Seconds {
			note = fmt.Sprintf("from %.1f min; %s", w.Seconds/60, note)
		}
		panel.Bars = append(panel.Bars, chart.Bar{Label: label, Value: longest / 60, Note: note})
	}
	kb := p.Kinesis.Blast
	shared := fmt.Sprintf("up to %d other periods on its shard", kb.MostSharing)
	add("Kinesis, isolation off", &kb.WithoutIsolation, shared+", then on-failure bucket")
	add("Kinesis, isolated", kb.WithIsolation, "then the isolated queue")
	add("Kinesis, vendor outage", &kb.Outage, "held, then on-failure bucket")
	fb := p.Fifo.Blast
	for _, m := range fb.Modes {
		if !m.Configured {
			continue
		}
		shared := fmt.Sprintf("up to %d other periods in its group", m.MostSharing)
		if m.MostSharing == 0 {
			shared = "no other period in its group"
		}
		add("FIFO ("+m.Mode+"), isolation off", &m.WithoutIsolation, shared+", then dead-lettered")
		add("FIFO ("+m.Mode+"), isolated", m.WithIsolation, "then the isolated queue")
	}
	add("FIFO, vendor outage", &fb.Outage, "held, then dead-lettered")
	return panel
}

func first(keys []plan.KeyPlacement) string { return keyAt(keys, 0) }
func last(keys []plan.KeyPlacement) string  { return keyAt(keys, len(keys)-1) }

func keyAt(keys []plan.KeyPlacement, i int) string {
	if i < 0 || i >= len(keys) {
		return ""
	}
	return strings.TrimSpace(keys[i].Key)
}
