package plan

import (
	"fmt"

	"github.com/orderly-dev/orderly/infra/config"
)

// rateCapCeiling is the throughput api.maxRequestsPerSecond allows the
// whole stack: the cap over the calls each event costs. ok is false
// without a cap. Shards, factors and groups cannot raise it.
func rateCapCeiling(cfg config.Config, w Workload) (eventsPerSec float64, note string, ok bool) {
	capPerSec := cfg.API.MaxRequestsPerSecond
	if capPerSec <= 0 || w.CallsPerEvent <= 0 {
		return 0, "", false
	}
	eventsPerSec = float64(capPerSec) / w.CallsPerEvent
	return eventsPerSec, fmt.Sprintf("api.maxRequestsPerSecond = %d at %.2g calls per event allows at most %.1f events/s", capPerSec, w.CallsPerEvent, eventsPerSec), true
}
