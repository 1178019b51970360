package plan

import (
	"fmt"
	"math"
	"time"

	"github.com/orderly-dev/orderly/infra/config"
)

// KinesisPlan is KinesisStack under the workload.
type KinesisPlan struct {
	StreamMode              string         `json:"streamMode"`
	Shards                  int            `json:"shards"`
	ParallelizationFactor   int            `json:"parallelizationFactor"`
	MaxConcurrentPartitions int            `json:"maxConcurrentPartitions"`
	Keys                    []KeyPlacement `json:"keys"`
	ShardLoads              []ShardLoad    `json:"shardLoads"`
	ShardsUsed              int            `json:"shardsUsed"`
	// Skew is the busiest shard's load over the mean shard load.
	Skew float64 `json:"skew"`
	// PeriodCeilingPerSec is one period's ceiling: its events run one
	// after another, each taking the mean service time.
	PeriodCeilingPerSec float64 `json:"periodCeilingPerSec"`
	// StreamCeilingPerSec is the sum of the shards' ceilings.
	StreamCeilingPerSec float64 `json:"streamCeilingPerSec"`
	// ReachablePeakPerSec is the highest peak with this workload's mix of
	// periods before a shard or a period falls behind.
	ReachablePeakPerSec float64        `json:"reachablePeakPerSec"`
	IteratorAgeRisk     string         `json:"iteratorAgeRisk"`
	Recommendation      Recommendation `json:"recommendation"`
	// Blast is what a broken period and an outage cost the other periods.
	Blast KinesisBlast `json:"blastRadius"`
	Notes []string     `json:"notes,omitempty"`
}

// KeyPlacement is where one period key lands.
type KeyPlacement struct {
	Key          string  `json:"key"`
	Shard        int     `json:"shard"`
	ShardID      string  `json:"shardId"`
	EventsPerSec float64 `json:"eventsPerSec"`
}

// ShardLoad is one shard at peak.
type ShardLoad struct {
	Shard        int      `json:"shard"`
	ShardID      string   `json:"shardId"`
	Keys         []string `json:"keys"`
	EventsPerSec float64  `json:"eventsPerSec"`
	// CeilingPerSec: a lane per unit of parallelization factor, each
	// running up to maxConcurrentPartitions periods at once, each period
	// serialized; capped by the shard's write and read quotas.
	CeilingPerSec float64 `json:"ceilingPerSec"`
	// Utilization at the mean and at the p99 service time: the larger of
	// the shard's load over its ceiling and its busiest period's.
	UtilizationMean float64 `json:"utilizationMean"`
	UtilizationP99  float64 `json:"utilizationP99"`
	Risk            string  `json:"risk"`
	// AlarmAfterSeconds (backlog only): sustained peak until the
	// iterator-age alarm fires; RecordsExpireAfterSeconds: until records
	// pass kinesis.maxRecordAgeSeconds and go to the on-failure queue.
	AlarmAfterSeconds         float64 `json:"alarmAfterSeconds,omitempty"`
	RecordsExpireAfterSeconds float64 `json:"recordsExpireAfterSeconds,omitempty"`
}

// Recommendation is the cheapest shard count, then the smallest
// parallelization factor, that carries the peak plus headroom.
type Recommendation struct {
	Feasible              bool    `json:"feasible"`
	Shards                int     `json:"shards"`
	ParallelizationFactor int     `json:"parallelizationFactor"`
	ReservedConcurrency   int     `json:"reservedConcurrencyAtLeast"`
	Headroom              float64 `json:"headroom"`
	TargetPerSec          float64 `json:"targetPerSec"`
	ReachablePeakPerSec   float64 `json:"reachablePeakPerSec"`
	Reason                string  `json:"reason"`
}

// ShardID is the id Kinesis gives the i-th shard of a new stream.
func ShardID(i int) string { return fmt.Sprintf("shardId-%012d", i) }

// placement is the keys' shards for one shard count.
type placement struct {
	shardOf []int
}

func place(w Workload, shards int) (placement, error) {
	ranges, err := UniformHashRanges(shards)
	if err != nil {
		return placement{}, err
	}
	p := placement{shardOf: make([]int, len(w.Periods))}
	for i, period := range w.Periods {
		p.shardOf[i] = ShardIndex(period.Key, ranges)
	}
	return p, nil
}

// shardModel evaluates one (shards, factor) choice for the workload.
type shardModel struct {
	loads, ceilings, hottestKey []float64
	keys                        [][]string
}

func evaluate(w Workload, p placement, shards, factor, partitions int, perPeriod float64) shardModel {
	m := shardModel{
		loads: make([]float64, shards), ceilings: make([]float64, shards),
		hottestKey: make([]float64, shards), keys: make([][]string, shards),
	}
	rates := w.rates()
	for i, s := range p.shardOf {
		m.loads[s] += rates[i]
		m.hottestKey[s] = math.Max(m.hottestKey[s], rates[i])
		m.keys[s] = append(m.keys[s], w.Periods[i].Key)
	}
	quota := math.Min(shardWriteRecordsPerSec, math.Min(shardWriteBytesPerSec, shardReadBytesPerSec)/float64(w.EventBytes))
	for s := range m.ceilings {
		concurrent := min(len(m.keys[s]), factor*partitions)
		m.ceilings[s] = math.Min(float64(concurrent)*perPeriod, quota)
	}
	return m
}

// utilization is the larger of the shard's load over its ceiling and its
// hottest period's load over one period's ceiling, at the mean service
// time scaled by slowdown (p99 / mean for the p99 figure).
func (m shardModel) utilization(s int, perPeriod, slowdown float64) float64 {
	if m.loads[s] == 0 {
		return 0
	}
	return math.Max(m.loads[s]*slowdown/m.ceilings[s], m.hottestKey[s]*slowdown/perPeriod)
}

// reachable is the peak at which the first shard or period saturates.
func (m shardModel) reachable(peak, perPeriod float64) float64 {
	best := math.Inf(1)
	for s := range m.loads {
		if m.loads[s] > 0 {
			best = math.Min(best, peak/m.utilization(s, perPeriod, 1))
		}
	}
	return best
}

// PlanKinesis places the workload's periods on the configured stream.
func PlanKinesis(cfg config.Config, w Workload) (KinesisPlan, error) {
	k := cfg.Kinesis
	kp := KinesisPlan{
		StreamMode:              string(k.StreamMode),
		Shards:                  k.ShardCount,
		ParallelizationFactor:   k.ParallelizationFactor,
		MaxConcurrentPartitions: cfg.Function.MaxConcurrentPartitions,
	}
	if k.StreamMode == config.OnDemand {
		kp.Shards = onDemandInitialShards
		kp.Notes = append(kp.Notes, fmt.Sprintf("on-demand stream: modelled as its initial %d shards; it adds shards as writes grow, so placement changes over time", onDemandInitialShards))
	}
	mean, p99 := w.serviceTime()
	perPeriod, perPeriod99 := 1/mean.Seconds(), 1/p99.Seconds()
	// A slower call stretches every lane alike; the shard quotas do not
	// stretch, so the p99 figure is pessimistic when a quota binds.
	kp.PeriodCeilingPerSec = perPeriod
	p, err := place(w, kp.Shards)
	if err != nil {
		return kp, err
	}
	m := evaluate(w, p, kp.Shards, kp.ParallelizationFactor, kp.MaxConcurrentPartitions, perPeriod)
	rates := w.rates()
	for i, period := range w.Periods {
		kp.Keys = append(kp.Keys, KeyPlacement{Key: period.Key, Shard: p.shardOf[i], ShardID: ShardID(p.shardOf[i]), EventsPerSec: rates[i]})
	}
	maxLoad := 0.0
	for s := range kp.Shards {
		sl := ShardLoad{Shard: s, ShardID: ShardID(s), Keys: m.keys[s], EventsPerSec: m.loads[s], CeilingPerSec: m.ceilings[s]}
		if sl.Keys == nil {
			sl.Keys = []string{}
		}
		if m.loads[s] > 0 {
			kp.ShardsUsed++
			kp.StreamCeilingPerSec += m.ceilings[s]
			sl.UtilizationMean = m.utilization(s, perPeriod, 1)
			sl.UtilizationP99 = m.utilization(s, perPeriod, perPeriod/perPeriod99)
			sl.Risk = riskOf(sl.UtilizationMean, sl.UtilizationP99)
			sl.AlarmAfterSeconds = secondsUntil(cfg.Alarms.IteratorAgeSeconds, sl.UtilizationMean)
			sl.RecordsExpireAfterSeconds = secondsUntil(k.MaxRecordAgeSeconds, sl.UtilizationMean)
			kp.IteratorAgeRisk = worseRisk(kp.IteratorAgeRisk, sl.Risk)
		}
		maxLoad = math.Max(maxLoad, m.loads[s])
		kp.ShardLoads = append(kp.ShardLoads, sl)
	}
	kp.Skew = maxLoad / (w.PeakPerSec / float64(kp.Shards))
	kp.ReachablePeakPerSec = m.reachable(w.PeakPerSec, perPeriod)
	limit, note, capped := rateCapCeiling(cfg, w)
	if capped {
		kp.StreamCeilingPerSec = math.Min(kp.StreamCeilingPerSec, limit)
		kp.ReachablePeakPerSec = math.Min(kp.ReachablePeakPerSec, limit)
		kp.Notes = append(kp.Notes, note)
	}
	kp.Blast = PlanKinesisBlast(cfg, w, kp)
	kp.Recommendation, err = recommend(cfg, w, perPeriod)
	if capped && kp.Recommendation.Feasible && limit < kp.Recommendation.TargetPerSec {
		kp.Recommendation = Recommendation{Headroom: w.Headroom, TargetPerSec: kp.Recommendation.TargetPerSec,
			Reason: fmt.Sprintf("no shard count helps: %s, below the %.1f events/s target; raise the cap (with the vendor) or lower the calls per event", note, kp.Recommendation.TargetPerSec)}
	}
	return kp, err
}

// recommend searches shard counts (fewest first: shards cost money) and
// then parallelization factors (more lanes cost only concurrency) for the
// first choice whose reachable peak covers the peak plus headroom.
func recommend(cfg config.Config, w Workload, perPeriod float64) (Recommendation, error) {
	r := Recommendation{Headroom: w.Headroom, TargetPerSec: w.PeakPerSec * (1 + w.Headroom)}
	hottest := 0.0
	for _, rate := range w.rates() {
		hottest = math.Max(hottest, rate)
	}
	if hottest*(1+w.Headroom) > perPeriod {
		r.Reason = fmt.Sprintf("no shard count helps: the busiest period needs %.1f events/s with headroom, but one period is serialized at %.1f events/s (%v per event); lower the API latency or calls per event, or key by a finer period",
			hottest*(1+w.Headroom), perPeriod, time.Duration(float64(time.Second)/perPeriod).Round(time.Millisecond))
		return r, nil
	}
	shardCounts := []int{}
	if cfg.Kinesis.StreamMode == config.OnDemand {
		shardCounts = append(shardCounts, onDemandInitialShards)
	} else {
		for n := 1; n <= maxShards; n++ {
			shardCounts = append(shardCounts, n)
		}
	}
	for _, n := range shardCounts {
		p, err := place(w, n)
		if err != nil {
			return r, err
		}
		for factor := 1; factor <= maxParallelizationFactor; factor++ {
			m := evaluate(w, p, n, factor, cfg.Function.MaxConcurrentPartitions, perPeriod)
			if reach := m.reachable(w.PeakPerSec, perPeriod); reach >= r.TargetPerSec {
				r.Feasible, r.Shards, r.ParallelizationFactor, r.ReachablePeakPerSec = true, n, factor, reach
				r.ReservedConcurrency = n * factor
				r.Reason = fmt.Sprintf("the fewest shards, then the smallest factor, that carry %.1f events/s (peak + %.0f%%) with these periods' MD5 placement", r.TargetPerSec, 100*w.Headroom)
				return r, nil
			}
		}
	}
	r.Reason = fmt.Sprintf("no choice up to %d shards and factor %d carries %.1f events/s", shardCounts[len(shardCounts)-1], maxParallelizationFactor, r.TargetPerSec)
	return r, nil
}
