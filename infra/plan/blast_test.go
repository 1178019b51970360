package plan

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// sharingByHand counts, for every period, the other periods whose key
// lands in the same bucket, independently of sharing().
func sharingByHand(keys []string, bucketOf func(string) string) (most int, mean float64) {
	sum := 0
	for _, k := range keys {
		n := 0
		for _, other := range keys {
			if other != k && bucketOf(other) == bucketOf(k) {
				n++
			}
		}
		most = max(most, n)
		sum += n
	}
	return most, float64(sum) / float64(len(keys))
}

func keysOf(periods []Period) []string {
	out := make([]string, len(periods))
	for i, p := range periods {
		out[i] = p.Key
	}
	return out
}

func TestKinesisBlastCountsThePeriodsOnTheBrokenPeriodsShard(t *testing.T) {
	cfg := resolve(t, "prod", nil)
	p, err := PlanKinesis(cfg, workload(50, december))
	if err != nil {
		t.Fatal(err)
	}
	ranges, _ := UniformHashRanges(cfg.Kinesis.ShardCount)
	most, mean := sharingByHand(keysOf(december), func(k string) string { return ShardID(ShardIndex(k, ranges)) })
	b := p.Blast
	if b.MostSharing != most || math.Abs(b.MeanSharing-mean) > 1e-9 {
		t.Errorf("sharing: most %d mean %.3f, want %d and %.3f", b.MostSharing, b.MeanSharing, most, mean)
	}
	for _, s := range p.ShardLoads {
		if s.ShardID == b.MostSharingShard && len(s.Keys)-1 != most {
			t.Errorf("%s holds %d periods, named as the one where a period shares with %d", s.ShardID, len(s.Keys), most)
		}
	}
	// prod: 48 h record age, retried until then (kinesis.retryAttempts
	// -1), a 20 s retry budget.
	if w := b.WithoutIsolation; w.Seconds != 172800 || w.MaxSeconds != 0 || !strings.Contains(w.Until, "kinesis.maxRecordAgeSeconds = 172800") {
		t.Errorf("without isolation: %+v, want 172800 s (the record age)", w)
	}
	if w := b.WithIsolation; w == nil || w.Seconds != 200 || w.MaxSeconds != 240 || !strings.Contains(w.Until, "isolated queue") {
		t.Errorf("with isolation: %+v, want 180 s + one to three 20 s retry budgets", w)
	}
	if b.Outage.Seconds != 172800 || !strings.HasPrefix(b.Outage.Until, "held, never isolated") {
		t.Errorf("outage: %+v", b.Outage)
	}
	if notes := strings.Join(b.Notes, "\n"); strings.Contains(notes, "fails fast") || !strings.Contains(notes, "2 lanes") {
		t.Errorf("notes %q", b.Notes)
	}
}

func TestKinesisBlastBounds(t *testing.T) {
	slow := workload(50, december)
	slow.LatencyP50, slow.LatencyP99 = 3*time.Second, 4*time.Second
	for _, tc := range []struct {
		name      string
		overrides map[string]any
		w         Workload
		without   Wait
		isolated  float64 // 0: isolation off
		note      string
	}{
		// Retried until the record age (kinesis.retryAttempts -1).
		{"record age by default", nil, workload(50, december), Wait{Seconds: 86400}, 200, ""},
		// 10000 × 3 × 3 s = 90000 s exceed dev's 24 h record age: the age
		// binds alone.
		{"record age first", map[string]any{"kinesis.retryAttempts": "10000"}, slow, Wait{Seconds: 86400}, 200, ""},
		// 10000 × 3 × 40 ms = 1200 s, well before the record age; at 20 s
		// each, the record age.
		{"retries before the record age", map[string]any{"kinesis.retryAttempts": "10000"}, workload(50, december), Wait{Seconds: 1200, MaxSeconds: 86400}, 200, ""},
		{"isolation off", map[string]any{"isolation.afterSeconds": "0"}, slow, Wait{Seconds: 86400}, 0, ""},
		// 100 retries of 120 ms run out after 12 s, before the 200 s
		// isolation; at 20 s each, 2000 s.
		{"retries before isolation", map[string]any{"kinesis.retryAttempts": "100"}, workload(50, december), Wait{Seconds: 12, MaxSeconds: 2000}, 200, "before it is isolated"},
		{"longer budget", map[string]any{"api.retryBudgetSeconds": "30", "function.timeoutSeconds": "120", "isolation.afterSeconds": "190"}, slow, Wait{Seconds: 86400}, 220, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PlanKinesis(resolve(t, "dev", tc.overrides), tc.w)
			if err != nil {
				t.Fatal(err)
			}
			b := p.Blast
			if b.WithoutIsolation.Seconds != tc.without.Seconds || b.WithoutIsolation.MaxSeconds != tc.without.MaxSeconds {
				t.Errorf("without isolation %+v, want %v to %v s", b.WithoutIsolation, tc.without.Seconds, tc.without.MaxSeconds)
			}
			switch {
			case tc.isolated == 0 && b.WithIsolation != nil:
				t.Errorf("isolation off, yet %+v", b.WithIsolation)
			case tc.isolated > 0 && (b.WithIsolation == nil || b.WithIsolation.Seconds != tc.isolated):
				t.Errorf("with isolation %+v, want %v s", b.WithIsolation, tc.isolated)
			}
			if notes := strings.Join(b.Notes, "\n"); (tc.note == "") != !strings.Contains(notes, "before it is isolated") || !strings.Contains(notes, tc.note) {
				t.Errorf("notes %q, want %q", b.Notes, tc.note)
			}
		})
	}
}

// staticGroups routes the periods over n groups by day of month.
func staticGroups(n int) FifoDelivery {
	var groups []string
	for i := range n {
		groups = append(groups, fmt.Sprintf("g%d", i))
	}
	return FifoDelivery{Groups: groups, Route: func(key string) (string, error) {
		day, _ := time.Parse(time.DateOnly, key)
		return groups[day.Day()%n], nil
	}}
}

func modeOf(t *testing.T, b FifoBlast, mode string) GroupingBlast {
	t.Helper()
	for _, m := range b.Modes {
		if m.Mode == mode {
			return m
		}
	}
	t.Fatalf("no mode %q in %+v", mode, b.Modes)
	return GroupingBlast{}
}

func TestFifoBlastPerGroupingMode(t *testing.T) {
	// Defaults: outage hold 1800 / (10 − 1) = 200 s (up to 240 s with its
	// jitter); backoff 1 s doubling to 60 s, shortest delays (× 0.8, whole
	// seconds) 1 2 3 6 13 26 48 48 48 48: 194 s from the 2nd receive to
	// the 10th, 243 s until dead-lettered. A broken period's first failure
	// gets the backoff (1 s), or at the longest the hold (240 s); it is
	// isolated 180 s after that first delay, at the longest one 60 s delay
	// and one 20 s attempt later. At the longest delays (no backoff
	// jitter): 240 + 2 4 8 16 32 60 60 60 60 until dead-lettered. An
	// outage: the backoff once (1 s) then 9 × 200 s held; 10 × 240 s at
	// the longest.
	const budget, deadLetter, held, isolated, isolatedMax = 194, 243, 1 + 9*200, 1 + 180, 240 + 180 + 60 + 20
	const deadLetterMax, heldMax = 240 + 302, 10 * 240
	cfg := resolve(t, "dev", map[string]any{"fifo.messageGroups": "3"})
	p, err := PlanFifo(cfg, workload(20, december), staticGroups(3))
	if err != nil {
		t.Fatal(err)
	}
	b := p.Blast
	if b.ReceiveBudgetSeconds != budget || b.Outage.Seconds != held || b.Outage.MaxSeconds != heldMax || !strings.Contains(b.Outage.Until, "200 s per receive") {
		t.Errorf("receive budget %v, outage %+v", b.ReceiveBudgetSeconds, b.Outage)
	}
	if len(b.Modes) != 3 || !b.Modes[0].Configured || b.Modes[0].Mode != "3" {
		t.Fatalf("modes %+v: want the configured one first, then 1 and per-key", b.Modes)
	}
	route := staticGroups(3).Route
	most, mean := sharingByHand(keysOf(december), func(k string) string { g, _ := route(k); return g })
	for _, c := range []struct {
		mode                     string
		most                     int
		mean                     float64
		without, wMax, iso, iMax float64
	}{
		{"3", most, mean, deadLetter, deadLetterMax, isolated, isolatedMax},
		// One group: the broken record heads its batch alone, but the
		// probe of another period tells it from an outage, so it waits
		// like the other modes, not the outage hold.
		{"1", 13, 13, deadLetter, deadLetterMax, isolated, isolatedMax},
		{"per-key", 0, 0, deadLetter, deadLetterMax, isolated, isolatedMax},
	} {
		m := modeOf(t, b, c.mode)
		if m.MostSharing != c.most || math.Abs(m.MeanSharing-c.mean) > 1e-9 {
			t.Errorf("%s: sharing %d (mean %.3f), want %d (%.3f)", c.mode, m.MostSharing, m.MeanSharing, c.most, c.mean)
		}
		if m.WithoutIsolation.Seconds != c.without || m.WithoutIsolation.MaxSeconds != c.wMax || m.WithIsolation == nil || m.WithIsolation.Seconds != c.iso || m.WithIsolation.MaxSeconds != c.iMax {
			t.Errorf("%s: without %+v, with %+v; want %v to %v s, %v to %v s", c.mode, m.WithoutIsolation, m.WithIsolation, c.without, c.wMax, c.iso, c.iMax)
		}
	}
	if most != 4 {
		t.Errorf("by-hand routing put up to %d other periods with one, want 4 (14 days over 3 groups)", most)
	}
}

func TestFifoBlastLimits(t *testing.T) {
	perKey := FifoDelivery{Pipe: true, Route: func(k string) (string, error) { return k, nil }}
	t.Run("isolation past the receive budget", func(t *testing.T) {
		cfg := resolve(t, "prod", nil)
		cfg.Isolation.AfterSeconds = 200 // past the 194 s budget
		p, err := PlanFifo(cfg, workload(20, december), perKey)
		if err != nil {
			t.Fatal(err)
		}
		m := modeOf(t, p.Blast, "per-key")
		if m.WithIsolation == nil || m.WithIsolation.Seconds != 243 || !strings.Contains(strings.Join(p.Blast.Notes, "\n"), "dead-lettered before it can be isolated") {
			t.Errorf("with isolation %+v, notes %q", m.WithIsolation, p.Blast.Notes)
		}
	})
	t.Run("a hold shorter than the backoff", func(t *testing.T) {
		// 60 s / 9, rounded up to 7 s; the first failure gets the backoff
		// (1 s), then the longer of the hold and the backoff:
		// 1 7 7 7 13 26 48 48 48 48.
		cfg := resolve(t, "prod", map[string]any{"fifo.outageToleranceSeconds": "60"})
		p, err := PlanFifo(cfg, workload(20, december), perKey)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Blast.Outage.Seconds; got != 253 {
			t.Errorf("outage held %v s, want 253", got)
		}
	})
	t.Run("no outage hold", func(t *testing.T) {
		// The backoff alone: 1 2 3 6 13 26 48 48 48 48 held, 243 s
		// until dead-lettered either way.
		cfg := resolve(t, "prod", map[string]any{"fifo.outageToleranceSeconds": "0"})
		p, err := PlanFifo(cfg, workload(20, december), perKey)
		if err != nil {
			t.Fatal(err)
		}
		m := modeOf(t, p.Blast, "1")
		if p.Blast.Outage.Seconds != 243 || m.WithoutIsolation.Seconds != 243 || modeOf(t, p.Blast, "per-key").WithoutIsolation.Seconds != 243 || !strings.Contains(p.Blast.Outage.Until, "no outage hold") {
			t.Errorf("outage %+v, one group %+v", p.Blast.Outage, m.WithoutIsolation)
		}
	})
	t.Run("backoff off", func(t *testing.T) {
		// dev: a 360 s visibility timeout after every failure that is not
		// held. A broken period: 10 × 360 s until dead-lettered; isolated
		// 360 + 2880 s in, at the longest one more visibility timeout and
		// one 20 s attempt later. An outage: 360 s once (a held receive
		// waits only the hold, 200 s to 240 s), then 9 holds.
		cfg := resolve(t, "dev", map[string]any{"fifo.retryBackoffMaxSeconds": "0", "isolation.afterSeconds": "2880"})
		p, err := PlanFifo(cfg, workload(20, december), perKey)
		if err != nil {
			t.Fatal(err)
		}
		b := p.Blast
		m := modeOf(t, b, "per-key")
		if w := m.WithoutIsolation; w.Seconds != 3600 || w.MaxSeconds != 3600 || !strings.Contains(w.Until, "no backoff") {
			t.Errorf("without isolation %+v, want 3600 s", w)
		}
		if w := m.WithIsolation; w == nil || w.Seconds != 360+2880 || w.MaxSeconds != 360+2880+360+20 {
			t.Errorf("with isolation %+v, want 3240 to 3620 s", w)
		}
		if w := b.Outage; w.Seconds != 360+9*200 || w.MaxSeconds != 360+9*240 {
			t.Errorf("outage %+v, want 2160 to 2520 s", w)
		}
	})
	t.Run("isolation off and a hold past the retention", func(t *testing.T) {
		cfg := resolve(t, "prod", map[string]any{"isolation.afterSeconds": "0"})
		cfg.Fifo.OutageToleranceSeconds, cfg.Fifo.RetentionHours = 7200, 2
		p, err := PlanFifo(cfg, workload(20, december), perKey)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Blast.Modes {
			if m.WithIsolation != nil {
				t.Errorf("%s: isolated with isolation off: %+v", m.Mode, m.WithIsolation)
			}
			// Every mode, one group included, waits out the backoff's
			// receives, not the (here 2 h) outage hold.
			if m.WithoutIsolation.Seconds != 243 || !strings.Contains(m.WithoutIsolation.Until, "dead-lettered and the group moves on") {
				t.Errorf("%s: without isolation %+v, want the backoff over the receives (243 s)", m.Mode, m.WithoutIsolation)
			}
		}
		if !strings.Contains(strings.Join(p.Blast.Notes, "\n"), "messages can expire") {
			t.Errorf("notes %q", p.Blast.Notes)
		}
	})
}

func TestBlastRadiusInTextAndJSON(t *testing.T) {
	cfg := resolve(t, "prod", nil)
	perKey := FifoDelivery{Pipe: true, Route: func(k string) (string, error) { return k, nil }}
	p, err := Make(cfg, workload(50, december), perKey, CostInputs{})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := p.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf("shares its shard with up to %d other live periods", p.Kinesis.Blast.MostSharing),
		"broken period, isolated            200 s to 240 s",
		"48.0 h",
		// The FIFO waits of TestFifoBlastPerGroupingMode: prod has the
		// same defaults.
		"per-key (this stack)  0 (0.0)                           243 s to 542 s  181 s to 500 s",
		"1                     13 (13.0)                         243 s to 542 s  181 s to 500 s",
		"vendor-wide outage (every period): 30 min to 40 min: held, never isolated",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	data, _ := json.Marshal(p)
	var doc struct {
		Kinesis struct {
			Blast map[string]any `json:"blastRadius"`
		} `json:"kinesis"`
		Fifo struct {
			Blast map[string]any `json:"blastRadius"`
		} `json:"fifo"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Kinesis.Blast["withIsolation"] == nil || doc.Fifo.Blast["modes"] == nil {
		t.Errorf("JSON blast radius: %v %v %v", err, doc.Kinesis.Blast, doc.Fifo.Blast)
	}
}
