package plan

import (
	"fmt"
	"math"

	"github.com/orderly-dev/orderly/infra/awsmetrics"
	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/lambda/telemetry"
)

// Assumptions of the cost model that are not in the configuration.
const (
	hoursPerMonth = 730
	// Bytes the consumer logs per record (one JSON line) and per batch (a
	// summary line and one EMF line).
	logBytesPerRecord = 400
	logBytesPerBatch  = 900
	// The consumer publishes its EMF metrics under two dimension sets:
	// Source, and FunctionName.
	emfMetrics = 2 * telemetry.PublishedMetrics
	// The bundled bootstrap as a zip in the CDK assets bucket, and the
	// deploys a month that upload it.
	assetZipBytes   = 5 << 20
	deploysPerMonth = 4
	// Bytes a created bus logs per event at bus.logLevel=info, without event
	// details: a few records (received, matched, delivered) of some hundred
	// bytes each. At "error" it logs failed deliveries only: nothing in a
	// healthy month.
	busLogBytesPerEventInfo = 1500
	// Lambda's pollers read a caught-up shard or queue about once a second,
	// so a batch holds about a second of one lane's arrivals.
	pollSeconds = 1.0
	// SQS reuses a data key for 5 minutes (its default
	// KmsDataKeyReusePeriodSeconds) and Kinesis calls KMS about every 5
	// minutes per set of credentials; the model assumes EventBridge and
	// CloudWatch Logs do alike: each caller of a store makes one KMS request
	// per 5 minutes of traffic (per shard for the stream, whose pollers may
	// hold their own credentials: an upper estimate). The on-failure
	// bucket's S3 Bucket Key and the idle dead-letter queues add next to
	// nothing.
	kmsDataKeySeconds = 300
)

// kmsRequestsPerUse is one caller's KMS requests a month for one store.
const kmsRequestsPerUse = hoursPerMonth * 3600 / kmsDataKeySeconds

// CostLine is one item of a monthly estimate.
type CostLine struct {
	Item     string  `json:"item"`
	Quantity float64 `json:"quantity"`
	Unit     string  `json:"unit"`
	USD      float64 `json:"usd"`
}

// StackCost is one stack's monthly estimate at the workload's average rate.
type StackCost struct {
	Stack    string     `json:"stack"`
	Lines    []CostLine `json:"lines"`
	TotalUSD float64    `json:"totalUsd"`
}

func (s *StackCost) add(item string, quantity float64, price Price, unitsPerPrice float64) {
	usd := quantity / unitsPerPrice * price.USD
	s.Lines = append(s.Lines, CostLine{Item: item, Quantity: quantity, Unit: price.Per, USD: usd})
	s.TotalUSD += usd
}

// CostInputs are the facts of the synthesized stacks the estimate needs.
type CostInputs struct {
	// Alarms per stack, counted in the templates.
	KinesisAlarms, FifoAlarms int
	// KMS keys each stack creates (encryption.kmsKey = create) and its log
	// groups, counted in the templates.
	KinesisKeys, FifoKeys           int
	KinesisLogGroups, FifoLogGroups int
}

// monthlyEvents is the number of events a month at the average rate.
func monthlyEvents(w Workload) float64 { return w.averageRate() * hoursPerMonth * 3600 }

// chunks is how many units of size bytes an event is billed as.
func chunks(eventBytes, size int) float64 { return math.Ceil(float64(eventBytes) / float64(size)) }

// lambdaUse estimates invocations and GB-seconds for lanes that each
// deliver batches of up to batchSize records over keys periods or groups.
func lambdaUse(cfg config.Config, w Workload, lanes, keys, batchSize int, pollWindow float64) (invocations, gbSeconds, perInvocation float64) {
	events := monthlyEvents(w)
	lanes = max(1, min(lanes, keys))
	perInvocation = math.Max(1, math.Min(float64(batchSize), w.averageRate()/float64(lanes)*pollWindow))
	keysPerLane := math.Ceil(float64(keys) / float64(lanes))
	concurrent := math.Max(1, math.Min(perInvocation, math.Min(keysPerLane, float64(cfg.Function.MaxConcurrentPartitions))))
	mean, _ := w.serviceTime()
	invocations = events / perInvocation
	seconds := invocations * (perInvocation / concurrent) * mean.Seconds()
	gbSeconds = seconds * float64(cfg.Function.MemoryMiB) / 1024
	return invocations, gbSeconds, perInvocation
}

// addCommon adds what both stacks pay alike: EventBridge, Lambda, logs,
// alarms, metrics and the asset.
// eventCounts are the EventCount metrics of the stack's event source
// mapping, all billed as custom metrics when function.eventSourceMetrics is on.
func addCommon(s *StackCost, cfg config.Config, w Workload, invocations, gbSeconds float64, alarms int, eventCounts []string) {
	p := Prices
	events := monthlyEvents(w)
	s.add("EventBridge custom events", events*chunks(w.EventBytes, 64<<10), p.EventBridgeEventMillion, 1e6)
	s.add("Lambda invocations", invocations, p.LambdaRequestMillion, 1e6)
	s.add("Lambda duration (arm64)", gbSeconds, p.LambdaArmGBSecond, 1)
	logGB := (events*logBytesPerRecord + invocations*logBytesPerBatch) / (1 << 30)
	s.add("CloudWatch Logs ingestion", logGB, p.LogsIngestGB, 1)
	s.add(fmt.Sprintf("CloudWatch Logs storage (%d-day retention)", cfg.Function.LogRetentionDays),
		// In steady state the group holds retention's worth of months of logs.
		logGB*float64(cfg.Function.LogRetentionDays)/30.4, p.LogsStorageGBMonth, 1)
	addBusLogs(s, cfg, events)
	s.add("CloudWatch alarms", float64(alarms), p.AlarmMonth, 1)
	// Each stack has one (the first three of an account are free).
	s.add("CloudWatch dashboard", 1, p.DashboardMonth, 1)
	s.add("CloudWatch custom metrics (EMF)", emfMetrics, p.CustomMetricMonth, 1)
	if cfg.Function.EventSourceMetrics {
		s.add("CloudWatch event source mapping metrics", float64(len(eventCounts)), p.CustomMetricMonth, 1)
	}
	s.add("S3 asset storage (bootstrap zip)", float64(assetZipBytes)/(1<<30), p.S3StandardGBMonth, 1)
	s.add("S3 asset uploads", deploysPerMonth, p.S3PutThousand, 1000)
}

// addKMS adds the customer managed key: the keys the stack creates, and
// the requests of transportUses callers of the stream or queues besides the
// bus's (EventBridge's, when the stack creates the bus) and the log groups'.
func addKMS(s *StackCost, cfg config.Config, keys, logGroups, transportUses int) {
	if !cfg.Encryption.Enabled() {
		return
	}
	p := Prices
	if keys > 0 {
		s.add("KMS customer managed key", float64(keys), p.KMSKeyMonth, 1)
	}
	uses := transportUses + logGroups
	if cfg.Bus.Existing == "" {
		// EventBridge encrypts and decrypts on the bus; its archive
		// re-encrypts.
		uses += 2
		if cfg.Bus.ArchiveRetentionDays > 0 {
			uses++
		}
	}
	s.add(fmt.Sprintf("KMS requests (%d callers × stores, a data key each per 5 min)", uses), float64(uses*kmsRequestsPerUse), p.KMSRequestTenThousand, 1e4)
}

// KinesisCost estimates KinesisStack for a month.
func KinesisCost(cfg config.Config, w Workload, kp KinesisPlan, in CostInputs) StackCost {
	s := StackCost{Stack: "KinesisStack"}
	p := Prices.Kinesis
	k := cfg.Kinesis
	events := monthlyEvents(w)
	gb := events * float64(w.EventBytes) / (1 << 30)
	if k.StreamMode == config.OnDemand {
		s.add("Kinesis on-demand stream-hours", hoursPerMonth, p.OnDemandStreamHour, 1)
		s.add("Kinesis on-demand data written", gb, p.OnDemandIngestGB, 1)
		s.add("Kinesis on-demand data read (one consumer)", gb, p.OnDemandRetrievalGB, 1)
		if extra := float64(k.RetentionHours - 24); extra > 0 {
			s.add("Kinesis on-demand retention beyond 24 h", gb/hoursPerMonth*extra, p.OnDemandExtendedRetentionGBMonth, 1)
		}
	} else {
		shardHours := float64(kp.Shards * hoursPerMonth)
		s.add(fmt.Sprintf("Kinesis shard-hours (%d shards)", kp.Shards), shardHours, p.ShardHour, 1)
		s.add("Kinesis PUT payload units", events*chunks(w.EventBytes, 25<<10), p.PutPayloadUnitMillion, 1e6)
		if k.RetentionHours > 24 {
			s.add(fmt.Sprintf("Kinesis extended retention (%d h)", k.RetentionHours), shardHours, p.ExtendedRetentionShardHour, 1)
		}
		if beyond := float64(k.RetentionHours - 7*24); beyond > 0 {
			s.add("Kinesis long-term retention beyond 7 days", gb/hoursPerMonth*beyond, p.LongTermRetentionGBMonth, 1)
		}
	}
	lanes := kp.ShardsUsed * kp.ParallelizationFactor
	window := math.Max(pollSeconds, float64(k.MaxBatchingWindowSecs))
	invocations, gbSeconds, _ := lambdaUse(cfg, w, lanes, len(w.Periods), k.BatchSize, window)
	addCommon(&s, cfg, w, invocations, gbSeconds, in.KinesisAlarms, awsmetrics.StreamEventCounts())
	// EventBridge's role writes, and the consumer's pollers read, every shard.
	addKMS(&s, cfg, in.KinesisKeys, in.KinesisLogGroups, 2*kp.Shards)
	return s
}

// FifoCost estimates FifoStack for a month.
func FifoCost(cfg config.Config, w Workload, fp FifoPlan, d FifoDelivery, in CostInputs) StackCost {
	s := StackCost{Stack: "FifoStack"}
	events := monthlyEvents(w)
	c := chunks(w.EventBytes, 64<<10)
	lanes := min(fp.GroupsUsed, fp.ConcurrencyLimit)
	invocations, gbSeconds, _ := lambdaUse(cfg, w, lanes, fp.GroupsUsed, cfg.Fifo.BatchSize, pollSeconds)
	// EventBridge sends each event; the mapping receives and deletes a batch per invocation.
	requests := events*c + 2*invocations
	if d.Pipe {
		// The Pipe receives and deletes ingest batches of up to 10 and sends
		// each message on to the consumer queue.
		pipeBatch := math.Max(1, math.Min(10, w.averageRate()*pollSeconds))
		requests += 2*events/pipeBatch + events*c
		s.add("EventBridge Pipes requests", events*c, Prices.PipesRequestMillion, 1e6)
	}
	s.add("SQS FIFO requests (empty receives while idle not counted)", requests, Prices.SQSFifoRequestMillion, 1e6)
	addCommon(&s, cfg, w, invocations, gbSeconds, in.FifoAlarms, awsmetrics.QueueEventCounts())
	// A sender and a reader per queue events travel through: EventBridge
	// and the consumer, and with the pipe the ingest queue's too.
	queues := 1
	if d.Pipe {
		queues = 2
	}
	addKMS(&s, cfg, in.FifoKeys, in.FifoLogGroups, 2*queues)
	return s
}

// addBusLogs adds the created bus's logs (bus.logLevel), delivered to
// CloudWatch Logs as vended logs at the ingestion price, and kept for the
// consumer's log retention. "error" logs failed deliveries only, which a
// healthy month has none of: its line says so with a quantity of 0.
func addBusLogs(s *StackCost, cfg config.Config, events float64) {
	switch cfg.Bus.LogLevel {
	case config.BusLogError:
		s.add("EventBridge bus logs, bus.logLevel=error (failed deliveries only; none when healthy)", 0, Prices.LogsIngestGB, 1)
	case config.BusLogInfo:
		gb := events * busLogBytesPerEventInfo / (1 << 30)
		s.add("EventBridge bus logs, bus.logLevel=info (ingestion)", gb, Prices.LogsIngestGB, 1)
		s.add(fmt.Sprintf("EventBridge bus logs storage (%d-day retention)", cfg.Function.LogRetentionDays),
			gb*float64(cfg.Function.LogRetentionDays)/30.4, Prices.LogsStorageGBMonth, 1)
	}
}
