package plan

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the plan as readable tables.
func (p Plan) WriteText(out io.Writer) error {
	w := &errWriter{w: out}
	wl := p.Workload
	w.printf("orderly capacity and cost plan: env=%s\n", p.Env)
	w.printf("workload: peak %.1f events/s (average %.1f), %d live periods, API p50 %.0f ms / p99 %.0f ms × %.0f calls per event = %.0f ms mean (log-normal) / %.0f ms p99 per event, %d-byte events, headroom %.0f%%\n\n",
		wl.PeakPerSec, wl.AveragePerSec, wl.Periods, wl.LatencyP50Ms, wl.LatencyP99Ms, wl.CallsPerEvent, wl.MeanServiceMs, wl.P99ServiceMs, wl.EventBytes, 100*wl.Headroom)

	k := p.Kinesis
	w.printf("== KinesisStack: %s stream, %d shards, parallelization factor %d, %d periods at once per invocation\n", k.StreamMode, k.Shards, k.ParallelizationFactor, k.MaxConcurrentPartitions)
	w.printf("Partition keys on shards (MD5 of the key over a uniformly split stream):\n")
	w.table(func(t io.Writer) {
		fmt.Fprintln(t, "period key\tshard\tevents/s")
		for _, kp := range k.Keys {
			fmt.Fprintf(t, "%s\t%s\t%.2f\n", kp.Key, kp.ShardID, kp.EventsPerSec)
		}
	})
	w.printf("\nLoad per shard at peak:\n")
	w.table(func(t io.Writer) {
		fmt.Fprintln(t, "shard\tperiods\tevents/s\tceiling/s\tbusy (mean)\tbusy (p99)\titerator-age risk")
		for _, s := range k.ShardLoads {
			risk := s.Risk
			if s.Risk == RiskBacklog {
				risk += fmt.Sprintf(": alarm after %.0f s, records expire after %.0f s of peak", s.AlarmAfterSeconds, s.RecordsExpireAfterSeconds)
			}
			if s.EventsPerSec == 0 {
				risk = "idle (no period hashes here)"
			}
			fmt.Fprintf(t, "%s\t%d\t%.2f\t%.1f\t%.0f%%\t%.0f%%\t%s\n", s.ShardID, len(s.Keys), s.EventsPerSec, s.CeilingPerSec, 100*s.UtilizationMean, 100*s.UtilizationP99, risk)
		}
	})
	w.printf("shards carrying keys: %d of %d; skew (max/mean load): %.2f\n", k.ShardsUsed, k.Shards, k.Skew)
	w.printf("ceilings: one period %.1f events/s (serialized); stream %.1f events/s (sum over shards); this mix of periods saturates at a peak of %.1f events/s\n",
		k.PeriodCeilingPerSec, k.StreamCeilingPerSec, k.ReachablePeakPerSec)
	w.printf("iterator-age risk at peak: %s\n", k.IteratorAgeRisk)
	r := k.Recommendation
	if r.Feasible {
		w.printf("recommendation: kinesis.shardCount=%d kinesis.parallelizationFactor=%d (function.reservedConcurrency >= %d): carries %.1f events/s, target %.1f — %s\n",
			r.Shards, r.ParallelizationFactor, r.ReservedConcurrency, r.ReachablePeakPerSec, r.TargetPerSec, r.Reason)
	} else {
		w.printf("recommendation: none — %s\n", r.Reason)
	}
	w.notes(k.Notes)
	w.kinesisBlast(k.Blast)

	f := p.Fifo
	w.printf("\n== FifoStack: fifo.messageGroups=%s\n", f.Mode)
	w.printf("Periods in message groups (the synthesized rules evaluated on each period's event):\n")
	w.table(func(t io.Writer) {
		fmt.Fprintln(t, "period key\tgroup\tevents/s")
		for _, kg := range f.Keys {
			fmt.Fprintf(t, "%s\t%s\t%.2f\n", kg.Key, kg.Group, kg.EventsPerSec)
		}
	})
	w.printf("\nLoad per group at peak:\n")
	w.table(func(t io.Writer) {
		fmt.Fprintln(t, "group\tperiods\tevents/s\tbusy (mean)\tbusy (p99)")
		for _, g := range f.Groups {
			fmt.Fprintf(t, "%s\t%d\t%.2f\t%.0f%%\t%.0f%%\n", g.Group, len(g.Keys), g.EventsPerSec, 100*g.UtilizationMean, 100*g.UtilizationP99)
		}
	})
	w.printf("groups carrying keys: %d of %d; balance (max/mean load): %.2f\n", f.GroupsUsed, len(f.Groups), f.Skew)
	w.printf("ceilings: one group %.1f events/s (serialized); concurrency limit %d (%s); stack %.1f events/s; this mix saturates at a peak of %.1f events/s; risk at peak: %s\n",
		f.GroupCeilingPerSec, f.ConcurrencyLimit, f.LimitSource, f.CeilingPerSec, f.ReachablePeakPerSec, f.Risk)
	w.notes(f.Notes)
	w.fifoBlast(f.Blast)

	w.printf("\n== Monthly cost at %.1f events/s average (%s list prices as of %s; %s)\n", wl.AveragePerSec, p.Prices.Region, p.Prices.AsOf, p.Prices.Caveat)
	for _, c := range p.Cost {
		w.printf("%s\n", c.Stack)
		w.table(func(t io.Writer) {
			fmt.Fprintln(t, "  item\tquantity\tunit\tUSD")
			for _, l := range c.Lines {
				fmt.Fprintf(t, "  %s\t%s\t%s\t%.2f\n", l.Item, quantity(l.Quantity), l.Unit, l.USD)
			}
			fmt.Fprintf(t, "  total\t\t\t%.2f\n", c.TotalUSD)
		})
	}
	return w.err
}

// kinesisBlast prints KinesisStack's blast radius: who waits behind a
// broken period, for how long, and how long an outage is held.
func (w *errWriter) kinesisBlast(b KinesisBlast) {
	w.printf("\nBlast radius (docs/isolation.md): a period failing while the others succeed shares its shard with up to %d other live periods (%s; mean %.1f over the periods); they wait:\n",
		b.MostSharing, b.MostSharingShard, b.MeanSharing)
	w.table(func(t io.Writer) {
		fmt.Fprintln(t, "  case\twait\tuntil")
		fmt.Fprintf(t, "  broken period, isolation off\t%s\t%s\n", waitText(b.WithoutIsolation), b.WithoutIsolation.Until)
		if b.WithIsolation != nil {
			fmt.Fprintf(t, "  broken period, isolated\t%s\t%s\n", waitText(*b.WithIsolation), b.WithIsolation.Until)
		} else {
			fmt.Fprintf(t, "  broken period, isolated\t-\tisolation.afterSeconds = 0: isolation is off\n")
		}
		fmt.Fprintf(t, "  vendor-wide outage (every period)\t%s\t%s\n", waitText(b.Outage), b.Outage.Until)
	})
	w.notes(b.Notes)
}

// fifoBlast prints FifoStack's blast radius per grouping mode.
func (w *errWriter) fifoBlast(b FifoBlast) {
	w.printf("\nBlast radius (docs/isolation.md): a period failing while the others succeed, by grouping mode; the others in its group wait:\n")
	w.table(func(t io.Writer) {
		fmt.Fprintln(t, "  fifo.messageGroups\tperiods sharing its group (mean)\tisolation off\tisolated")
		for _, m := range b.Modes {
			mode := m.Mode
			if m.Configured {
				mode += " (this stack)"
			}
			isolated := "- (isolation.afterSeconds = 0)"
			if m.WithIsolation != nil {
				isolated = waitText(*m.WithIsolation)
			}
			fmt.Fprintf(t, "  %s\t%d (%.1f)\t%s\t%s\n", mode, m.MostSharing, m.MeanSharing, waitText(m.WithoutIsolation), isolated)
		}
	})
	seen := map[string]bool{}
	for _, m := range b.Modes {
		for _, wt := range []*Wait{&m.WithoutIsolation, m.WithIsolation} {
			if wt != nil && !seen[wt.Until] {
				seen[wt.Until] = true
				w.printf("  %s: %s\n", waitText(*wt), wt.Until)
			}
		}
	}
	w.printf("  vendor-wide outage (every period): %s: %s\n", waitText(b.Outage), b.Outage.Until)
	w.notes(b.Notes)
}

// quantity prints large counts compactly and small ones with precision.
func quantity(q float64) string {
	switch {
	case q >= 1e6:
		return fmt.Sprintf("%.2fM", q/1e6)
	case q >= 100:
		return fmt.Sprintf("%.0f", q)
	case q >= 1:
		return fmt.Sprintf("%.2f", q)
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", q), "0"), ".")
	}
}

// errWriter keeps the first write error so the tables read straight.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *errWriter) table(fill func(io.Writer)) {
	if e.err != nil {
		return
	}
	t := tabwriter.NewWriter(e.w, 0, 0, 2, ' ', 0)
	fill(t)
	e.err = t.Flush()
}

func (e *errWriter) notes(notes []string) {
	for _, n := range notes {
		e.printf("note: %s\n", n)
	}
}
