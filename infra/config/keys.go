package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

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
	jsonPathRE   = regexp.MustCompile(`^\$(\.[A-Za-z0-9_-]+)+$`)
	accountRE    = regexp.MustCompile(`^\d{12}$`)
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$`)
	prefixRE     = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	busNameRE    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)
	busArnRE     = regexp.MustCompile(`^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._/-]{1,256}$`)
	secretNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	secretArnRE  = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
	topicArnRE   = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$`)
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
	allowed := fmt.Sprintf("0 (not set) or an integer from %d to %d", lo, hi)
	return Key{Name: name, Default: "0 (not set)", Allowed: fmt.Sprintf("0, or %d–%d", lo, hi), Doc: doc, def: 0,
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

const maxStaticGroups = 100

// maxVisibilitySeconds is the longest visibility timeout SQS accepts.
const maxVisibilitySeconds = int(visibility.MaxVisibilityTimeout / time.Second)

// withDocDefault documents a default that depends on other keys.
func withDocDefault(k Key, doc string) Key {
	k.Default = doc
	return k
}

// minTimeoutSeconds leaves room for work beyond the consumer's 5 s deadline
// margin (lambda/ordering.DefaultDeadlineMargin).
const minTimeoutSeconds = 10

// Keys is the registry of every configuration key, in documentation order.
var Keys = []Key{
	stringKey("account", "", "environment-agnostic", "empty, or a 12-digit AWS account id",
		orEmpty(accountRE.MatchString), func(c *Config) *string { return &c.Account }, "AWS account the stacks deploy to."),
	stringKey("region", "", "environment-agnostic", "empty, or an AWS region such as `eu-west-1`",
		orEmpty(regionRE.MatchString), func(c *Config) *string { return &c.Region }, "AWS region the stacks deploy to."),
	stringKey("namePrefix", "orderly", "", "lowercase letters, digits and `-`, starting with a letter, at most 20 characters",
		prefixRE.MatchString, func(c *Config) *string { return &c.NamePrefix }, "Prefix of stack names (`<prefix>-<env>-kinesis`) and of the created bus."),
	enumKey("removalPolicy", Retain, []RemovalPolicy{Retain, Destroy}, func(c *Config) *RemovalPolicy { return &c.RemovalPolicy },
		"What happens to the stream, queues and log group when the stack is deleted."),
	boolKey("terminationProtection", false, func(c *Config) *bool { return &c.TerminationProtection },
		"CloudFormation termination protection of both stacks."),
	stringKey("partitionKeyPath", "$.detail.scheduleDate", "", "a JSON path of the form `$.field.field`",
		jsonPathRE.MatchString, func(c *Config) *string { return &c.PartitionKeyPath },
		"Ordering key inside the event: the Kinesis partition key, and the FIFO group id in `per-key` mode. Never left unset: without it EventBridge partitions by event id and order is lost."),

	stringKey("bus.name", "", "`<namePrefix>-<env>`", "1–256 of `A-Z a-z 0-9 . _ -`, not `default`",
		orEmpty(func(s string) bool { return busNameRE.MatchString(s) && s != "default" }),
		func(c *Config) *string { return &c.Bus.Name }, "Name of the event bus the stack creates."),
	stringKey("bus.existing", "", "empty (create a bus)", "empty, an event bus name, or an event bus ARN",
		orEmpty(func(s string) bool { return busNameRE.MatchString(s) || busArnRE.MatchString(s) }),
		func(c *Config) *string { return &c.Bus.Existing }, "Import this existing bus (name or ARN) instead of creating one."),
	listKey("rule.sources", []string{"com.example.scheduling"}, 1, "a non-empty list of event sources",
		func(c *Config) *[]string { return &c.Rule.Sources }, "Event pattern `source` values (list, or comma-separated on the command line)."),
	listKey("rule.detailTypes", []string{"Schedule Entity Upserted", "Schedule Entity Deleted"}, 0, "a list of detail-types (empty matches any)",
		func(c *Config) *[]string { return &c.Rule.DetailTypes }, "Event pattern `detail-type` values."),
	intKey("target.retryAttempts", 185, 0, 185, func(c *Config) *int { return &c.Target.RetryAttempts },
		"EventBridge delivery retries to the stream or queue before the target dead-letter queue."),
	intKey("target.maxEventAgeSeconds", 86400, 60, 86400, func(c *Config) *int { return &c.Target.MaxEventAgeSeconds },
		"Oldest event EventBridge still tries to deliver."),

	intKey("function.memoryMiB", 256, 128, 10240, func(c *Config) *int { return &c.Function.MemoryMiB }, "Consumer memory."),
	intKey("function.timeoutSeconds", 60, minTimeoutSeconds, 900, func(c *Config) *int { return &c.Function.TimeoutSeconds },
		"Consumer timeout. The consumer stops starting records 5 s before it, so it must leave room for work; the FIFO visibility timeout is 6× this."),
	optionalIntKey("function.reservedConcurrency", 1, 10000, func(c *Config) *int { return &c.Function.ReservedConcurrency },
		"Reserved concurrency of the consumer. Must cover shards × parallelization factor, the static FIFO groups and `fifo.maxConcurrency`."),
	oneOfIntKey("function.logRetentionDays", 30, LogRetentionDays, func(c *Config) *int { return &c.Function.LogRetentionDays },
		"Retention of the consumer's log group."),
	stringKey("function.apiBaseUrl", "", "none (required)", "an https URL without query or fragment",
		isHTTPSURL, func(c *Config) *string { return &c.Function.APIBaseURL }, "Base URL of the third-party schedule API."),
	stringKey("function.apiKeySecret", "", "`<namePrefix>/<env>/schedule-api-key`", "a Secrets Manager secret name or ARN",
		orEmpty(func(s string) bool { return secretNameRE.MatchString(s) || secretArnRE.MatchString(s) }),
		func(c *Config) *string { return &c.Function.APIKeySecret }, "Existing secret holding the API key; the function may read this secret only."),
	intKey("function.maxConcurrentPartitions", 10, 1, 1000, func(c *Config) *int { return &c.Function.MaxConcurrentPartitions },
		"Partitions one invocation processes at once (records of one partition always run one after another)."),

	enumKey("kinesis.streamMode", Provisioned, []StreamMode{Provisioned, OnDemand}, func(c *Config) *StreamMode { return &c.Kinesis.StreamMode },
		"Stream capacity mode."),
	intKey("kinesis.shardCount", 1, 1, 500, func(c *Config) *int { return &c.Kinesis.ShardCount },
		"Shards of a provisioned stream."),
	intKey("kinesis.retentionHours", 24, 24, 8760, func(c *Config) *int { return &c.Kinesis.RetentionHours }, "Stream retention."),
	intKey("kinesis.batchSize", 100, 1, 10000, func(c *Config) *int { return &c.Kinesis.BatchSize }, "Records per invocation."),
	intKey("kinesis.maxBatchingWindowSeconds", 0, 0, 300, func(c *Config) *int { return &c.Kinesis.MaxBatchingWindowSecs },
		"How long the poller gathers records before invoking."),
	intKey("kinesis.parallelizationFactor", 1, 1, 10, func(c *Config) *int { return &c.Kinesis.ParallelizationFactor },
		"Concurrent batches per shard; order per partition key holds at any factor."),
	enumKey("kinesis.startingPosition", TrimHorizon, []StartingPosition{TrimHorizon, Latest},
		func(c *Config) *StartingPosition { return &c.Kinesis.StartingPosition }, "Where a new event source mapping starts."),
	intKey("kinesis.retryAttempts", 10000, 0, 10000, func(c *Config) *int { return &c.Kinesis.RetryAttempts },
		"Retries of a failing batch before its records go to the on-failure queue."),
	intKey("kinesis.maxRecordAgeSeconds", 86400, 60, 604800, func(c *Config) *int { return &c.Kinesis.MaxRecordAgeSeconds },
		"Oldest record the mapping still retries; must not exceed the retention."),
	boolKey("kinesis.bisectBatchOnError", true, func(c *Config) *bool { return &c.Kinesis.BisectBatchOnError },
		"Split a batch whose invocation fails as a whole (crash, timeout) to isolate the cause."),

	{Name: "fifo.messageGroups", Default: "1", Allowed: fmt.Sprintf("1–%d, or `%s`", maxStaticGroups, PerKeyGroups), def: 1,
		Doc: "Static message groups, routed on `fifo.groupFieldPath`; or `per-key`: one group per partition key, through an EventBridge Pipe.",
		apply: func(c *Config, raw any) error {
			if s, ok := raw.(string); ok && strings.TrimSpace(s) == PerKeyGroups {
				c.Fifo.Groups = Grouping{PerKey: true}
				return nil
			}
			n, ok := parseInt(raw)
			if !ok || n < 1 || n > maxStaticGroups {
				return errInvalid{fmt.Sprintf("an integer from 1 to %d, or %q", maxStaticGroups, PerKeyGroups)}
			}
			c.Fifo.Groups = Grouping{Count: n}
			return nil
		}},
	stringKey("fifo.groupFieldPath", "$.detail.partition", "", "a JSON path inside the detail, of the form `$.detail.field`",
		func(s string) bool { return jsonPathRE.MatchString(s) && strings.HasPrefix(s, "$.detail.") }, func(c *Config) *string { return &c.Fifo.GroupFieldPath },
		"Integer field that routes an event to static group g (value g, from 0); anything else goes to the catch-all group."),
	intKey("fifo.batchSize", 10, 1, 10, func(c *Config) *int { return &c.Fifo.BatchSize }, "Messages per invocation."),
	optionalIntKey("fifo.maxConcurrency", 2, 1000, func(c *Config) *int { return &c.Fifo.MaxConcurrency },
		"Maximum concurrent invocations of the SQS event source mapping."),
	intKey("fifo.maxReceiveCount", 5, 1, 1000, func(c *Config) *int { return &c.Fifo.MaxReceiveCount },
		"Receives before a message moves to the FIFO dead-letter queue."),
	intKey("fifo.retentionHours", 96, 1, 336, func(c *Config) *int { return &c.Fifo.RetentionHours }, "Queue message retention."),
	intKey("fifo.retryBackoffBaseSeconds", int(visibility.DefaultBackoff.Base/time.Second), 0, maxVisibilitySeconds,
		func(c *Config) *int { return &c.Fifo.RetryBackoffBaseSeconds },
		"After the consumer reports a failure, the failed message and the rest of its group are visible again after this long, doubling with each further receive up to `fifo.retryBackoffMaxSeconds`, up to 20% shorter at random. 0 retries at once."),
	withDocDefault(intKey("fifo.retryBackoffMaxSeconds", int(visibility.DefaultBackoff.Max/time.Second), 0, maxVisibilitySeconds,
		func(c *Config) *int { return &c.Fifo.RetryBackoffMaxSeconds },
		"Cap of that backoff; must stay below the queue's visibility timeout (6 × `function.timeoutSeconds`). 0 turns the backoff off: the group waits for the visibility timeout, as it always does after a crash or a function timeout."),
		fmt.Sprintf("%d, or the visibility timeout − 1 s if that is shorter", int(visibility.DefaultBackoff.Max/time.Second))),

	stringKey("alarms.topicArn", "", "empty (no actions)", "empty, or an SNS topic ARN",
		orEmpty(topicArnRE.MatchString), func(c *Config) *string { return &c.Alarms.TopicArn }, "SNS topic for alarm and OK actions."),
	intKey("alarms.iteratorAgeSeconds", 300, 1, 604800, func(c *Config) *int { return &c.Alarms.IteratorAgeSeconds },
		"Kinesis iterator age that raises the alarm."),
	intKey("alarms.oldestMessageAgeSeconds", 300, 1, 1209600, func(c *Config) *int { return &c.Alarms.OldestMessageAgeSeconds },
		"FIFO age of oldest message that raises the alarm."),
}

func lookupKey(name string) (Key, bool) {
	for _, k := range Keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}
