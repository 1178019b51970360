package preflight

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/awsenv"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/lambda/secret"
)

func checkSecret(ctx context.Context, r *Report, cfg aws.Config, c config.Config) {
	id := c.Function.APIKeySecret
	sm := secretsmanager.NewFromConfig(cfg)
	create := `create it: aws secretsmanager create-secret --name ` + id + ` --secret-string '{"apiKey":"<key>"}'`
	desc, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		if awsenv.ErrorCode(err) == "ResourceNotFoundException" {
			r.add(CheckSecret, Fail, "secret %s does not exist in %s: %s", id, r.Region, create)
		} else {
			r.add(CheckSecret, Fail, "cannot describe secret %s: %s", id, awsenv.Describe(err))
		}
		return
	}
	val, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		r.add(CheckSecret, Fail, "secret %s exists but this identity cannot read it (%s): the value's shape cannot be checked", id, awsenv.ErrorCode(err))
		return
	}
	// The key itself is never printed: Parse's errors never quote it.
	if _, err := secret.Parse(aws.ToString(val.SecretString)); err != nil {
		r.add(CheckSecret, Fail, "secret %s: %v", id, err)
		return
	}
	if status, detail := checkSecretKey(ctx, r, cfg, c, id, aws.ToString(desc.KmsKeyId)); status != "" {
		r.add(CheckSecret, status, "%s", detail)
		return
	}
	r.add(CheckSecret, OK, "%s exists, is readable and holds an API key of the documented shape", aws.ToString(desc.ARN))
}

// LambdaMinimumUnreserved is the concurrency Lambda keeps unreserved in every
// account: a reservation that would leave less is rejected.
const LambdaMinimumUnreserved = 100

func checkConcurrency(ctx context.Context, r *Report, cfg aws.Config, c config.Config, deployed map[string]string) {
	lc := lambda.NewFromConfig(cfg)
	settings, err := lc.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		r.add(CheckConcurrency, Fail, "cannot read the account's Lambda settings: %s", awsenv.Describe(err))
		return
	}
	limit := settings.AccountLimit
	unreserved := int(aws.ToInt32(limit.UnreservedConcurrentExecutions))
	want := c.Function.ReservedConcurrency
	if want == 0 {
		r.add(CheckConcurrency, OK, "not reserved: the consumer shares the account's %d unreserved concurrency", unreserved)
		return
	}
	// On an update the function's own reservation is already subtracted.
	current := 0
	if fn := deployedOutput(deployed, outputs.FunctionName); fn != "" {
		out, err := lc.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(fn)})
		if err != nil {
			r.add(CheckConcurrency, Fail, "cannot read the deployed function's reservation: %s", awsenv.Describe(err))
			return
		}
		current = int(aws.ToInt32(out.ReservedConcurrentExecutions))
	}
	available := unreserved + current - LambdaMinimumUnreserved
	if want > available {
		r.add(CheckConcurrency, Fail, "function.reservedConcurrency = %d, but the account (limit %d) has %d unreserved, of which Lambda keeps %d: at most %d can be reserved; lower it or request a higher concurrency quota",
			want, limit.ConcurrentExecutions, unreserved+current, LambdaMinimumUnreserved, max(available, 0))
		return
	}
	r.add(CheckConcurrency, OK, "reserving %d of %d available (%d unreserved, Lambda keeps %d)", want, available, unreserved+current, LambdaMinimumUnreserved)
}

// Service Quotas codes of the EventBridge rules-per-bus quota, and its
// default when the quota cannot be read.
const (
	EventsServiceCode   = "events"
	RulesQuotaCode      = "L-244521F2"
	DefaultRulesPerBus  = 300
	rulesHeadroomFactor = 0.9
)

func checkRules(ctx context.Context, r *Report, cfg aws.Config, c config.Config, kind string, deployed map[string]string) {
	eb := eventbridge.NewFromConfig(cfg)
	added := c.RulesAdded(kind)
	quota, note := rulesQuota(ctx, cfg)
	stackName := c.StackName(kind)
	bus := c.Bus.Existing
	if bus == "" {
		_, err := eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(c.Bus.Name)})
		switch {
		case err == nil && deployed == nil:
			r.add(CheckRules, Fail, "event bus %s already exists and the stack would create it. If the other orderly stack of this environment created it, deploy only one of KinesisStack and FifoStack per environment: two consumers of one bus race on every period. Otherwise choose another bus.name, or set bus.existing = %q if no orderly stack consumes that bus", c.Bus.Name, c.Bus.Name)
			return
		case err != nil && awsenv.ErrorCode(err) != "ResourceNotFoundException":
			r.add(CheckRules, Fail, "cannot describe event bus %s: %s", c.Bus.Name, awsenv.Describe(err))
			return
		}
		rulesVerdict(r, added, 0, quota, note, "the stack's bus "+c.Bus.Name)
		return
	}
	if _, err := eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(bus)}); err != nil {
		if awsenv.ErrorCode(err) == "ResourceNotFoundException" {
			r.add(CheckRules, Fail, "bus.existing = %q: no such event bus in %s/%s: create it or correct the name", bus, r.Account, r.Region)
		} else {
			r.add(CheckRules, Fail, "cannot describe event bus %s: %s", bus, awsenv.Describe(err))
		}
		return
	}
	existing := 0
	pages := &eventbridge.ListRulesInput{EventBusName: aws.String(bus)}
	for {
		out, err := eb.ListRules(ctx, pages)
		if err != nil {
			r.add(CheckRules, Fail, "cannot list the rules of %s: %s", bus, awsenv.Describe(err))
			return
		}
		for _, rule := range out.Rules {
			// CloudFormation names the stack's own rules "<stack>-<id>-<suffix>":
			// on an update they are replaced, not added.
			if !strings.HasPrefix(aws.ToString(rule.Name), stackName+"-") {
				existing++
			}
		}
		if out.NextToken == nil {
			break
		}
		pages.NextToken = out.NextToken
	}
	rulesVerdict(r, added, existing, quota, note, "imported bus "+bus)
}

func rulesVerdict(r *Report, added, existing, quota int, note, bus string) {
	total := added + existing
	switch {
	case total > quota:
		r.add(CheckRules, Fail, "%s: %d rules already + %d the stack adds = %d, over the quota of %d rules per bus%s: remove rules or request a higher quota",
			bus, existing, added, total, quota, note)
	case float64(total) > rulesHeadroomFactor*float64(quota):
		r.add(CheckRules, Warn, "%s: %d + %d = %d rules of a quota of %d%s: little headroom left", bus, existing, added, total, quota, note)
	default:
		r.add(CheckRules, OK, "%s: %d + %d = %d rules of a quota of %d%s", bus, existing, added, total, quota, note)
	}
}

// rulesQuota reads the applied quota; without permission for Service
// Quotas it falls back to the default and says so.
func rulesQuota(ctx context.Context, cfg aws.Config) (int, string) {
	out, err := servicequotas.NewFromConfig(cfg).GetServiceQuota(ctx, &servicequotas.GetServiceQuotaInput{
		ServiceCode: aws.String(EventsServiceCode), QuotaCode: aws.String(RulesQuotaCode),
	})
	if err != nil || out.Quota == nil || out.Quota.Value == nil {
		return DefaultRulesPerBus, " (the default; Service Quotas could not be read)"
	}
	return int(*out.Quota.Value), ""
}

func checkShards(ctx context.Context, r *Report, cfg aws.Config, c config.Config, deployed map[string]string) {
	kc := kinesis.NewFromConfig(cfg)
	limits, err := kc.DescribeLimits(ctx, &kinesis.DescribeLimitsInput{})
	if err != nil {
		r.add(CheckShards, Fail, "cannot read the account's Kinesis limits: %s", awsenv.Describe(err))
		return
	}
	stream := deployedOutput(deployed, outputs.StreamName)
	if c.Kinesis.StreamMode == config.OnDemand {
		count, limit := aws.ToInt32(limits.OnDemandStreamCount), aws.ToInt32(limits.OnDemandStreamCountLimit)
		if stream == "" && count >= limit {
			r.add(CheckShards, Fail, "the account already has %d of %d on-demand streams: request a higher quota or use kinesis.streamMode = provisioned", count, limit)
			return
		}
		r.add(CheckShards, OK, "on-demand stream: %d of %d on-demand streams in use", count, limit)
		return
	}
	current := 0
	if stream != "" {
		out, err := kc.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(stream)})
		if err != nil {
			r.add(CheckShards, Fail, "cannot describe the deployed stream %s: %s", stream, awsenv.Describe(err))
			return
		}
		current = int(aws.ToInt32(out.StreamDescriptionSummary.OpenShardCount))
	}
	limit, open := int(aws.ToInt32(limits.ShardLimit)), int(aws.ToInt32(limits.OpenShardCount))
	available := limit - open + current
	if c.Kinesis.ShardCount > available {
		r.add(CheckShards, Fail, "kinesis.shardCount = %d, but the account has %d of %d shards open (%d of them this stack's): at most %d more; lower it or request a higher shard quota",
			c.Kinesis.ShardCount, open, limit, current, available)
		return
	}
	r.add(CheckShards, OK, "kinesis.shardCount = %d fits: %d of %d shards open, %d available", c.Kinesis.ShardCount, open, limit, available)
}
