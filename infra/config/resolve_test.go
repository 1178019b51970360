package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cdkContext is the context of the repository's cdk.json, as the CLI gives it.
func cdkContext(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Context
}

func withOverrides(t *testing.T, overrides map[string]any) map[string]any {
	ctx := cdkContext(t)
	for k, v := range overrides {
		ctx[k] = v
	}
	return ctx
}

func TestEveryEnvironmentInCDKJSONResolves(t *testing.T) {
	ctx := cdkContext(t)
	for env := range ctx[EnvironmentsKey].(map[string]any) {
		ctx[EnvKey] = env
		if _, err := Resolve(ctx); err != nil {
			t.Errorf("env %s: %v", env, err)
		}
	}
}

func TestDefaultsAndDerivedValues(t *testing.T) {
	cfg, err := Resolve(withOverrides(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"env", cfg.Env, "dev"},
		{"bus name", cfg.Bus.Name, "orderly-dev"},
		{"secret", cfg.Function.APIKeySecret, "orderly/dev/schedule-api-key"},
		{"period path", cfg.PeriodPath.String(), "$.detail.scheduleDate"},
		{"stack name", cfg.StackName("kinesis"), "orderly-dev-kinesis"},
		{"starting position", cfg.Kinesis.StartingPosition, TrimHorizon},
		{"groups", cfg.Fifo.Groups, Grouping{Count: 1}},
		{"removal (from cdk.json)", cfg.RemovalPolicy, Destroy},
		{"archive of the created bus", cfg.Bus.ArchiveRetentionDays, 14},
		{"on-failure expiration", cfg.Kinesis.OnFailureExpirationDays, 14},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestCommandLineOverridesArriveAsStrings(t *testing.T) {
	cfg, err := Resolve(withOverrides(t, map[string]any{
		EnvKey:                         "prod",
		"kinesis.shardCount":           "7",
		"kinesis.bisectBatchOnError":   "false",
		"rule.sources":                 "a.b, c.d",
		"fifo.messageGroups":           "3",
		"function.reservedConcurrency": "30",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Kinesis.ShardCount != 7 || cfg.Kinesis.BisectBatchOnError || cfg.Fifo.Groups != (Grouping{Count: 3}) {
		t.Errorf("overrides not applied: %+v %+v", cfg.Kinesis, cfg.Fifo)
	}
	if strings.Join(cfg.Rule.Sources, "|") != "a.b|c.d" {
		t.Errorf("sources = %q", cfg.Rule.Sources)
	}
	if cfg.Kinesis.ParallelizationFactor != 2 {
		t.Errorf("prod block lost under overrides: factor = %d", cfg.Kinesis.ParallelizationFactor)
	}
}

func TestInvalidConfigurationIsRejectedWithExactMessage(t *testing.T) {
	const head = "invalid orderly configuration for env %q:\n  - "
	cases := []struct {
		name      string
		overrides map[string]any
		want      string
	}{
		{"unknown env", map[string]any{EnvKey: "prd"},
			`invalid orderly configuration for env "prd":` + "\n" + `  - unknown environment "prd": choose one of dev, prod, staging (did you mean "prod"?)`},
		{"shard count", map[string]any{"kinesis.shardCount": "0"},
			`kinesis.shardCount = "0" (from context override): must be an integer from 1 to 500`},
		{"kinesis batch size", map[string]any{EnvKey: "prod", "kinesis.batchSize": "0"},
			`kinesis.batchSize = "0" (from context override): must be an integer from 1 to 10000`},
		{"kinesis batch size too big", map[string]any{"kinesis.batchSize": 10001.0},
			`kinesis.batchSize = 10001 (from context override): must be an integer from 1 to 10000`},
		{"fifo batch size", map[string]any{"fifo.batchSize": "11"},
			`fifo.batchSize = "11" (from context override): must be an integer from 1 to 10`},
		{"parallelization factor", map[string]any{"kinesis.parallelizationFactor": "11"},
			`kinesis.parallelizationFactor = "11" (from context override): must be an integer from 1 to 10`},
		{"not an integer", map[string]any{"kinesis.parallelizationFactor": "two"},
			`kinesis.parallelizationFactor = "two" (from context override): must be an integer from 1 to 10`},
		{"retry attempts", map[string]any{"kinesis.retryAttempts": "-2"},
			`kinesis.retryAttempts = "-2" (from context override): must be an integer from -1 to 10000`},
		{"target retry attempts", map[string]any{"target.retryAttempts": "186"},
			`target.retryAttempts = "186" (from context override): must be an integer from 0 to 185`},
		{"record age too small", map[string]any{"kinesis.maxRecordAgeSeconds": "59"},
			`kinesis.maxRecordAgeSeconds = "59" (from context override): must be an integer from 60 to 604800`},
		{"record age beyond retention", map[string]any{"kinesis.maxRecordAgeSeconds": "90000"},
			`kinesis.maxRecordAgeSeconds = 90000: must not exceed kinesis.retentionHours × 3600 = 86400, or records expire before their retries end`},
		{"timeout below deadline margin", map[string]any{"function.timeoutSeconds": "5"},
			`function.timeoutSeconds = "5" (from context override): must be an integer from 10 to 900`},
		{"retention", map[string]any{"kinesis.retentionHours": "12"},
			`kinesis.retentionHours = "12" (from context override): must be an integer from 24 to 8760`},
		{"message groups", map[string]any{"fifo.messageGroups": "per-partition"},
			`fifo.messageGroups = "per-partition" (from context override): must be an integer from 1 to 31 (static groups route on the period's day of the month, so there are at most 31), or "per-key"`},
		{"message groups zero", map[string]any{"fifo.messageGroups": 0.0},
			`fifo.messageGroups = 0 (from context override): must be an integer from 1 to 31 (static groups route on the period's day of the month, so there are at most 31), or "per-key"`},
		{"max concurrency", map[string]any{"fifo.maxConcurrency": "1"},
			`fifo.maxConcurrency = "1" (from context override): must be 0 (not set) or an integer from 2 to 1000`},
		{"reserved below groups", map[string]any{"fifo.messageGroups": "4", "function.reservedConcurrency": "4"},
			`function.reservedConcurrency = 4: must be at least fifo.messageGroups + 1 = 5 (the static groups and the catch-all), so every group can be processed at once`},
		{"reserved below an on-demand stream's pollers", map[string]any{"kinesis.streamMode": "on-demand", "function.reservedConcurrency": "3"},
			`function.reservedConcurrency = 3: must be at least 4 × kinesis.parallelizationFactor = 4, the pollers of a new on-demand stream's 4 shards, or they are throttled`},
		{"reserved per-key without a maximum concurrency", map[string]any{"fifo.messageGroups": "per-key", "function.reservedConcurrency": "10"},
			`function.reservedConcurrency = 10 with per-key groups: set fifo.maxConcurrency (2 to 10), or the SQS poller scales past the reserved concurrency and its throttled batches go back to the queue, using up receives towards the dead-letter queue`},
		{"FIFO retention shorter than the retries", map[string]any{"fifo.retentionHours": "1", "function.timeoutSeconds": "900"},
			`fifo.retentionHours = 1: must exceed fifo.maxReceiveCount × the visibility timeout (6 × function.timeoutSeconds) = 54000 s, or a message can expire before it is dead-lettered`},
		{"FIFO retention shorter than the outage holds", map[string]any{"fifo.retentionHours": "1", "fifo.outageToleranceSeconds": "3500"},
			`fifo.retentionHours = 1: must exceed fifo.maxReceiveCount × the longest outage hold (fifo.outageToleranceSeconds / (fifo.maxReceiveCount − 1), up to 20% longer at random: 466 s) = 4660 s, or a message held through an outage can expire before it is dead-lettered`},
		{"outage tolerance beyond the FIFO retention", map[string]any{"fifo.retentionHours": "2", "fifo.outageToleranceSeconds": "7200"},
			`fifo.outageToleranceSeconds = 7200: must be below fifo.retentionHours × 3600 = 7200, or a message held through an outage that long expires before the vendor recovers; lower fifo.outageToleranceSeconds (0 turns the hold off) or raise fifo.retentionHours`},
		{"outage tolerance below a minute", map[string]any{"fifo.outageToleranceSeconds": "59"},
			`fifo.outageToleranceSeconds = "59" (from context override): must be 0 (off) or an integer from 60 to 43200`},
		{"isolation age beyond the record age", map[string]any{"kinesis.maxRecordAgeSeconds": "120"},
			`isolation.afterSeconds = 180: must be below kinesis.maxRecordAgeSeconds = 120, or a failing record goes to the on-failure bucket before it is old enough to be isolated; lower isolation.afterSeconds (0 turns isolation off) or raise kinesis.maxRecordAgeSeconds`},
		{"isolation age beyond the FIFO receive budget", map[string]any{"isolation.afterSeconds": "300"},
			`isolation.afterSeconds = 300 with fifo.maxReceiveCount = 10: a failing FIFO message has its last receive as little as 194 s after its second (the retry backoff's shortest delays, or the visibility timeout when it is off), and its period must fail alone for isolation.afterSeconds from then, so it is dead-lettered before it can be isolated; raise fifo.maxReceiveCount to at least 13 (its last receive then comes at least 338 s after its second), or lower isolation.afterSeconds to at most 194`},
		{"isolation age no receive count reaches", map[string]any{"isolation.afterSeconds": "50000"},
			`isolation.afterSeconds = 50000 with fifo.maxReceiveCount = 10: a failing FIFO message has its last receive as little as 194 s after its second (the retry backoff's shortest delays, or the visibility timeout when it is off), and its period must fail alone for isolation.afterSeconds from then, so it is dead-lettered before it can be isolated; lower isolation.afterSeconds to at most 194`},
		{"detail-type the consumer does not apply", map[string]any{"rule.detailTypes": "Foo"},
			`rule.detailTypes = "Foo" (from context override): must be one or both of "Schedule Entity Upserted" and "Schedule Entity Deleted": the consumer poisons every other detail-type`},
		{"reserved below max concurrency", map[string]any{"fifo.maxConcurrency": "5", "function.reservedConcurrency": "4"},
			`function.reservedConcurrency = 4: must be at least fifo.maxConcurrency = 5, or the SQS poller is throttled`},
		{"reserved below shards x factor", map[string]any{EnvKey: "prod", "function.reservedConcurrency": "7", "fifo.maxConcurrency": "5"},
			`function.reservedConcurrency = 7: must be at least kinesis.shardCount × kinesis.parallelizationFactor = 8, or the stream pollers are throttled`},
		{"message groups beyond the days of a month", map[string]any{"fifo.messageGroups": "32"},
			`fifo.messageGroups = "32" (from context override): must be an integer from 1 to 31 (static groups route on the period's day of the month, so there are at most 31), or "per-key"`},
		{"call timeout that does not fit the function timeout", map[string]any{"api.callTimeoutSeconds": "30", "function.timeoutSeconds": "30"},
			"api.callTimeoutSeconds = 30 does not fit function.timeoutSeconds = 30: the consumer stops starting records 121 s before its deadline (a fetch and a push, each within api.retryBudgetSeconds (2 × api.callTimeoutSeconds) = 60, plus 1s to respond), so a record could never start; raise function.timeoutSeconds above 121 or lower the api.* limits"},
		{"retry budget below the call timeout", map[string]any{"api.callTimeoutSeconds": "5", "api.retryBudgetSeconds": "4"},
			"api.retryBudgetSeconds = 4: must be at least api.callTimeoutSeconds = 5, or no attempt could use its whole timeout"},
		{"static groups whose queue policy would pass SQS's size limit", map[string]any{"fifo.messageGroups": "31", "bus.name": strings.Repeat("b", 150)},
			`fifo.messageGroups = 31 with the 150-character bus name "` + strings.Repeat("b", 150) + `": the queue policies naming its 32 rules would reach about 9212 bytes, above SQS's 8192-byte limit; use fewer groups, a shorter bus name, or per-key`},
		{"retired partition key path", map[string]any{"partitionKeyPath": "$.detail.entityId"},
			`partitionKeyPath (from context override): replaced by periodPath: the delivery key is always the schedule period (the unit of read-modify-write on the schedule API); set periodPath to where your events carry the period, or remove the key for the default $.detail.scheduleDate`},
		{"period path on the entity id", map[string]any{"periodPath": "$.detail.entityId"},
			`periodPath = "$.detail.entityId" (from context override): "$.detail.entityId" names detail.entityId, which is not the schedule period: the delivery key must be the period, the unit of read-modify-write on the schedule API, or two consumers write one schedule at once (default $.detail.scheduleDate)`},
		{"period path outside the detail", map[string]any{"periodPath": "$.id"},
			`periodPath = "$.id" (from context override): "$.id": want a JSON path to the schedule period inside the event detail, of the form $.detail.field (default $.detail.scheduleDate)`},
		{"retired group field", map[string]any{"fifo.groupFieldPath": "$.detail.partition"},
			`fifo.groupFieldPath (from context override): removed: static FIFO groups now route on the period value itself (its day of the month), never on a field the producer sets; remove the key`},
		{"unknown override key", map[string]any{"kinesis.shardCont": "4"},
			`unknown context key "kinesis.shardCont" (did you mean "kinesis.shardCount"?)`},
		{"unknown bare key", map[string]any{"shardCount": "4"},
			`unknown context key "shardCount" (did you mean "kinesis.shardCount"?)`},
		{"shard count on demand", map[string]any{"kinesis.streamMode": "on-demand", "kinesis.shardCount": "2"},
			`kinesis.shardCount = 2: applies only when kinesis.streamMode is "provisioned", not "on-demand"`},
		{"stream mode", map[string]any{"kinesis.streamMode": "ondemand"},
			`kinesis.streamMode = "ondemand" (from context override): must be one of provisioned, on-demand`},
		{"bool", map[string]any{"kinesis.bisectBatchOnError": "yes"},
			`kinesis.bisectBatchOnError = "yes" (from context override): must be true or false`},
		{"log retention", map[string]any{"function.logRetentionDays": "10"},
			`function.logRetentionDays = "10" (from context override): must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653`},
		{"api url", map[string]any{"function.apiBaseUrl": "http://schedule.example.com"},
			`function.apiBaseUrl = "http://schedule.example.com" (from context override): must be an https URL without query or fragment`},
		{"bus both ways", map[string]any{"bus.name": "mine", "bus.existing": "theirs"},
			`bus.name = "mine" and bus.existing = "theirs": set one of them, not both`},
		{"archive of an existing bus", map[string]any{"bus.existing": "theirs", "bus.archiveRetentionDays": "30"},
			`bus.archiveRetentionDays = 30 and bus.existing = "theirs": the stacks archive only a bus they create; archive an existing bus where it is managed, or set bus.archiveRetentionDays to 0`},
		{"archive retention", map[string]any{"bus.archiveRetentionDays": "-1"},
			`bus.archiveRetentionDays = "-1" (from context override): must be an integer from 0 to 3650`},
		{"on-failure expiration", map[string]any{"kinesis.onFailureExpirationDays": "0"},
			`kinesis.onFailureExpirationDays = "0" (from context override): must be an integer from 1 to 3650`},
		{"topic arn", map[string]any{"alarms.topicArn": "arn:aws:sqs:eu-west-1:123456789012:q"},
			`alarms.topicArn = "arn:aws:sqs:eu-west-1:123456789012:q" (from context override): must be empty, or an SNS topic ARN`},
		{"backoff cap at the visibility timeout", map[string]any{"function.timeoutSeconds": "10", "api.callTimeoutSeconds": "2", "fifo.retryBackoffMaxSeconds": "60"},
			`fifo.retryBackoffMaxSeconds = 60: must be below the FIFO queue's visibility timeout, 6 × function.timeoutSeconds = 60, or a reported failure would wait as long as without the backoff (0 turns the backoff off)`},
		{"backoff cap above the visibility timeout", map[string]any{"fifo.retryBackoffMaxSeconds": 400.0},
			`fifo.retryBackoffMaxSeconds = 400: must be below the FIFO queue's visibility timeout, 6 × function.timeoutSeconds = 360, or a reported failure would wait as long as without the backoff (0 turns the backoff off)`},
		{"backoff base above its cap", map[string]any{"fifo.retryBackoffBaseSeconds": "30", "fifo.retryBackoffMaxSeconds": "20"},
			`fifo.retryBackoffBaseSeconds = 30: must not exceed fifo.retryBackoffMaxSeconds = 20`},
		{"negative backoff base", map[string]any{"fifo.retryBackoffBaseSeconds": "-1"},
			`fifo.retryBackoffBaseSeconds = "-1" (from context override): must be an integer from 0 to 43200`},
		{"kms key alias", map[string]any{"encryption.kmsKey": "arn:aws:kms:eu-west-1:111122223333:alias/orderly"},
			"encryption.kmsKey = \"arn:aws:kms:eu-west-1:111122223333:alias/orderly\" (from context override): must be empty, `create`, or a KMS key ARN such as `arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab` (not an alias or a bare key id: grants name the key's ARN)"},
		{"kms key id", map[string]any{"encryption.kmsKey": "1234abcd-12ab-34cd-56ef-1234567890ab"},
			"encryption.kmsKey = \"1234abcd-12ab-34cd-56ef-1234567890ab\" (from context override): must be empty, `create`, or a KMS key ARN such as `arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab` (not an alias or a bare key id: grants name the key's ARN)"},
		{"kms key of another region", map[string]any{"region": "us-east-1", "encryption.kmsKey": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
			"encryption.kmsKey = \"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\": the key is in region eu-west-1, but the stacks deploy to region = \"us-east-1\"; use a key of us-east-1 (SQS, Kinesis, EventBridge and CloudWatch Logs encrypt only with a key of their own region, and the stacks derive no cross-account grants)"},
		{"kms key of another account", map[string]any{"account": "999999999999", "encryption.kmsKey": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
			"encryption.kmsKey = \"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\": the key is in account 111122223333, but the stacks deploy to account = \"999999999999\"; use a key of that account, or `create` (SQS, Kinesis, EventBridge and CloudWatch Logs encrypt only with a key of their own region, and the stacks derive no cross-account grants)"},
		{"secret kms key", map[string]any{"function.apiKeySecretKmsKey": "create"},
			"function.apiKeySecretKmsKey = \"create\" (from context override): must be empty, or a KMS key ARN such as `arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab` (not an alias or a bare key id: grants name the key's ARN)"},
		{"secret kms key of another region", map[string]any{"region": "us-east-1", "function.apiKeySecretKmsKey": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
			"function.apiKeySecretKmsKey = \"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\": the key is in region eu-west-1, but the stacks deploy to region = \"us-east-1\"; use a key of us-east-1 (Secrets Manager encrypts a secret only with a key of the secret's region)"},
		{"account", map[string]any{"account": "1234"},
			`account = "1234" (from context override): must be empty, or a 12-digit AWS account id`},
		{"rate cap over an unbounded fleet", map[string]any{"api.maxRequestsPerSecond": "20", "kinesis.streamMode": "on-demand"},
			"api.maxRequestsPerSecond = 20 needs a bounded number of concurrent executions to split over, but kinesis.streamMode = on-demand adds shards without bound: set function.reservedConcurrency (or fifo.maxConcurrency), or api.maxRequestsPerSecond to 0"},
		{"rate cap too low for a call's budget", map[string]any{"api.maxRequestsPerSecond": "1", "kinesis.shardCount": "30"},
			"api.maxRequestsPerSecond = 1 split over KinesisStack's 30 concurrent executions is 0.0317 requests per second each: one request every 31.579s, longer than api.retryBudgetSeconds = 20, so a call could never get a slot; raise api.maxRequestsPerSecond to at least 2 or lower the concurrency"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := withOverrides(t, tc.overrides)
			_, err := Resolve(ctx)
			if err == nil {
				t.Fatal("Resolve accepted invalid configuration")
			}
			want := tc.want
			if !strings.HasPrefix(want, "invalid orderly") {
				env, _ := ctx[EnvKey].(string)
				want = strings.Replace(head, "%q", `"`+env+`"`, 1) + want
			}
			if err.Error() != want {
				t.Errorf("message:\n got: %s\nwant: %s", err, want)
			}
		})
	}
}

// An existing bus gets no archive from the default; 0 is accepted with it.
func TestExistingBusHasNoArchive(t *testing.T) {
	for _, overrides := range []map[string]any{
		{"bus.existing": "theirs"},
		{"bus.existing": "theirs", "bus.archiveRetentionDays": "0"},
	} {
		cfg, err := Resolve(withOverrides(t, overrides))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Bus.ArchiveRetentionDays != 0 {
			t.Errorf("%v: archive retention %d, want 0 (none)", overrides, cfg.Bus.ArchiveRetentionDays)
		}
	}
}

func TestRetryBackoffSettings(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string]any
		base, max int
	}{
		{"defaults", nil, 1, 60},
		{"default cap under the shortest visibility timeout", map[string]any{"function.timeoutSeconds": "10", "api.callTimeoutSeconds": "2"}, 1, 59},
		// A base of 0 retries at once, so no failing message could age
		// enough to be isolated (TestIsolationAndOutageHoldSettings).
		{"explicit", map[string]any{"fifo.retryBackoffBaseSeconds": "0", "fifo.retryBackoffMaxSeconds": "300", "isolation.afterSeconds": "0"}, 0, 300},
		{"off, with a base above the cap", map[string]any{"fifo.retryBackoffBaseSeconds": "90", "fifo.retryBackoffMaxSeconds": "0"}, 90, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Resolve(withOverrides(t, tc.overrides))
			if err != nil {
				t.Fatal(err)
			}
			if f := cfg.Fifo; f.RetryBackoffBaseSeconds != tc.base || f.RetryBackoffMaxSeconds != tc.max {
				t.Errorf("backoff base %d max %d, want %d and %d", f.RetryBackoffBaseSeconds, f.RetryBackoffMaxSeconds, tc.base, tc.max)
			}
		})
	}
}

// The blast-radius settings: the defaults fit every relation, the receive
// budget follows the backoff the stacks deploy (capped below a short
// visibility timeout), and 0 turns isolation and the outage hold off.
func TestIsolationAndOutageHoldSettings(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string]any
		after     int
		hold      time.Duration
	}{
		// 1800 s over 10 − 1 held receives.
		{"defaults", nil, 180, 200 * time.Second},
		{"both off", map[string]any{"isolation.afterSeconds": "0", "fifo.outageToleranceSeconds": "0"}, 0, 0},
		// Off, the backoff leaves 9 visibility timeouts of 360 s.
		{"backoff off", map[string]any{"fifo.retryBackoffMaxSeconds": "0", "isolation.afterSeconds": "2880"}, 2880, 200 * time.Second},
		// 1800 s / 12 = 150 s.
		{"more receives", map[string]any{"fifo.maxReceiveCount": "13", "isolation.afterSeconds": "338"}, 338, 150 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Resolve(withOverrides(t, tc.overrides))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Isolation.AfterSeconds != tc.after || time.Duration(cfg.Fifo.OutageHold()) != tc.hold {
				t.Errorf("isolation after %d s, hold %s; want %d s and %s", cfg.Isolation.AfterSeconds, time.Duration(cfg.Fifo.OutageHold()), tc.after, tc.hold)
			}
		})
	}
	// One second more than the budget is refused.
	for _, overrides := range []map[string]any{
		{"fifo.retryBackoffMaxSeconds": "0", "isolation.afterSeconds": "3241"},
		{"fifo.maxReceiveCount": "13", "isolation.afterSeconds": "340"},
	} {
		if _, err := Resolve(withOverrides(t, overrides)); err == nil || !strings.Contains(err.Error(), "isolation.afterSeconds") {
			t.Errorf("%v: got %v, want the receive budget refused", overrides, err)
		}
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	_, err := Resolve(withOverrides(t, map[string]any{"kinesis.batchSize": "0", "fifo.batchSize": "0"}))
	if err == nil || strings.Count(err.Error(), "\n  - ") != 2 {
		t.Fatalf("want both problems, got: %v", err)
	}
}

func TestUnknownKeyInEnvironmentBlock(t *testing.T) {
	ctx := cdkContext(t)
	dev := ctx[EnvironmentsKey].(map[string]any)["dev"].(map[string]any)
	dev["kinesis"].(map[string]any)["batchSise"] = 5.0
	_, err := Resolve(ctx)
	want := `unknown key "kinesis.batchSise" in environments.dev (did you mean "kinesis.batchSize"?)`
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Fatalf("got %v, want suffix %s", err, want)
	}
}

func TestCDKOwnContextKeysAreIgnored(t *testing.T) {
	_, err := Resolve(withOverrides(t, map[string]any{
		"aws:cdk:enable-path-metadata":          true,
		"@aws-cdk/core:newStyleStackSynthesis":  true,
		"availability-zones:account=1:region=x": []any{"a"},
		"acknowledged-issue-numbers":            []any{1.0},
	}))
	if err != nil {
		t.Fatal(err)
	}
}

func TestEveryKeyDefaultIsValid(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Keys {
		if seen[k.Name] {
			t.Errorf("duplicate key %s", k.Name)
		}
		seen[k.Name] = true
		var c Config
		if k.def == nil {
			continue
		}
		if err := k.apply(&c, k.def); err != nil {
			t.Errorf("%s: default %v invalid: %v", k.Name, k.def, err)
		}
		if k.Doc == "" || k.Allowed == "" || k.Default == "" || k.Default == "``" {
			t.Errorf("%s: undocumented", k.Name)
		}
	}
}

// An environment name goes into the stack names: one CloudFormation would
// refuse is reported like any other bad value, not as a crash at synth.
func TestEnvironmentNameMustFitStackNames(t *testing.T) {
	_, err := Resolve(map[string]any{
		EnvKey:          "prod_eu",
		EnvironmentsKey: map[string]any{"prod_eu": map[string]any{"function.apiBaseUrl": "https://api.example.com"}},
	})
	want := `environment name "prod_eu": must be lowercase letters, digits and -, starting with a letter, at most 30 characters (it becomes part of the stack names)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
}

func TestKMSKeySettings(t *testing.T) {
	const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	const mrk = "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
	tests := []struct {
		name      string
		overrides map[string]any
		enabled   bool
		creates   bool
		imported  string
		secretKey string
	}{
		{"default", nil, false, false, "", ""},
		{"create", map[string]any{"encryption.kmsKey": "create"}, true, true, "", ""},
		{"existing key, pinned to its region and account", map[string]any{"encryption.kmsKey": key, "region": "eu-west-1", "account": "111122223333"}, true, false, key, ""},
		{"multi-Region key", map[string]any{"encryption.kmsKey": mrk}, true, false, mrk, ""},
		// A secret may live in another account; only its region must match.
		{"secret key of another account", map[string]any{"function.apiKeySecretKmsKey": key, "account": "999999999999"}, false, false, "", key},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Resolve(withOverrides(t, tc.overrides))
			if err != nil {
				t.Fatal(err)
			}
			e := cfg.Encryption
			if e.Enabled() != tc.enabled || e.CreatesKey() != tc.creates || e.ImportedKeyARN() != tc.imported || cfg.Function.APIKeySecretKMSKey != tc.secretKey {
				t.Errorf("encryption %+v (enabled %v, creates %v, imported %q), secret key %q", e, e.Enabled(), e.CreatesKey(), e.ImportedKeyARN(), cfg.Function.APIKeySecretKMSKey)
			}
		})
	}
}

func TestAPIRateIsSplitOverConcurrentExecutions(t *testing.T) {
	cases := []struct {
		name          string
		overrides     map[string]any
		kinesis, fifo float64
	}{
		{"no cap", map[string]any{}, 0, 0},
		// Each execution uses 95% of its even share (rateShareMargin).
		{"4 shards, 3 static groups and the catch-all", map[string]any{"api.maxRequestsPerSecond": "20", "kinesis.shardCount": "4", "fifo.messageGroups": "3"}, 4.75, 4.75},
		{"reserved concurrency bounds an on-demand stream", map[string]any{"api.maxRequestsPerSecond": "20", "kinesis.streamMode": "on-demand", "function.reservedConcurrency": "4"}, 4.75, 19},
		{"per-key groups bounded by fifo.maxConcurrency", map[string]any{"api.maxRequestsPerSecond": "20", "fifo.messageGroups": "per-key", "fifo.maxConcurrency": "8"}, 19, 2.375},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Resolve(withOverrides(t, tc.overrides))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.APILimits(KindKinesis).RequestsPerSecond; got != tc.kinesis {
				t.Errorf("KinesisStack: %g requests per second per execution, want %g", got, tc.kinesis)
			}
			if got := cfg.APILimits(KindFifo).RequestsPerSecond; got != tc.fifo {
				t.Errorf("FifoStack: %g requests per second per execution, want %g", got, tc.fifo)
			}
		})
	}
}
