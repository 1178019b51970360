package plan

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Workload is the load the plan is made for.
type Workload struct {
	// PeakPerSec is the peak event rate the stacks must sustain.
	PeakPerSec float64
	// AveragePerSec is the month's mean rate, for the cost estimate; zero
	// means the peak all month (an upper bound).
	AveragePerSec float64
	// Periods are the live period keys (the partition keys) and their share
	// of the events.
	Periods []Period
	// LatencyP50 and LatencyP99 describe one third-party API call.
	LatencyP50, LatencyP99 time.Duration
	// CallsPerEvent is how many API calls one event costs (GET + PUT: 2).
	CallsPerEvent float64
	// EventBytes is the size of one event as EventBridge delivers it.
	EventBytes int
	// Headroom is the spare capacity the recommendation keeps at peak
	// (0.3 = the peak may grow by 30%).
	Headroom float64
}

// Period is one live period key and its relative weight.
type Period struct {
	Key    string  `json:"key"`
	Weight float64 `json:"weight"`
}

// DailyPeriods returns the keys of days consecutive days from start, in
// the period format the producer uses (YYYY-MM-DD), each of weight 1.
func DailyPeriods(start time.Time, days int) []Period {
	out := make([]Period, days)
	for i := range out {
		out[i] = Period{Key: start.AddDate(0, 0, i).Format(time.DateOnly), Weight: 1}
	}
	return out
}

// ReadPeriods parses a keys file: one period key per line, optionally
// followed by whitespace and a positive weight (default 1). Blank lines and
// lines starting with # are ignored. Keys must be unique.
func ReadPeriods(r io.Reader, name string) ([]Period, error) {
	var out []Period
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) > 2 {
			return nil, fmt.Errorf("%s:%d: %q: want a period key, optionally followed by a weight", name, line, text)
		}
		p := Period{Key: fields[0], Weight: 1}
		if len(fields) == 2 {
			w, err := strconv.ParseFloat(fields[1], 64)
			if err != nil || w <= 0 || math.IsInf(w, 0) || math.IsNaN(w) {
				return nil, fmt.Errorf("%s:%d: weight %q of %q: want a positive number", name, line, fields[1], p.Key)
			}
			p.Weight = w
		}
		if first, dup := seen[p.Key]; dup {
			return nil, fmt.Errorf("%s:%d: period key %q is already on line %d", name, line, p.Key, first)
		}
		seen[p.Key] = line
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no period keys (want one key per line, optionally with a weight)", name)
	}
	return out, nil
}

// Validate reports the first invalid field, naming what is allowed.
func (w Workload) Validate() error {
	positive := func(name string, v float64) error {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%s = %v: must be a positive number", name, v)
		}
		return nil
	}
	if err := positive("peak events/s", w.PeakPerSec); err != nil {
		return err
	}
	if w.AveragePerSec < 0 || w.AveragePerSec > w.PeakPerSec || math.IsNaN(w.AveragePerSec) {
		return fmt.Errorf("average events/s = %v: must be positive and at most the peak (%v), or 0 for the peak", w.AveragePerSec, w.PeakPerSec)
	}
	if w.LatencyP50 <= 0 || w.LatencyP99 < w.LatencyP50 {
		return fmt.Errorf("latency p50 = %v, p99 = %v: want 0 < p50 <= p99", w.LatencyP50, w.LatencyP99)
	}
	if err := positive("API calls per event", w.CallsPerEvent); err != nil {
		return err
	}
	if w.EventBytes < 1 || w.EventBytes > 256*1024 {
		return fmt.Errorf("event size = %d bytes: must be from 1 to 262144 (EventBridge's limit)", w.EventBytes)
	}
	if w.Headroom < 0 || w.Headroom > 10 || math.IsNaN(w.Headroom) {
		return fmt.Errorf("headroom = %v: must be from 0 to 10 (0.3 = 30%%)", w.Headroom)
	}
	if len(w.Periods) == 0 {
		return fmt.Errorf("no live periods")
	}
	for _, p := range w.Periods {
		if p.Key == "" || !(p.Weight > 0) {
			return fmt.Errorf("period %q weight %v: want a non-empty key and a positive weight", p.Key, p.Weight)
		}
	}
	return nil
}

// averageRate is the mean rate the cost estimate uses.
func (w Workload) averageRate() float64 {
	if w.AveragePerSec > 0 {
		return w.AveragePerSec
	}
	return w.PeakPerSec
}

// rates returns each period's share of the peak, in events/s.
func (w Workload) rates() []float64 {
	total := 0.0
	for _, p := range w.Periods {
		total += p.Weight
	}
	out := make([]float64, len(w.Periods))
	for i, p := range w.Periods {
		out[i] = w.PeakPerSec * p.Weight / total
	}
	return out
}

// serviceTime returns the mean and the p99 time one event takes in the
// consumer: CallsPerEvent API calls one after another. The mean is taken
// from p50 and p99 assuming log-normal call latency (mean = p50·e^(σ²/2),
// σ = ln(p99/p50)/2.326), because the mean, not the median, sets
// throughput.
func (w Workload) serviceTime() (mean, p99 time.Duration) {
	p50 := w.LatencyP50.Seconds()
	sigma := math.Log(w.LatencyP99.Seconds()/p50) / 2.326
	meanCall := p50 * math.Exp(sigma*sigma/2)
	return seconds(meanCall * w.CallsPerEvent), seconds(w.LatencyP99.Seconds() * w.CallsPerEvent)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
