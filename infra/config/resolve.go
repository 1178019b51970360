package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
	"github.com/orderly-dev/orderly/lambda/scheduleapi"
	"github.com/orderly-dev/orderly/lambda/visibility"
)

// Context keys that are not configuration keys.
const (
	// EnvKey selects the environment block (`-c env=prod`).
	EnvKey = "env"
	// EnvironmentsKey holds one block of keys per environment in cdk.json.
	EnvironmentsKey = "environments"
	// DefaultEnv is used when no env is given.
	DefaultEnv = "dev"
)

// Error lists every problem found, so a user fixes them in one pass.
type Error struct {
	Env      string
	Problems []string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid orderly configuration for env %q:", e.Env)
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// Resolve builds the Config for the environment selected by context "env":
// defaults, then the environment's block under "environments", then any
// top-level key override (`-c kinesis.shardCount=4`). It reports every
// invalid or unknown key at once.
func Resolve(context map[string]any) (Config, error) {
	env := DefaultEnv
	if raw, ok := context[EnvKey]; ok {
		s, isString := raw.(string)
		if !isString || strings.TrimSpace(s) == "" {
			return Config{}, &Error{Env: render(raw), Problems: []string{fmt.Sprintf("%s = %s: must be an environment name", EnvKey, render(raw))}}
		}
		env = strings.TrimSpace(s)
	}
	r := resolver{env: env, explicit: map[string]bool{}}

	blocks, ok := context[EnvironmentsKey].(map[string]any)
	if !ok {
		r.problem("context key %q is missing or not an object: cdk.json must hold one block per environment", EnvironmentsKey)
		return Config{}, r.err()
	}
	block, ok := blocks[env]
	if !ok {
		names := slices.Sorted(maps.Keys(blocks))
		r.problem("unknown environment %q: choose one of %s%s", env, strings.Join(names, ", "), suggest(env, names))
		return Config{}, r.err()
	}
	blockMap, ok := block.(map[string]any)
	if !ok {
		r.problem("%s.%s must be an object of configuration keys", EnvironmentsKey, env)
		return Config{}, r.err()
	}
	if !envNameRE.MatchString(env) {
		// The name goes into the stack names, which CloudFormation limits to
		// letters, digits and hyphens.
		r.problem("environment name %q: must be lowercase letters, digits and -, starting with a letter, at most 30 characters (it becomes part of the stack names)", env)
		return Config{}, r.err()
	}

	cfg := Config{Env: env}
	for _, k := range Keys {
		if k.def == nil {
			continue
		}
		if err := k.apply(&cfg, k.def); err != nil {
			panic(fmt.Sprintf("config: default of %s is invalid: %v", k.Name, err))
		}
	}
	flat := map[string]any{}
	flatten("", blockMap, flat)
	for _, name := range slices.Sorted(maps.Keys(flat)) {
		r.set(&cfg, name, flat[name], fmt.Sprintf("in %s.%s", EnvironmentsKey, env))
	}
	for _, name := range slices.Sorted(maps.Keys(context)) {
		if name == EnvKey || name == EnvironmentsKey {
			continue
		}
		if _, known := lookupKey(name); known || retiredKeys[name] != "" {
			r.set(&cfg, name, context[name], "from context override")
		} else if looksLikeOurs(name) {
			r.problem("unknown context key %q%s", name, suggest(name, keyNames()))
		}
	}
	if len(r.problems) > 0 {
		return Config{}, r.err()
	}
	r.derive(&cfg)
	r.crossCheck(&cfg)
	if len(r.problems) > 0 {
		return Config{}, r.err()
	}
	return cfg, nil
}

type resolver struct {
	env      string
	explicit map[string]bool
	problems []string
}

func (r *resolver) problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func (r *resolver) err() error { return &Error{Env: r.env, Problems: r.problems} }

func (r *resolver) set(cfg *Config, name string, raw any, where string) {
	k, ok := lookupKey(name)
	if why, retired := retiredKeys[name]; retired {
		r.problem("%s (%s): %s", name, where, why)
		return
	}
	if !ok {
		r.problem("unknown key %q %s%s", name, where, suggest(name, keyNames()))
		return
	}
	if err := k.apply(cfg, raw); err != nil {
		r.problem("%s = %s (%s): %v", name, render(raw), where, err)
		return
	}
	r.explicit[name] = true
}

// derive fills the defaults that depend on other keys.
func (r *resolver) derive(cfg *Config) {
	if cfg.Bus.Name == "" {
		cfg.Bus.Name = cfg.NamePrefix + "-" + cfg.Env
	}
	if cfg.Function.APIKeySecret == "" {
		cfg.Function.APIKeySecret = cfg.NamePrefix + "/" + cfg.Env + "/schedule-api-key"
	}
	if cfg.API.RetryBudgetSeconds == 0 {
		cfg.API.RetryBudgetSeconds = int(cfg.API.Limits().WithDefaults().RetryBudget / time.Second)
	}
	// The default cap stays below a short visibility timeout (60 s at the
	// shortest function timeout) rather than refusing a key nobody set.
	if !r.explicit["fifo.retryBackoffMaxSeconds"] {
		capped := cfg.Fifo.RetryBackoff().CappedBelow(cfg.VisibilityTimeout())
		cfg.Fifo.RetryBackoffMaxSeconds = int(capped.Max / time.Second)
	}
}

// crossCheck enforces the relations between keys that AWS either rejects at
// deploy time or accepts and then misbehaves under (throttled pollers,
// records that expire before their retries end).
func (r *resolver) crossCheck(cfg *Config) {
	if !r.explicit["function.apiBaseUrl"] {
		r.problem("function.apiBaseUrl is required: set it to the https base URL of the schedule API")
	}
	if r.explicit["bus.name"] && cfg.Bus.Existing != "" {
		r.problem("bus.name = %q and bus.existing = %q: set one of them, not both", cfg.Bus.Name, cfg.Bus.Existing)
	}
	if cfg.Bus.Existing != "" {
		if r.explicit["bus.archiveRetentionDays"] && cfg.Bus.ArchiveRetentionDays != 0 {
			r.problem("bus.archiveRetentionDays = %d and bus.existing = %q: the stacks archive only a bus they create; archive an existing bus where it is managed, or set bus.archiveRetentionDays to 0",
				cfg.Bus.ArchiveRetentionDays, cfg.Bus.Existing)
		}
		// The default applies to a created bus only.
		cfg.Bus.ArchiveRetentionDays = 0
		if cfg.Bus.LogLevel != BusLogOff {
			r.problem("bus.logLevel = %q and bus.existing = %q: the stacks configure the logging of a bus they create only; configure an existing bus's logging where it is managed, or set bus.logLevel to %q",
				cfg.Bus.LogLevel, cfg.Bus.Existing, BusLogOff)
		}
	}
	r.checkAPILimits(cfg)
	r.checkAPIRate(cfg)
	r.checkQueuePolicySize(cfg)
	r.checkKeyHome(cfg, "encryption.kmsKey", cfg.Encryption.ImportedKeyARN(), true,
		"SQS, Kinesis, EventBridge and CloudWatch Logs encrypt only with a key of their own region, and the stacks derive no cross-account grants")
	r.checkKeyHome(cfg, "function.apiKeySecretKmsKey", cfg.Function.APIKeySecretKMSKey, false,
		"Secrets Manager encrypts a secret only with a key of the secret's region")
	k := cfg.Kinesis
	if k.StreamMode == OnDemand && r.explicit["kinesis.shardCount"] {
		r.problem("kinesis.shardCount = %d: applies only when kinesis.streamMode is %q, not %q", k.ShardCount, Provisioned, OnDemand)
	}
	if k.MaxRecordAgeSeconds > k.RetentionHours*3600 {
		r.problem("kinesis.maxRecordAgeSeconds = %d: must not exceed kinesis.retentionHours × 3600 = %d, or records expire before their retries end",
			k.MaxRecordAgeSeconds, k.RetentionHours*3600)
	}
	backoffOK := r.checkRetryBackoff(cfg)
	r.checkFifoRetention(cfg)
	r.checkIsolation(cfg, backoffOK)
	f := cfg.Fifo
	reserved := cfg.Function.ReservedConcurrency
	if reserved == 0 {
		return
	}
	if k.StreamMode == Provisioned && reserved < k.ShardCount*k.ParallelizationFactor {
		r.problem("function.reservedConcurrency = %d: must be at least kinesis.shardCount × kinesis.parallelizationFactor = %d, or the stream pollers are throttled",
			reserved, k.ShardCount*k.ParallelizationFactor)
	}
	if k.StreamMode == OnDemand && reserved < onDemandInitialShards*k.ParallelizationFactor {
		r.problem("function.reservedConcurrency = %d: must be at least %d × kinesis.parallelizationFactor = %d, the pollers of a new on-demand stream's %d shards, or they are throttled",
			reserved, onDemandInitialShards, onDemandInitialShards*k.ParallelizationFactor, onDemandInitialShards)
	}
	if g := f.Groups; !g.PerKey && g.Count > 1 && reserved < g.Count+1 {
		r.problem("function.reservedConcurrency = %d: must be at least fifo.messageGroups + 1 = %d (the static groups and the catch-all), so every group can be processed at once", reserved, g.Count+1)
	}
	if m := f.MaxConcurrency; m > 0 && reserved < m {
		r.problem("function.reservedConcurrency = %d: must be at least fifo.maxConcurrency = %d, or the SQS poller is throttled", reserved, m)
	}
	if f.Groups.PerKey && f.MaxConcurrency == 0 {
		r.problem("function.reservedConcurrency = %d with per-key groups: set fifo.maxConcurrency (2 to %d), or the SQS poller scales past the reserved concurrency and its throttled batches go back to the queue, using up receives towards the dead-letter queue",
			reserved, reserved)
	}
}

// checkKeyHome refuses a key ARN from another region or account than the
// one the stacks are pinned to (an environment-agnostic stack is checked
// by preflight, which knows where it deploys). sameAccount also refuses a
// key of another account.
func (r *resolver) checkKeyHome(cfg *Config, key, arn string, sameAccount bool, why string) {
	if arn == "" {
		return
	}
	// A validated key ARN: arn:partition:kms:region:account:key/id.
	parts := strings.SplitN(arn, ":", 6)
	region, account := parts[3], parts[4]
	if cfg.Region != "" && region != cfg.Region {
		r.problem("%s = %q: the key is in region %s, but the stacks deploy to region = %q; use a key of %s (%s)", key, arn, region, cfg.Region, cfg.Region, why)
	}
	if cfg.Account != "" && account != cfg.Account && sameAccount {
		r.problem("%s = %q: the key is in account %s, but the stacks deploy to account = %q; use a key of that account, or `create` (%s)", key, arn, account, cfg.Account, why)
	}
}

// onDemandInitialShards is the shard count a new on-demand stream starts
// with.
const onDemandInitialShards = 4

// SQS caps a queue policy at 8192 bytes. With static groups the FIFO queue's
// and the target dead-letter queue's policies name every rule's ARN
// (infra/relay), and a rule ARN holds the bus name. The estimate takes each
// ARN at its longest (a long region, a 64-character rule name) plus the
// JSON around it, and the rest of the policy (the TLS-only statement, the
// EventBridge statement) at 700 bytes.
const (
	sqsPolicyMaxBytes = 8192
	policyFixedBytes  = 700
	ruleArnFixedChars = len(`"arn:aws:events:ap-southeast-2:123456789012:rule/`+`/`+`",`) + 64
)

// checkQueuePolicySize refuses a static grouping whose queue policy would
// pass SQS's size limit once deployed: it would synthesize, then fail the
// deploy halfway.
func (r *resolver) checkQueuePolicySize(cfg *Config) {
	g := cfg.Fifo.Groups
	if g.PerKey || g.Count < 2 {
		return
	}
	bus := cfg.Bus.Name
	if cfg.Bus.Existing != "" {
		bus = cfg.Bus.Existing[strings.LastIndex(cfg.Bus.Existing, "/")+1:]
	}
	rules := g.Count + 1 // and the catch-all
	if size := policyFixedBytes + rules*(ruleArnFixedChars+len(bus)); size > sqsPolicyMaxBytes {
		r.problem("fifo.messageGroups = %d with the %d-character bus name %q: the queue policies naming its %d rules would reach about %d bytes, above SQS's %d-byte limit; use fewer groups, a shorter bus name, or per-key",
			g.Count, len(bus), bus, rules, size, sqsPolicyMaxBytes)
	}
}

// checkAPILimits keeps every third-party call inside the invocation: the
// consumer stops starting records the worst-case record (a fetch and a push,
// each using its whole retry budget) plus the time to respond before its
// deadline, so that margin must leave part of the timeout for work.
//
// The relations are the limits' own (scheduleapi.Limits); the messages name
// the keys.
func (r *resolver) checkAPILimits(cfg *Config) {
	a := cfg.API
	limits := a.Limits()
	if limits.Validate() != nil {
		r.problem("api.retryBudgetSeconds = %d: must be at least api.callTimeoutSeconds = %d, or no attempt could use its whole timeout",
			a.RetryBudgetSeconds, a.CallTimeoutSeconds)
		return
	}
	if limits.CheckTimeout(time.Duration(cfg.Function.TimeoutSeconds)*time.Second) != nil {
		margin := limits.MinDeadlineMargin()
		budget := "api.retryBudgetSeconds"
		if !r.explicit[budget] {
			budget += fmt.Sprintf(" (%d × api.callTimeoutSeconds)", scheduleapi.DefaultRetryBudgetFactor)
		}
		r.problem("api.callTimeoutSeconds = %d does not fit function.timeoutSeconds = %d: the consumer stops starting records %d s before its deadline "+
			"(a fetch and a push, each within %s = %d, plus %s to respond), so a record could never start; raise function.timeoutSeconds above %d or lower the api.* limits",
			a.CallTimeoutSeconds, cfg.Function.TimeoutSeconds, int(margin/time.Second), budget, a.RetryBudgetSeconds, scheduleapi.ResponseAllowance, int(margin/time.Second))
	}
}

// checkRetryBackoff keeps the FIFO retry backoff shorter than the wait it
// replaces, and its base within its cap, and reports whether it did. The
// relations are the backoff's own (visibility.Backoff); the messages name
// the keys.
func (r *resolver) checkRetryBackoff(cfg *Config) bool {
	f, b := cfg.Fifo, cfg.Fifo.RetryBackoff()
	ok := true
	if b.CheckBelow(cfg.VisibilityTimeout()) != nil {
		ok = false
		r.problem("fifo.retryBackoffMaxSeconds = %d: must be below the FIFO queue's visibility timeout, %d × function.timeoutSeconds = %d, or a reported failure would wait as long as without the backoff (0 turns the backoff off)",
			f.RetryBackoffMaxSeconds, defaults.VisibilityTimeoutFactor, cfg.VisibilityTimeoutSeconds())
	}
	// The keys' ranges are Validate's bounds, so a base above the cap is
	// all it can still find.
	if b.Validate() != nil {
		ok = false
		r.problem("fifo.retryBackoffBaseSeconds = %d: must not exceed fifo.retryBackoffMaxSeconds = %d", f.RetryBackoffBaseSeconds, f.RetryBackoffMaxSeconds)
	}
	return ok
}

// checkFifoRetention keeps every message the FIFO queue holds until it is
// dead-lettered: a message expiring first would be dropped without a trace.
func (r *resolver) checkFifoRetention(cfg *Config) {
	f := cfg.Fifo
	retention := f.RetentionHours * 3600
	// The window below always covers the tolerance; this says why more
	// plainly when the tolerance alone is too long.
	if t := f.OutageToleranceSeconds; t >= retention {
		r.problem("fifo.outageToleranceSeconds = %d: must be below fifo.retentionHours × 3600 = %d, or a message held through an outage that long expires before the vendor recovers; lower fifo.outageToleranceSeconds (0 turns the hold off) or raise fifo.retentionHours",
			t, retention)
		return
	}
	// A message can be received maxReceiveCount times, each followed by
	// the longest wait a receive can have: the visibility timeout (a crash
	// or a timeout), or the outage hold at its longest jitter.
	vt := cfg.VisibilityTimeoutSeconds()
	held := int(f.OutageHold().Delay(f.RetryBackoff(), 1, 1) / time.Second)
	window := max(vt, held) * f.MaxReceiveCount
	switch {
	case retention > window:
	case held > vt:
		r.problem("fifo.retentionHours = %d: must exceed fifo.maxReceiveCount × the longest outage hold (fifo.outageToleranceSeconds / fifo.maxReceiveCount, up to %d%% longer at random: %d s) = %d s, or a message held through an outage can expire before it is dead-lettered",
			f.RetentionHours, int(visibility.Jitter*100), held, window)
	default:
		r.problem("fifo.retentionHours = %d: must exceed fifo.maxReceiveCount × the visibility timeout (%d × function.timeoutSeconds) = %d s, or a message can expire before it is dead-lettered",
			f.RetentionHours, defaults.VisibilityTimeoutFactor, window)
	}
}

// checkIsolation keeps a failing record in its stream or queue until it is
// old enough to be isolated (isolation.afterSeconds): otherwise it is
// dropped to the on-failure bucket or the dead-letter queue first, and
// isolation never happens. The FIFO receive budget is judged only on a
// valid backoff (backoffOK): checkRetryBackoff has reported any other.
func (r *resolver) checkIsolation(cfg *Config, backoffOK bool) {
	after := cfg.Isolation.AfterSeconds
	if after <= 0 {
		return
	}
	if age := cfg.Kinesis.MaxRecordAgeSeconds; after >= age {
		r.problem("isolation.afterSeconds = %d: must be below kinesis.maxRecordAgeSeconds = %d, or a failing record goes to the on-failure bucket before it is old enough to be isolated; lower isolation.afterSeconds (0 turns isolation off) or raise kinesis.maxRecordAgeSeconds",
			after, age)
	}
	if !backoffOK {
		return
	}
	// The FIFO receive budget: isolation needs the period to fail alone
	// for the isolation age, which the consumer can only see from a
	// message's second receive on (its first failure looks vendor-wide
	// and is held); from there to its last receive the message waits at
	// least the backoff's shortest delays (visibility.Backoff.AloneReach;
	// derive has capped a default cap below the visibility timeout, and
	// checkRetryBackoff passed an explicit one); an outage hold only
	// lengthens them.
	f, vt := cfg.Fifo, cfg.VisibilityTimeout()
	backoff := f.RetryBackoff()
	reach := func(receives int) int { return int(backoff.AloneReach(receives, vt) / time.Second) }
	if got := reach(f.MaxReceiveCount); after > got {
		fix := fmt.Sprintf("lower isolation.afterSeconds to at most %d", got)
		if n := fitReceives(f.MaxReceiveCount, maxReceiveCount, func(n int) bool { return reach(n) >= after }); n > 0 {
			fix = fmt.Sprintf("raise fifo.maxReceiveCount to at least %d (its last receive then comes at least %d s after its second), or %s", n, reach(n), fix)
		}
		r.problem("isolation.afterSeconds = %d with fifo.maxReceiveCount = %d: a failing FIFO message has its last receive as little as %d s after its second (the retry backoff's shortest delays, or the visibility timeout when it is off), and its period must fail alone for isolation.afterSeconds from then, so it is dead-lettered before it can be isolated; %s",
			after, f.MaxReceiveCount, got, fix)
	}
}

// fitReceives is the smallest receive count above from and up to limit for
// which fits holds, or 0 when none does.
func fitReceives(from, limit int, fits func(int) bool) int {
	for n := from + 1; n <= limit; n++ {
		if fits(n) {
			return n
		}
	}
	return 0
}

func flatten(prefix string, in map[string]any, out map[string]any) {
	for k, v := range in {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		if nested, ok := v.(map[string]any); ok {
			flatten(name, nested, out)
			continue
		}
		out[name] = v
	}
}

func keyNames() []string {
	names := make([]string, len(Keys))
	for i, k := range Keys {
		names[i] = k.Name
	}
	return names
}

// looksLikeOurs decides whether an unknown top-level context key is a
// mistyped orderly key. CDK's own keys (feature flags "@aws-cdk/...",
// "aws:cdk:..." and lookup results) contain '@' or ':' and are left alone.
func looksLikeOurs(name string) bool {
	if strings.ContainsAny(name, "@:") {
		return false
	}
	if strings.Contains(name, ".") {
		return true
	}
	best, dist := closest(name, keyNames())
	return best != "" && dist <= maxTypoDistance(name)
}
