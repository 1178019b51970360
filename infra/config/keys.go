package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/orderly-dev/orderly/infra/awsmetrics"
	"github.com/orderly-dev/orderly/infra/relay/defaults"
	"github.com/orderly-dev/orderly/infra/routing"
	"github.com/orderly-dev/orderly/lambda/envvar"
	"github.com/orderly-dev/orderly/lambda/schedule"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
	"github.com/orderly-dev/orderly/lambda/visibility"
)

// Key is one configuration key: its name in context, its documented default
// and allowed values, and how a raw context value is parsed into Config.
type Key struct {
	Name    string
	Default string
	Allowed string
	Doc     string
	// def is applied before any context, so defaults have one source.
	def   any
	apply func(c *Config, raw any) error
}

// errInvalid is returned by setters; the resolver adds key, value and env.
type errInvalid struct{ allowed string }

func (e errInvalid) Error() string { return "must be " + e.allowed }

var (
	accountRE    = regexp.MustCompile(`^\d{12}$`)
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$`)
	prefixRE     = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	envNameRE    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,29}$`)
	busNameRE    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)
	busArnRE     = regexp.MustCompile(`^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._/-]{1,256}$`)
	secretNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	secretArnRE  = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
	// A key ARN: a multi-Region key's id starts with "mrk-".
	kmsKeyArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
	topicArnRE  = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$`)
)

// LogRetentionDays are the retention periods CloudWatch Logs accepts.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func intKey(name string, def, lo, hi int, field func(*Config) *int, doc string) Key {
	allowed := fmt.Sprintf("an integer from %d to %d", lo, hi)
	return Key{Name: name, Default: itoa(def), Allowed: fmt.Sprintf("%d–%d", lo, hi), Doc: doc, def: def,
		apply: func(c *Config, raw any) error {
			n, ok := parseInt(raw)
			if !ok || n < lo || n > hi {
				return errInvalid{allowed}
			}
			*field(c) = n
			return nil
		}}
}

// optionalIntKey is an integer where 0 means "not set".
func optionalIntKey(name string, lo, hi int, field func(*Config) *int, doc string) Key {
	k := zeroOrIntKey(name, "not set", 0, lo, hi, field, doc)
	k.Default = "0 (not set)"
	return k
}

// zeroOrIntKey is an integer from lo to hi, or 0, which means zero (such
// as "off"); it defaults to def.
func zeroOrIntKey(name, zero string, def, lo, hi int, field func(*Config) *int, doc string) Key {
	allowed := fmt.Sprintf("0 (%s) or an integer from %d to %d", zero, lo, hi)
	return Key{Name: name, Default: itoa(def), Allowed: fmt.Sprintf("0, or %d–%d", lo, hi), Doc: doc, def: def,
		apply: func(c *Config, raw any) error {
			n, ok := parseInt(raw)
			if !ok || (n != 0 && (n < lo || n > hi)) {
				return errInvalid{allowed}
			}
			*field(c) = n
			return nil
		}}
}

func oneOfIntKey(name string, def int, values []int, field func(*Config) *int, doc string) Key {
	strs := make([]string, len(values))
	for i, v := range values {
		strs[i] = itoa(v)
	}
	allowed := "one of " + strings.Join(strs, ", ")
	return Key{Name: name, Default: itoa(def), Allowed: allowed, Doc: doc, def: def,
		apply: func(c *Config, raw any) error {
			n, ok := parseInt(raw)
			if !ok || !slices.Contains(values, n) {
				return errInvalid{allowed}
			}
			*field(c) = n
			return nil
		}}
}

func boolKey(name string, def bool, field func(*Config) *bool, doc string) Key {
	return Key{Name: name, Default: fmt.Sprint(def), Allowed: "true, false", Doc: doc, def: def,
		apply: func(c *Config, raw any) error {
			b, ok := parseBool(raw)
			if !ok {
				return errInvalid{"true or false"}
			}
			*field(c) = b
			return nil
		}}
}

func enumKey[T ~string](name string, def T, values []T, field func(*Config) *T, doc string) Key {
	strs := make([]string, len(values))
	for i, v := range values {
		strs[i] = string(v)
	}
	allowed := strings.Join(strs, ", ")
	return Key{Name: name, Default: string(def), Allowed: allowed, Doc: doc, def: string(def),
		apply: func(c *Config, raw any) error {
			s, ok := parseString(raw)
			if !ok || !slices.Contains(values, T(s)) {
				return errInvalid{"one of " + allowed}
			}
			*field(c) = T(s)
			return nil
		}}
}

// stringKey validates with check, which returns false for invalid values.
func stringKey(name, def, docDefault, allowed string, check func(string) bool, field func(*Config) *string, doc string) Key {
	if docDefault == "" {
		docDefault = fmt.Sprintf("`%s`", def)
	}
	k := Key{Name: name, Default: docDefault, Allowed: allowed, Doc: doc,
		apply: func(c *Config, raw any) error {
			s, ok := parseString(raw)
			if !ok || !check(s) {
				return errInvalid{allowed}
			}
			*field(c) = s
			return nil
		}}
	// An empty default is the zero value, and may be one a user must replace.
	if def != "" {
		k.def = def
	}
	return k
}

func listKey(name string, def []string, minLen int, allowed string, field func(*Config) *[]string, doc string) Key {
	return Key{Name: name, Default: "`" + strings.Join(def, ", ") + "`", Allowed: allowed, Doc: doc, def: def,
		apply: func(c *Config, raw any) error {
			items, ok := parseList(raw)
			if !ok || len(items) < minLen {
				return errInvalid{allowed}
			}
			for _, item := range items {
				if item == "" || len(item) > 256 {
					return errInvalid{allowed}
				}
			}
			*field(c) = items
			return nil
		}}
}

func orEmpty(check func(string) bool) func(string) bool {
	return func(s string) bool { return s == "" || check(s) }
}

func isHTTPSURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}

// kmsKeyArnAllowed is what a key reference must look like. Only a key ARN
// will do: IAM grants and the key policy checks name the key itself, and an
// alias can be repointed at another key.
const kmsKeyArnAllowed = "a KMS key ARN such as `arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab` (not an alias or a bare key id: grants name the key's ARN)"

// kmsKeyKey is a key whose value is empty, one of extra, or a KMS key ARN.
func kmsKeyKey(name, docDefault string, extra []string, field func(*Config) *string, doc string) Key {
	allowed := "empty, "
	for _, e := range extra {
		allowed += fmt.Sprintf("`%s`, ", e)
	}
	allowed += "or " + kmsKeyArnAllowed
	return Key{Name: name, Default: docDefault, Allowed: allowed, Doc: doc,
		apply: func(c *Config, raw any) error {
			s, ok := parseString(raw)
			if !ok || (s != "" && !slices.Contains(extra, s) && !kmsKeyArnRE.MatchString(s)) {
				return errInvalid{allowed}
			}
			*field(c) = s
			return nil
		}}
}

// maxVisibilitySeconds is the longest visibility timeout SQS accepts.
const maxVisibilitySeconds = int(visibility.MaxVisibilityTimeout / time.Second)

// maxReceiveCount is the largest redrive maxReceiveCount SQS accepts.
const maxReceiveCount = 1000

// withDefault applies def before any context, so the default has one
// source even when it is the zero value.
func withDefault(k Key, def string) Key {
	k.def = def
	return k
}

// withDocDefault documents a default that depends on other keys.
func withDocDefault(k Key, doc string) Key {
	k.Default = doc
	return k
}

// minTimeoutSeconds is the shortest consumer timeout accepted at all; the
// api.* limits decide the real minimum (checkAPILimits).
const minTimeoutSeconds = 10

// Keys is the registry of every configuration key, in documentation order.
// The defaults of the keys the relay constructs take come from package
// defaults, which the constructs fill zero Props fields from.
var Keys = []Key{
	stringKey("account", "", "environment-agnostic", "empty, or a 12-digit AWS account id",
		orEmpty(accountRE.MatchString), func(c *Config) *string { return &c.Account }, "AWS account the stacks deploy to."),
	stringKey("region", "", "environment-agnostic", "empty, or an AWS region such as `eu-west-1`",
		orEmpty(regionRE.MatchString), func(c *Config) *string { return &c.Region }, "AWS region the stacks deploy to."),
	stringKey("namePrefix", "orderly", "", "lowercase letters, digits and `-`, starting with a letter, at most 20 characters",
		prefixRE.MatchString, func(c *Config) *string { return &c.NamePrefix }, "Prefix of stack names (`<prefix>-<env>-kinesis`) and of the created bus."),
	enumKey("removalPolicy", RemovalPolicy(defaults.RemovalPolicy), []RemovalPolicy{Retain, Destroy}, func(c *Config) *RemovalPolicy { return &c.RemovalPolicy },
		"What happens to the stream, queues and log group when the stack is deleted."),
	boolKey("terminationProtection", false, func(c *Config) *bool { return &c.TerminationProtection },
		"CloudFormation termination protection of both stacks."),
	{Name: "periodPath", Default: "`" + defaults.PeriodPath + "`", def: defaults.PeriodPath,
		Allowed: "a JSON path `$.detail.field[.field]` to the schedule period; not `entityId`, `entityType`, `version`, `attributes` or `partition`",
		Doc:     "Where events carry the schedule period, the unit of read-modify-write on the schedule API and **the one ordering key**: the Kinesis partition key, the FIFO message group (static groups route on its value, `per-key` uses it as the group id) and the path the consumer reads. Replaces `partitionKeyPath`.",
		apply: func(c *Config, raw any) error {
			s, ok := parseString(raw)
			if !ok {
				return errInvalid{"a JSON path `$.detail.field` to the schedule period"}
			}
			p, err := schedule.ParsePeriodPath(s)
			if err != nil {
				return err
			}
			c.PeriodPath = p
			return nil
		}},

	stringKey("bus.name", "", "`<namePrefix>-<env>`", "1–256 of `A-Z a-z 0-9 . _ -`, not `default`",
		orEmpty(func(s string) bool { return busNameRE.MatchString(s) && s != "default" }),
		func(c *Config) *string { return &c.Bus.Name }, "Name of the event bus the stack creates."),
	stringKey("bus.existing", "", "empty (create a bus)", "empty, an event bus name, or an event bus ARN",
		orEmpty(func(s string) bool { return busNameRE.MatchString(s) || busArnRE.MatchString(s) }),
		func(c *Config) *string { return &c.Bus.Existing }, "Import this existing bus (name or ARN) instead of creating one."),
	intKey("bus.archiveRetentionDays", defaults.ArchiveRetentionDays, 0, 3650, func(c *Config) *int { return &c.Bus.ArchiveRetentionDays },
		"Days the archive of a created bus keeps orderly's events (its rule pattern) for replay; 0: no archive. The default matches the 14-day retention of the dead-letter and poison queues, so anything you could redrive you could also replay. An existing bus is archived where it is managed."),
	enumKey("bus.logLevel", BusLogLevel(defaults.BusLogLevel), []BusLogLevel{BusLogOff, BusLogError, BusLogInfo}, func(c *Config) *BusLogLevel { return &c.Bus.LogLevel },
		"What a created bus logs to a CloudWatch Logs group of its own (event bus logging, without event details): `error`, the events it failed to deliver and why; `info`, also each event received, matched and delivered (several records per event, billed per GB ingested: see `make plan`). An existing bus is logged where it is managed."),
	listKey("rule.sources", defaults.Sources(), 1, "a non-empty list of event sources",
		func(c *Config) *[]string { return &c.Rule.Sources }, "Event pattern `source` values (list, or comma-separated on the command line)."),
	{Name: "rule.detailTypes", Default: "`" + strings.Join(defaults.DetailTypes(), ", ") + "`", def: defaults.DetailTypes(),
		Allowed: "one or both of `" + schedule.DetailTypeUpserted + "`, `" + schedule.DetailTypeDeleted + "`",
		Doc:     "Event pattern `detail-type` values: the detail-types the consumer applies (any other would only reach the poison queue).",
		apply: func(c *Config, raw any) error {
			items, ok := parseList(raw)
			known := []string{schedule.DetailTypeUpserted, schedule.DetailTypeDeleted}
			if !ok || len(items) == 0 || slices.ContainsFunc(items, func(d string) bool { return !slices.Contains(known, d) }) {
				return errInvalid{fmt.Sprintf("one or both of %q and %q: the consumer poisons every other detail-type", schedule.DetailTypeUpserted, schedule.DetailTypeDeleted)}
			}
			c.Rule.DetailTypes = items
			return nil
		}},
	intKey("target.retryAttempts", defaults.TargetRetryAttempts, 0, 185, func(c *Config) *int { return &c.Target.RetryAttempts },
		"EventBridge delivery retries to the stream or queue before the target dead-letter queue."),
	intKey("target.maxEventAgeSeconds", defaults.TargetMaxEventAgeSeconds, 60, 86400, func(c *Config) *int { return &c.Target.MaxEventAgeSeconds },
		"Oldest event EventBridge still tries to deliver."),

	intKey("function.memoryMiB", defaults.FunctionMemoryMiB, 128, 10240, func(c *Config) *int { return &c.Function.MemoryMiB }, "Consumer memory."),
	intKey("function.timeoutSeconds", defaults.FunctionTimeoutSeconds, minTimeoutSeconds, 900, func(c *Config) *int { return &c.Function.TimeoutSeconds },
		fmt.Sprintf("Consumer timeout. It must exceed the deadline margin the `api.*` limits imply (two retry budgets plus 1 s): the consumer starts no record closer to the deadline than that. The FIFO visibility timeout is %d× this.", defaults.VisibilityTimeoutFactor)),
	optionalIntKey("function.reservedConcurrency", 1, 10000, func(c *Config) *int { return &c.Function.ReservedConcurrency },
		"Reserved concurrency of the consumer. Must cover shards × parallelization factor, the static FIFO groups and `fifo.maxConcurrency`."),
	oneOfIntKey("function.logRetentionDays", defaults.LogRetentionDays, LogRetentionDays, func(c *Config) *int { return &c.Function.LogRetentionDays },
		"Retention of the consumer's log group."),
	stringKey("function.apiBaseUrl", "", "none (required)", "an https URL without query or fragment",
		isHTTPSURL, func(c *Config) *string { return &c.Function.APIBaseURL }, "Base URL of the third-party schedule API."),
	stringKey("function.apiKeySecret", "", "`<namePrefix>/<env>/schedule-api-key`", "a Secrets Manager secret name or ARN",
		orEmpty(func(s string) bool { return secretNameRE.MatchString(s) || secretArnRE.MatchString(s) }),
		func(c *Config) *string { return &c.Function.APIKeySecret }, "Existing secret holding the API key; the function may read this secret only."),
	kmsKeyKey("function.apiKeySecretKmsKey", "empty (the secret uses `aws/secretsmanager`)", nil,
		func(c *Config) *string { return &c.Function.APIKeySecretKMSKey },
		"The customer managed key that encrypts `function.apiKeySecret`: the consumer's role is granted `kms:Decrypt` on it through Secrets Manager only, and preflight checks the secret uses it."),
	intKey("function.maxConcurrentPartitions", defaults.MaxConcurrentPartitions, 1, envvar.MaxConcurrentPartitionsLimit, func(c *Config) *int { return &c.Function.MaxConcurrentPartitions },
		"Partitions one invocation processes at once (records of one partition always run one after another)."),
	boolKey("function.coalesce", defaults.Coalesce, func(c *Config) *bool { return &c.Function.Coalesce },
		"Apply consecutive records of one period in a batch with one API fetch and at most one push; a failed chunk is retried one record at a time, so outcomes are the same. `false` makes one fetch and one push per record (for comparisons)."),
	boolKey("function.eventSourceMetrics", defaults.EventSourceMetrics, func(c *Config) *bool { return &c.Function.EventSourceMetrics },
		fmt.Sprintf("EventCount metrics of the consumer's event source mapping (`MetricsConfig`): events polled, invoked, filtered out, failed and dropped per minute, charted on the dashboard. CloudWatch bills them as custom metrics (%d for Kinesis, %d for SQS; see `make plan`).",
			len(awsmetrics.StreamEventCounts()), len(awsmetrics.QueueEventCounts()))),

	intKey("api.callTimeoutSeconds", defaults.APICallTimeoutSeconds, 1, 300, func(c *Config) *int { return &c.API.CallTimeoutSeconds },
		"Longest one attempt of a third-party API call may take."),
	intKey("api.maxAttempts", defaults.APIMaxAttempts, 1, 10, func(c *Config) *int { return &c.API.MaxAttempts },
		"Attempts per API call, the first one included (retries on 408, 429, 5xx and network errors)."),
	intKey("api.maxRequestsPerSecond", defaults.APIMaxRequestsPerSecond, 0, 100000, func(c *Config) *int { return &c.API.MaxRequestsPerSecond },
		"Cap on the requests the whole stack sends the API per second, retries included; 0 is no cap. It is split evenly over the consumer's concurrent executions (shards × factor, or the FIFO groups or `fifo.maxConcurrency`, each capped by `function.reservedConcurrency`), which must be bounded; each execution environment spaces its requests accordingly. A `Retry-After` asking for longer still wins."),
	{Name: "api.retryBudgetSeconds", Default: fmt.Sprintf("%d × `api.callTimeoutSeconds`", scheduleapi.DefaultRetryBudgetFactor), Allowed: "1–900, at least `api.callTimeoutSeconds`",
		Doc: "Longest one API call may take, retries included. The consumer stops starting records two budgets plus 1 s before its deadline (a fetch and a push of the worst case), so no call outlives the invocation.",
		apply: func(c *Config, raw any) error {
			n, ok := parseInt(raw)
			if !ok || n < 1 || n > 900 {
				return errInvalid{"an integer from 1 to 900"}
			}
			c.API.RetryBudgetSeconds = n
			return nil
		}},

	enumKey("kinesis.streamMode", StreamMode(defaults.StreamMode), []StreamMode{Provisioned, OnDemand}, func(c *Config) *StreamMode { return &c.Kinesis.StreamMode },
		"Stream capacity mode."),
	intKey("kinesis.shardCount", defaults.ShardCount, 1, 500, func(c *Config) *int { return &c.Kinesis.ShardCount },
		"Shards of a provisioned stream."),
	intKey("kinesis.retentionHours", defaults.StreamRetentionHours, 24, 8760, func(c *Config) *int { return &c.Kinesis.RetentionHours }, "Stream retention."),
	intKey("kinesis.batchSize", defaults.KinesisBatchSize, 1, 10000, func(c *Config) *int { return &c.Kinesis.BatchSize }, "Records per invocation."),
	intKey("kinesis.maxBatchingWindowSeconds", defaults.MaxBatchingWindowSeconds, 0, 300, func(c *Config) *int { return &c.Kinesis.MaxBatchingWindowSecs },
		"How long the poller gathers records before invoking."),
	intKey("kinesis.parallelizationFactor", defaults.ParallelizationFactor, 1, 10, func(c *Config) *int { return &c.Kinesis.ParallelizationFactor },
		"Concurrent batches per shard; order per partition key holds at any factor."),
	enumKey("kinesis.startingPosition", StartingPosition(defaults.StartingPosition), []StartingPosition{TrimHorizon, Latest},
		func(c *Config) *StartingPosition { return &c.Kinesis.StartingPosition }, "Where a new event source mapping starts."),
	intKey("kinesis.retryAttempts", defaults.KinesisRetryAttempts, -1, 10000, func(c *Config) *int { return &c.Kinesis.RetryAttempts },
		"Retries of a failing batch before its records go to the on-failure bucket; -1 retries until `kinesis.maxRecordAgeSeconds`, so that a vendor outage is held for the record age (a number of retries can run out in minutes against an API that fails fast)."),
	intKey("kinesis.maxRecordAgeSeconds", defaults.MaxRecordAgeSeconds, 60, 604800, func(c *Config) *int { return &c.Kinesis.MaxRecordAgeSeconds },
		"Oldest record the mapping still retries; must not exceed the retention."),
	boolKey("kinesis.bisectBatchOnError", defaults.BisectBatchOnError, func(c *Config) *bool { return &c.Kinesis.BisectBatchOnError },
		"Split a batch whose invocation fails as a whole (crash, timeout) to isolate the cause."),
	intKey("kinesis.onFailureExpirationDays", defaults.OnFailureExpirationDays, 1, 3650, func(c *Config) *int { return &c.Kinesis.OnFailureExpirationDays },
		"Days the on-failure bucket keeps the full invocation record of each discarded batch (the records' payloads included) before S3 expires it; the default matches the dead-letter queues' 14 days. Redrive them with `make redrive` before then."),

	{Name: "fifo.messageGroups", Default: itoa(defaults.MessageGroups), Allowed: fmt.Sprintf("1–%d, or `%s`", routing.MaxStaticGroups, PerKeyGroups), def: defaults.MessageGroups,
		Doc: "Static message groups, each owning some days of the month: an event goes to the group of its period's day (plus a catch-all group for events without a valid period); or `per-key`: one group per period, through an EventBridge Pipe.",
		apply: func(c *Config, raw any) error {
			if s, ok := raw.(string); ok && strings.TrimSpace(s) == PerKeyGroups {
				c.Fifo.Groups = Grouping{PerKey: true}
				return nil
			}
			n, ok := parseInt(raw)
			if !ok || routing.Validate(n) != nil {
				return errInvalid{fmt.Sprintf("an integer from 1 to %d (static groups route on the period's day of the month, so there are at most %d), or %q", routing.MaxStaticGroups, routing.MaxStaticGroups, PerKeyGroups)}
			}
			c.Fifo.Groups = Grouping{Count: n}
			return nil
		}},
	intKey("fifo.batchSize", defaults.FifoBatchSize, 1, 10, func(c *Config) *int { return &c.Fifo.BatchSize }, "Messages per invocation."),
	optionalIntKey("fifo.maxConcurrency", 2, 1000, func(c *Config) *int { return &c.Fifo.MaxConcurrency },
		"Maximum concurrent invocations of the SQS event source mapping."),
	intKey("fifo.maxReceiveCount", defaults.MaxReceiveCount, 1, maxReceiveCount, func(c *Config) *int { return &c.Fifo.MaxReceiveCount },
		"Receives before a message moves to the FIFO dead-letter queue."),
	intKey("fifo.retentionHours", defaults.FifoRetentionHours, 1, 336, func(c *Config) *int { return &c.Fifo.RetentionHours }, "Queue message retention."),
	intKey("fifo.retryBackoffBaseSeconds", int(visibility.DefaultBackoff.Base/time.Second), 0, maxVisibilitySeconds,
		func(c *Config) *int { return &c.Fifo.RetryBackoffBaseSeconds },
		"After the consumer reports a failure, the failed message and the rest of its group are visible again after this long, doubling with each further receive up to `fifo.retryBackoffMaxSeconds`, up to 20% shorter at random. 0 retries at once."),
	withDocDefault(intKey("fifo.retryBackoffMaxSeconds", int(visibility.DefaultBackoff.Max/time.Second), 0, maxVisibilitySeconds,
		func(c *Config) *int { return &c.Fifo.RetryBackoffMaxSeconds },
		fmt.Sprintf("Cap of that backoff; must stay below the queue's visibility timeout (%d × `function.timeoutSeconds`). 0 turns the backoff off: the group waits for the visibility timeout, as it always does after a crash or a function timeout.", defaults.VisibilityTimeoutFactor)),
		fmt.Sprintf("%d, or the visibility timeout − 1 s if that is shorter", int(visibility.DefaultBackoff.Max/time.Second))),

	zeroOrIntKey("fifo.outageToleranceSeconds", "off", defaults.OutageToleranceSeconds, 60, 43200, func(c *Config) *int { return &c.Fifo.OutageToleranceSeconds },
		fmt.Sprintf("A third-party outage this long (every period failing) dead-letters and isolates nothing: after such a failure the consumer keeps the message invisible for this / (`fifo.maxReceiveCount` − 1), up to %d%% longer at random (the outage hold; one receive is not counted because the failure that meets the start of an outage can still get the retry backoff), so the queue holds everything and drains in order once the vendor recovers. Must stay below `fifo.retentionHours`. 0 turns the hold off: every failure waits for the retry backoff only, as before the hold existed.", int(visibility.Jitter*100))),
	intKey("isolation.afterSeconds", defaults.IsolateAfterSeconds, 0, 86400, func(c *Config) *int { return &c.Isolation.AfterSeconds },
		"A record whose period keeps failing while other periods succeed is taken out of line once it is this old (from its arrival in the stream or queue): sent whole to the isolated queue for `make redrive`, so it no longer blocks its shard or message group. 0 turns isolation off. Must stay below `kinesis.maxRecordAgeSeconds` and within the FIFO receive budget (see docs/isolation.md)."),
	withDefault(kmsKeyKey("encryption.kmsKey", "empty (AWS owned and managed keys)", []string{CreateKMSKey},
		func(c *Config) *string { return &c.Encryption.KMSKey },
		"Customer managed KMS key of everything that stores events: the bus and its archive, the stream, every queue, the on-failure bucket and the log groups. `create`: each stack creates one key, rotated yearly, with `removalPolicy`; an ARN: an existing key in the stacks' account and region, whose policy must hold the statements in docs/operations.md (preflight checks them). Every grant is derived from what the stacks wire."),
		defaults.KMSKey),

	stringKey("alarms.topicArn", "", "empty (no actions)", "empty, or an SNS topic ARN",
		orEmpty(topicArnRE.MatchString), func(c *Config) *string { return &c.Alarms.TopicArn }, "SNS topic for alarm and OK actions."),
	intKey("alarms.iteratorAgeSeconds", defaults.IteratorAgeSeconds, 1, 604800, func(c *Config) *int { return &c.Alarms.IteratorAgeSeconds },
		"Kinesis iterator age that raises the alarm."),
	intKey("alarms.oldestMessageAgeSeconds", defaults.OldestMessageAgeSeconds, 1, 1209600, func(c *Config) *int { return &c.Alarms.OldestMessageAgeSeconds },
		"FIFO age of oldest message that raises the alarm."),
}

// retiredKeys are keys earlier versions accepted, with what replaces them.
// Setting one is an error rather than a silent no-op or a guess: each of
// them could key delivery on something other than the period.
var retiredKeys = map[string]string{
	"partitionKeyPath":    "replaced by periodPath: the delivery key is always the schedule period (the unit of read-modify-write on the schedule API); set periodPath to where your events carry the period, or remove the key for the default " + defaults.PeriodPath,
	"fifo.groupFieldPath": "removed: static FIFO groups now route on the period value itself (its day of the month), never on a field the producer sets; remove the key",
}

func lookupKey(name string) (Key, bool) {
	for _, k := range Keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}
