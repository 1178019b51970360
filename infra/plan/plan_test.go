package plan

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/infra/config"
)

func resolve(t *testing.T, env string, overrides map[string]any) config.Config {
	t.Helper()
	ctx, err := config.LoadContext(filepath.Join("..", "..", "cdk.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx[config.EnvKey] = env
	for k, v := range overrides {
		ctx[k] = v
	}
	cfg, err := config.Resolve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func workload(peak float64, periods []Period) Workload {
	return Workload{PeakPerSec: peak, Periods: periods, LatencyP50: 40 * time.Millisecond, LatencyP99: 200 * time.Millisecond,
		CallsPerEvent: 2, EventBytes: 1024, Headroom: 0.3}
}

var december = DailyPeriods(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 14)

func TestUniformHashRangesMatchKinesisSplit(t *testing.T) {
	// The first boundary of a 3-shard stream as Kinesis reports it.
	ranges, err := UniformHashRanges(3)
	if err != nil {
		t.Fatal(err)
	}
	if got := ranges[0].End.String(); got != "113427455640312821154458202477256070484" {
		t.Errorf("3 shards: shard 0 ends at %s", got)
	}
	for _, n := range []int{1, 2, 3, 7, 500} {
		ranges, _ := UniformHashRanges(n)
		next := big.NewInt(0)
		for i, r := range ranges {
			if r.Start.Cmp(next) != 0 || r.End.Cmp(r.Start) < 0 {
				t.Fatalf("%d shards: shard %d is [%s, %s], want it to start at %s", n, i, r.Start, r.End, next)
			}
			next = new(big.Int).Add(r.End, big.NewInt(1))
		}
		if next.Cmp(hashSpace) != 0 {
			t.Errorf("%d shards end at %s, want 2^128", n, next)
		}
	}
	if _, err := UniformHashRanges(0); err == nil {
		t.Error("0 shards accepted")
	}
}

func TestHashKeyIsMD5(t *testing.T) {
	// md5("") = d41d8cd98f00b204e9800998ecf8427e
	want, _ := new(big.Int).SetString("d41d8cd98f00b204e9800998ecf8427e", 16)
	if HashKey("").Cmp(want) != 0 {
		t.Errorf("HashKey(\"\") = %x", HashKey(""))
	}
}

func TestSevenDailyKeysOverSevenShardsCollide(t *testing.T) {
	// The example: a week of daily keys over 7 shards. Averaged
	// over many weeks, about 4.6 shards carry a key (7·(1-(6/7)^7) = 4.59).
	used, weeks := 0, 200
	for week := range weeks {
		periods := DailyPeriods(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*week), 7)
		p, err := PlanKinesis(resolve(t, "dev", map[string]any{"kinesis.shardCount": "7"}), workload(7, periods))
		if err != nil {
			t.Fatal(err)
		}
		used += p.ShardsUsed
	}
	if mean := float64(used) / float64(weeks); math.Abs(mean-4.59) > 0.3 {
		t.Errorf("mean shards used = %.2f, want about 4.59", mean)
	}
}

func TestPlanKinesisAccountsForEveryEvent(t *testing.T) {
	cfg := resolve(t, "prod", nil)
	p, err := PlanKinesis(cfg, workload(50, december))
	if err != nil {
		t.Fatal(err)
	}
	if p.Shards != cfg.Kinesis.ShardCount || len(p.ShardLoads) != p.Shards || len(p.Keys) != 14 {
		t.Fatalf("shards %d, loads %d, keys %d", p.Shards, len(p.ShardLoads), len(p.Keys))
	}
	total, keys := 0.0, 0
	for _, s := range p.ShardLoads {
		total += s.EventsPerSec
		keys += len(s.Keys)
		for _, k := range s.Keys {
			if ranges, _ := UniformHashRanges(p.Shards); ShardIndex(k, ranges) != s.Shard {
				t.Errorf("key %s listed on shard %d", k, s.Shard)
			}
		}
	}
	if math.Abs(total-50) > 1e-9 || keys != 14 {
		t.Errorf("loads sum to %v over %d keys, want 50 over 14", total, keys)
	}
	if p.Skew < 1 {
		t.Errorf("skew %v < 1", p.Skew)
	}
	r := p.Recommendation
	if !r.Feasible || r.ReachablePeakPerSec < 65 || r.ReservedConcurrency != r.Shards*r.ParallelizationFactor {
		t.Errorf("recommendation %+v", r)
	}
}

func TestRecommendationGrowsWithThePeak(t *testing.T) {
	cfg := resolve(t, "prod", nil)
	small, _ := PlanKinesis(cfg, workload(20, december))
	large, _ := PlanKinesis(cfg, workload(90, december))
	if !large.Recommendation.Feasible {
		t.Fatalf("90 events/s over 14 periods should be feasible: %s", large.Recommendation.Reason)
	}
	capacity := func(r Recommendation) int { return r.Shards * r.ParallelizationFactor }
	if capacity(large.Recommendation) <= capacity(small.Recommendation) {
		t.Errorf("recommendations: %+v at 20/s, %+v at 90/s", small.Recommendation, large.Recommendation)
	}
}

func TestRecommendationRefusesAPeriodHotterThanItsSerialCeiling(t *testing.T) {
	cfg := resolve(t, "prod", nil)
	hot := workload(100, []Period{{Key: "2026-12-01", Weight: 9}, {Key: "2026-12-02", Weight: 1}})
	p, err := PlanKinesis(cfg, hot)
	if err != nil {
		t.Fatal(err)
	}
	if p.Recommendation.Feasible || !strings.Contains(p.Recommendation.Reason, "no shard count helps") {
		t.Errorf("recommendation %+v", p.Recommendation)
	}
	if p.IteratorAgeRisk != RiskBacklog {
		t.Errorf("risk %q, want %q", p.IteratorAgeRisk, RiskBacklog)
	}
	var backlog ShardLoad
	for _, s := range p.ShardLoads {
		if s.Risk == RiskBacklog {
			backlog = s
		}
	}
	if backlog.AlarmAfterSeconds <= float64(cfg.Alarms.IteratorAgeSeconds) {
		t.Errorf("backlogged shard %+v: the alarm cannot fire before its threshold", backlog)
	}
}

func TestPlanFifoUsesTheRouterAndTheConcurrencyLimit(t *testing.T) {
	cfg := resolve(t, "staging", map[string]any{"fifo.messageGroups": "3", "function.reservedConcurrency": "4", "fifo.maxConcurrency": "0"})
	groups := []string{"g0", "g1", "g2", "g3", "catch-all"}
	d := FifoDelivery{Groups: groups, SendLimited: true, Route: func(key string) (string, error) {
		return groups[int(key[len(key)-1]-'0')%2], nil
	}}
	p, err := PlanFifo(cfg, workload(40, december[:9]), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Groups) != 5 || p.GroupsUsed != 2 || p.ConcurrencyLimit != 4 || p.LimitSource != "function.reservedConcurrency" {
		t.Fatalf("plan %+v", p)
	}
	if want := 2 * p.GroupCeilingPerSec; math.Abs(p.CeilingPerSec-want) > 1e-9 {
		t.Errorf("ceiling %v, want 2 groups × %v", p.CeilingPerSec, p.GroupCeilingPerSec)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "only 2 of the 5 groups") {
		t.Errorf("notes %q", p.Notes)
	}
	d.Route = func(string) (string, error) { return "g9", nil }
	if _, err := PlanFifo(cfg, workload(40, december), d); err == nil || !strings.Contains(err.Error(), "g9") {
		t.Errorf("an unknown group was accepted: %v", err)
	}
}

func TestCostLinesAddUp(t *testing.T) {
	cfg := resolve(t, "prod", nil)
	perKey := FifoDelivery{Pipe: true, Route: func(k string) (string, error) { return k, nil }}
	p, err := Make(cfg, workload(50, december), perKey, CostInputs{KinesisAlarms: 6, FifoAlarms: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Cost {
		sum := 0.0
		for _, l := range c.Lines {
			if l.USD < 0 || math.IsNaN(l.USD) {
				t.Errorf("%s: %+v", c.Stack, l)
			}
			sum += l.USD
		}
		if math.Abs(sum-c.TotalUSD) > 1e-6 || c.TotalUSD <= 0 {
			t.Errorf("%s: lines sum to %v, total %v", c.Stack, sum, c.TotalUSD)
		}
	}
	shardHours := p.Cost[0].Lines[0]
	if shardHours.Quantity != float64(cfg.Kinesis.ShardCount*hoursPerMonth) || math.Abs(shardHours.USD-shardHours.Quantity*Prices.Kinesis.ShardHour.USD) > 1e-9 {
		t.Errorf("shard-hours %+v", shardHours)
	}
	var text strings.Builder
	if err := p.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"shardId-000000000000", "skew", "recommendation: kinesis.shardCount=", "Monthly cost", "us-east-1"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q", want)
		}
	}
	data, err := json.Marshal(p)
	if err != nil || !json.Valid(data) {
		t.Fatal(err)
	}
}

func TestPricesNameRegionDateAndSource(t *testing.T) {
	data, _ := json.Marshal(Prices)
	var doc map[string]any
	_ = json.Unmarshal(data, &doc)
	if doc["region"] != "us-east-1" || doc["asOf"] == "" || !strings.Contains(fmt.Sprint(doc["caveat"]), "check") {
		t.Errorf("price table header %v %v %v", doc["region"], doc["asOf"], doc["caveat"])
	}
	var walk func(string, any)
	walk = func(name string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		if _, isPrice := m["usd"]; isPrice {
			if m["usd"].(float64) <= 0 || m["per"] == "" || !strings.HasPrefix(fmt.Sprint(m["source"]), "https://aws.amazon.com/") {
				t.Errorf("price %s: %v", name, m)
			}
			return
		}
		for k, child := range m {
			walk(name+"."+k, child)
		}
	}
	walk("", doc)
}

func TestReadPeriods(t *testing.T) {
	good := "# live periods\n2026-12-01 3\n\n2026-12-02\n"
	got, err := ReadPeriods(strings.NewReader(good), "k")
	if err != nil || len(got) != 2 || got[0].Weight != 3 || got[1].Weight != 1 {
		t.Fatalf("%v %v", got, err)
	}
	for input, want := range map[string]string{
		"":                                 "no period keys",
		"a 1 2\n":                          "k:1:",
		"a -1\n":                           "want a positive number",
		"a x\n":                            "want a positive number",
		"a\nb\na\n":                        "k:3: period key \"a\" is already on line 1",
		"a NaN\n":                          "want a positive number",
		"2026-12-01 0\n":                   "positive",
		"# only a comment\n":               "no period keys",
		"2026-12-01\t+Inf\n":               "positive",
		"x\n" + strings.Repeat("y", 70000): "token too long",
	} {
		if _, err := ReadPeriods(strings.NewReader(input), "k"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.20q: error %v, want %q", input, err, want)
		}
	}
}

func TestValidate(t *testing.T) {
	for name, mutate := range map[string]func(*Workload){
		"zero peak":      func(w *Workload) { w.PeakPerSec = 0 },
		"negative peak":  func(w *Workload) { w.PeakPerSec = -1 },
		"average > peak": func(w *Workload) { w.AveragePerSec = 99 },
		"p99 < p50":      func(w *Workload) { w.LatencyP99 = time.Millisecond },
		"zero calls":     func(w *Workload) { w.CallsPerEvent = 0 },
		"huge events":    func(w *Workload) { w.EventBytes = 1 << 20 },
		"no periods":     func(w *Workload) { w.Periods = nil },
	} {
		w := workload(50, december)
		mutate(&w)
		if err := w.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := workload(50, december).Validate(); err != nil {
		t.Error(err)
	}
}

// The customer managed key: a line per created key and one for the
// requests of every caller of an encrypted store; nothing without a key.
func TestKMSCostLines(t *testing.T) {
	const imported = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	perKey := FifoDelivery{Pipe: true, Route: func(k string) (string, error) { return k, nil }}
	tests := []struct {
		name      string
		overrides map[string]any
		in        CostInputs
		// keys and callers × stores per stack, Kinesis then FIFO.
		keys, uses [2]int
	}{
		{"no key", nil, CostInputs{KinesisLogGroups: 1, FifoLogGroups: 2}, [2]int{0, 0}, [2]int{0, 0}},
		// Kinesis: 4 shards written and read, its log group, the bus and
		// its archive; FIFO per key: two queues sent to and read, two log
		// groups, the bus and its archive.
		{"created", map[string]any{"encryption.kmsKey": "create"}, CostInputs{KinesisKeys: 1, FifoKeys: 1, KinesisLogGroups: 1, FifoLogGroups: 2}, [2]int{1, 1}, [2]int{12, 9}},
		{"imported, on an imported bus", map[string]any{"encryption.kmsKey": imported, "bus.existing": "team-bus"}, CostInputs{KinesisLogGroups: 1, FifoLogGroups: 2}, [2]int{0, 0}, [2]int{9, 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := resolve(t, "prod", tc.overrides)
			p, err := Make(cfg, workload(50, december), perKey, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range p.Cost {
				var keys, requests float64
				for _, l := range c.Lines {
					switch {
					case l.Item == "KMS customer managed key":
						keys = l.Quantity
						if l.USD != l.Quantity*Prices.KMSKeyMonth.USD {
							t.Errorf("%s: %+v", c.Stack, l)
						}
					case strings.HasPrefix(l.Item, "KMS requests"):
						requests = l.Quantity
						if math.Abs(l.USD-l.Quantity/1e4*Prices.KMSRequestTenThousand.USD) > 1e-9 {
							t.Errorf("%s: %+v", c.Stack, l)
						}
					}
				}
				if keys != float64(tc.keys[i]) || requests != float64(tc.uses[i]*kmsRequestsPerUse) {
					t.Errorf("%s: %v keys and %v requests, want %d and %d × %d", c.Stack, keys, requests, tc.keys[i], tc.uses[i], kmsRequestsPerUse)
				}
			}
		})
	}
}
