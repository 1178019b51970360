package plan

import (
	"github.com/orderly-dev/orderly/infra/config"
)

// Plan is the planner's whole answer; it is also the --json document.
type Plan struct {
	Env      string          `json:"env"`
	Workload WorkloadSummary `json:"workload"`
	Kinesis  KinesisPlan     `json:"kinesis"`
	Fifo     FifoPlan        `json:"fifo"`
	Cost     []StackCost     `json:"monthlyCost"`
	Prices   PriceTable      `json:"prices"`
}

// WorkloadSummary echoes the workload with the derived service times.
type WorkloadSummary struct {
	PeakPerSec    float64 `json:"peakPerSec"`
	AveragePerSec float64 `json:"averagePerSec"`
	Periods       int     `json:"periods"`
	LatencyP50Ms  float64 `json:"latencyP50Ms"`
	LatencyP99Ms  float64 `json:"latencyP99Ms"`
	CallsPerEvent float64 `json:"callsPerEvent"`
	// MeanServiceMs and P99ServiceMs are one event's time in the consumer.
	MeanServiceMs float64 `json:"meanServiceMs"`
	P99ServiceMs  float64 `json:"p99ServiceMs"`
	EventBytes    int     `json:"eventBytes"`
	Headroom      float64 `json:"headroom"`
}

// Make plans both stacks of cfg for w. d routes periods through the
// synthesized FifoStack; in carries counts read from the templates.
func Make(cfg config.Config, w Workload, d FifoDelivery, in CostInputs) (Plan, error) {
	if err := w.Validate(); err != nil {
		return Plan{}, err
	}
	mean, p99 := w.serviceTime()
	p := Plan{
		Env: cfg.Env,
		Workload: WorkloadSummary{
			PeakPerSec: w.PeakPerSec, AveragePerSec: w.averageRate(), Periods: len(w.Periods),
			LatencyP50Ms: ms(w.LatencyP50.Seconds()), LatencyP99Ms: ms(w.LatencyP99.Seconds()), CallsPerEvent: w.CallsPerEvent,
			MeanServiceMs: ms(mean.Seconds()), P99ServiceMs: ms(p99.Seconds()), EventBytes: w.EventBytes, Headroom: w.Headroom,
		},
		Prices: Prices,
	}
	var err error
	if p.Kinesis, err = PlanKinesis(cfg, w); err != nil {
		return p, err
	}
	if p.Fifo, err = PlanFifo(cfg, w, d); err != nil {
		return p, err
	}
	p.Cost = []StackCost{KinesisCost(cfg, w, p.Kinesis, in), FifoCost(cfg, w, p.Fifo, d, in)}
	return p, nil
}

func ms(s float64) float64 { return s * 1000 }
