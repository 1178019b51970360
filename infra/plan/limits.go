package plan

// AWS quotas the ceilings use (Kinesis Data Streams and SQS quotas pages).
const (
	// Writes per shard: 1,000 records/s and 1 MiB/s.
	shardWriteRecordsPerSec = 1000
	shardWriteBytesPerSec   = 1 << 20
	// Reads per shard, shared by the mapping's lanes: 2 MiB/s.
	shardReadBytesPerSec = 2 << 20
	// A FIFO queue without high throughput takes 300 SendMessage calls/s,
	// and EventBridge sends one message per call.
	fifoSendCallsPerSec = 300
	// Lambda's default account concurrency, the bound when neither
	// fifo.maxConcurrency nor function.reservedConcurrency is set.
	accountConcurrency = 1000
	// An on-demand stream starts with the write capacity of 4 shards.
	onDemandInitialShards = 4
	// Kinesis quotas on the knobs the recommendation searches.
	maxShards, maxParallelizationFactor = 500, 10
)

// Risk levels of a shard or group at peak.
const (
	// RiskLow: under 70% busy at mean latency and keeps up at p99 latency.
	RiskLow = "low"
	// RiskWatch: keeps up at mean latency, but not with headroom or at p99.
	RiskWatch = "watch"
	// RiskBacklog: falls behind at mean latency: age grows while the peak lasts.
	RiskBacklog = "backlog"
)

func riskOf(utilMean, utilP99 float64) string {
	switch {
	case utilMean >= 1:
		return RiskBacklog
	case utilMean >= 0.7 || utilP99 >= 1:
		return RiskWatch
	}
	return RiskLow
}

// worseRisk orders risks low < watch < backlog.
func worseRisk(a, b string) string {
	rank := map[string]int{"": 0, RiskLow: 1, RiskWatch: 2, RiskBacklog: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// secondsUntil is how long a backlog growing at utilization u (> 1) takes
// to make the oldest record limit seconds old: age grows by 1 - 1/u
// seconds per second of peak.
func secondsUntil(limit int, u float64) float64 {
	if u <= 1 || limit <= 0 {
		return 0
	}
	return float64(limit) / (1 - 1/u)
}
