package preflight_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/preflight"
	"github.com/orderly-dev/orderly/infra/keypolicy"
	"github.com/orderly-dev/orderly/infra/outputs"
	"github.com/orderly-dev/orderly/sim/fakeaws"
	"github.com/orderly-dev/orderly/sim/fakeaws/checktest"
)

const (
	realURL  = "function.apiBaseUrl=https://schedule.acme.io"
	secretID = "orderly/prod/schedule-api-key"
)

// healthy is an account where a first deploy of prod succeeds.
func healthy(t *testing.T) *fakeaws.Server {
	fake := checktest.Fake(t)
	fake.PutStack(fakeaws.Stack{Name: preflight.ToolkitStackName, Outputs: map[string]string{"BootstrapVersion": "28"}})
	fake.PutSecret(fakeaws.Secret{Name: secretID, Value: `{"apiKey":"k-123"}`})
	fake.SetLambdaAccount(fakeaws.LambdaAccount{ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000})
	fake.SetQuota(preflight.EventsServiceCode, preflight.RulesQuotaCode, 300)
	fake.SetKinesisLimits(fakeaws.KinesisLimits{ShardLimit: 500, OnDemandStreamCountLimit: 50})
	return fake
}

func run(t *testing.T, fake *fakeaws.Server, kind string, overrides ...string) preflight.Report {
	t.Helper()
	cfg := checktest.Config(t, "prod", append([]string{realURL}, overrides...)...)
	return preflight.Run(context.Background(), preflight.Options{Config: cfg, Kind: kind, AWS: checktest.AWS(fake)})
}

func statuses(r preflight.Report) map[string]preflight.Check {
	out := map[string]preflight.Check{}
	for _, c := range r.Checks {
		out[c.Name] = c
	}
	return out
}

func TestHealthyAccountPasses(t *testing.T) {
	for _, kind := range config.StackKinds {
		t.Run(kind, func(t *testing.T) {
			r := run(t, healthy(t), kind)
			want := []string{preflight.CheckIdentity, preflight.CheckBootstrap, preflight.CheckStack, preflight.CheckSecret,
				preflight.CheckKMSKey, preflight.CheckAPIURL, preflight.CheckConcurrency, preflight.CheckRules}
			if kind == config.KindKinesis {
				want = append(want, preflight.CheckShards)
			}
			want = append(want, preflight.CheckDrift)
			var got []string
			for _, c := range r.Checks {
				got = append(got, c.Name)
				if c.Status != preflight.OK {
					t.Errorf("%s: %s %s", c.Name, c.Status, c.Detail)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("checks %v, want %v", got, want)
			}
			if !r.OK || r.Account != "111122223333" || r.Region != checktest.Region {
				t.Errorf("report ok=%v account=%s region=%s", r.OK, r.Account, r.Region)
			}
		})
	}
}

// Each case breaks one thing in a healthy account; exactly that check
// reports it, with a message that says what to do.
func TestEachCheckFails(t *testing.T) {
	tests := []struct {
		name      string
		kind      string
		overrides []string
		breakIt   func(*fakeaws.Server)
		check     string
		status    preflight.Status
		detail    string
	}{
		{name: "other account", overrides: []string{"account=999999999999"},
			check: preflight.CheckIdentity, status: preflight.Fail, detail: "pins account 999999999999"},
		{name: "not bootstrapped", breakIt: func(f *fakeaws.Server) { f.DeleteStack(preflight.ToolkitStackName) },
			check: preflight.CheckBootstrap, detail: "npx cdk bootstrap aws://111122223333/eu-west-1"},
		{name: "old bootstrap", breakIt: func(f *fakeaws.Server) {
			f.PutStack(fakeaws.Stack{Name: preflight.ToolkitStackName, Outputs: map[string]string{"BootstrapVersion": "5"}})
		}, check: preflight.CheckBootstrap, detail: `BootstrapVersion "5"`},
		{name: "failed first deploy", breakIt: func(f *fakeaws.Server) {
			f.PutStack(fakeaws.Stack{Name: "orderly-prod-kinesis", Status: "ROLLBACK_COMPLETE"})
		}, check: preflight.CheckStack, detail: "npx cdk destroy KinesisStack -c env=prod"},
		{name: "secret missing", overrides: []string{"function.apiKeySecret=orderly/prod/other"},
			check: preflight.CheckSecret, detail: "aws secretsmanager create-secret --name orderly/prod/other"},
		{name: "secret unreadable", breakIt: func(f *fakeaws.Server) {
			f.PutSecret(fakeaws.Secret{Name: secretID, Value: `{"apiKey":"k"}`, Unreadable: true})
		}, check: preflight.CheckSecret, detail: "cannot read it (AccessDeniedException)"},
		{name: "secret shape", breakIt: func(f *fakeaws.Server) {
			f.PutSecret(fakeaws.Secret{Name: secretID, Value: `{"key":"s3cr3t-value"}`})
		}, check: preflight.CheckSecret, detail: `without a non-empty "apiKey"`},
		{name: "secret customer key not configured", breakIt: func(f *fakeaws.Server) {
			f.PutKMSKey(fakeaws.KMSKey{ARN: secretKeyArn})
			f.PutSecret(fakeaws.Secret{Name: secretID, Value: "k", KMSKeyID: secretKeyArn})
		}, check: preflight.CheckSecret, detail: `set function.apiKeySecretKmsKey = "` + secretKeyArn + `"`},
		{name: "secret customer key other than configured", overrides: []string{"function.apiKeySecretKmsKey=" + keyArn}, breakIt: func(f *fakeaws.Server) {
			f.PutKMSKey(fakeaws.KMSKey{ARN: secretKeyArn})
			f.PutSecret(fakeaws.Secret{Name: secretID, Value: "k", KMSKeyID: secretKeyArn})
		}, check: preflight.CheckSecret, detail: "but function.apiKeySecretKmsKey = " + keyArn},
		{name: "secret customer key disabled", overrides: []string{"function.apiKeySecretKmsKey=" + secretKeyArn}, breakIt: func(f *fakeaws.Server) {
			f.PutKMSKey(fakeaws.KMSKey{ARN: secretKeyArn, State: "Disabled"})
			f.PutSecret(fakeaws.Secret{Name: secretID, Value: "k", KMSKeyID: secretKeyArn})
		}, check: preflight.CheckSecret, detail: "is Disabled"},
		{name: "secret customer key without IAM delegation", overrides: []string{"function.apiKeySecretKmsKey=" + secretKeyArn}, breakIt: func(f *fakeaws.Server) {
			f.PutKMSKey(fakeaws.KMSKey{ARN: secretKeyArn, Policy: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/admin"},"Action":"kms:*","Resource":"*"}]}`})
			f.PutSecret(fakeaws.Secret{Name: secretID, Value: "k", KMSKeyID: secretKeyArn})
		}, check: preflight.CheckSecret, detail: "lacks OrderlyAccountIAMPolicies (arn:aws:iam::111122223333:root: kms:Decrypt"},
		{name: "secret key configured, secret on the AWS-managed key", overrides: []string{"function.apiKeySecretKmsKey=" + secretKeyArn},
			check: preflight.CheckSecret, status: preflight.Warn, detail: "uses aws/secretsmanager"},
		{name: "imported key missing", overrides: []string{"encryption.kmsKey=" + keyArn},
			check: preflight.CheckKMSKey, detail: "does not exist in 111122223333/eu-west-1"},
		{name: "imported key disabled", overrides: []string{"encryption.kmsKey=" + keyArn}, breakIt: func(f *fakeaws.Server) {
			f.PutKMSKey(fakeaws.KMSKey{ARN: keyArn, State: "Disabled", Policy: documentedPolicy("orderly-prod")})
		}, check: preflight.CheckKMSKey, detail: "is Disabled: every write to the stores would fail"},
		{name: "imported key asymmetric", overrides: []string{"encryption.kmsKey=" + keyArn}, breakIt: func(f *fakeaws.Server) {
			f.PutKMSKey(fakeaws.KMSKey{ARN: keyArn, Spec: "RSA_2048", Policy: documentedPolicy("orderly-prod")})
		}, check: preflight.CheckKMSKey, detail: "symmetric encryption key"},
		{name: "imported key policy without EventBridge", overrides: []string{"encryption.kmsKey=" + keyArn}, breakIt: func(f *fakeaws.Server) {
			f.PutKMSKey(fakeaws.KMSKey{ARN: keyArn, Policy: documentedPolicy("orderly-prod", keypolicy.SidEventBridgeQueues)})
		}, check: preflight.CheckKMSKey, detail: "lacks OrderlyEventBridgeEncryptedQueues (events.amazonaws.com: kms:Decrypt, kms:GenerateDataKey"},
		{name: "imported key policy for another bus", kind: config.KindFifo, overrides: []string{"encryption.kmsKey=" + keyArn}, breakIt: func(f *fakeaws.Server) {
			f.PutKMSKey(fakeaws.KMSKey{ARN: keyArn, Policy: documentedPolicy("orderly-staging")})
		}, check: preflight.CheckKMSKey, detail: "lacks OrderlyEventBridgeBusAndArchive"},
		{name: "imported key policy unreadable", overrides: []string{"encryption.kmsKey=" + keyArn}, breakIt: func(f *fakeaws.Server) {
			f.PutKMSKey(fakeaws.KMSKey{ARN: keyArn, PolicyUnreadable: true})
		}, check: preflight.CheckKMSKey, status: preflight.Warn, detail: "cannot be read (AccessDeniedException; kms:GetKeyPolicy)"},
		{name: "example url", overrides: []string{"function.apiBaseUrl=https://schedule.example.com"},
			check: preflight.CheckAPIURL, detail: "example host"},
		{name: "concurrency", breakIt: func(f *fakeaws.Server) {
			f.SetLambdaAccount(fakeaws.LambdaAccount{ConcurrentExecutions: 120, UnreservedConcurrentExecutions: 110})
		}, check: preflight.CheckConcurrency, detail: "at most 10 can be reserved"},
		{name: "bus name taken", breakIt: func(f *fakeaws.Server) { f.AddBus("orderly-prod") },
			check: preflight.CheckRules, detail: "already exists"},
		{name: "imported bus missing", overrides: []string{"bus.existing=team-bus"},
			check: preflight.CheckRules, detail: `bus.existing = "team-bus": no such event bus`},
		{name: "rule quota", kind: config.KindFifo, overrides: []string{"fifo.messageGroups=4", "bus.existing=team-bus"},
			breakIt: func(f *fakeaws.Server) { f.AddBus("team-bus", names("team-rule", 296)...) },
			check:   preflight.CheckRules, detail: "296 rules already + 5 the stack adds = 301"},
		{name: "shard quota", breakIt: func(f *fakeaws.Server) {
			f.SetKinesisLimits(fakeaws.KinesisLimits{ShardLimit: 10, OpenShardCount: 8})
		}, check: preflight.CheckShards, detail: "at most 2 more"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := healthy(t)
			if tc.breakIt != nil {
				tc.breakIt(fake)
			}
			if tc.kind == "" {
				tc.kind = config.KindKinesis
			}
			if tc.status == "" {
				tc.status = preflight.Fail
			}
			r := run(t, fake, tc.kind, tc.overrides...)
			for _, c := range r.Checks {
				if c.Name == tc.check {
					if c.Status != tc.status || !strings.Contains(c.Detail, tc.detail) {
						t.Errorf("%s: %s %q, want %s containing %q", c.Name, c.Status, c.Detail, tc.status, tc.detail)
					}
				} else if c.Status != preflight.OK {
					t.Errorf("unrelated check %s: %s %s", c.Name, c.Status, c.Detail)
				}
			}
			if _, ok := statuses(r)[tc.check]; !ok {
				t.Fatalf("no %s check in %+v", tc.check, r.Checks)
			}
			if r.OK != (tc.status != preflight.Fail) {
				t.Errorf("report ok = %v with %s %s", r.OK, tc.check, tc.status)
			}
			var text bytes.Buffer
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(text.String(), "s3cr3t-value") {
				t.Error("the report prints the secret's value")
			}
		})
	}
}

// An update: the stack's own reservation, shards and rules are already in
// the account's figures and must not be counted twice.
func TestUpdateCountsTheStackOnce(t *testing.T) {
	fake := healthy(t)
	d, dir := deploy(t, fake, "prod/KinesisStack.json", config.KindKinesis)
	fn, stream := d.Physical[logicalID(t, d, "AWS::Lambda::Function")], d.Physical[logicalID(t, d, "AWS::Kinesis::Stream")]
	st := stackOf(t, fake, "orderly-prod-kinesis")
	st.Status = "UPDATE_COMPLETE"
	st.Outputs = map[string]string{outputs.FunctionName: fn, outputs.StreamName: stream}
	fake.PutStack(st)
	fake.SetLambdaAccount(fakeaws.LambdaAccount{ConcurrentExecutions: 140, UnreservedConcurrentExecutions: 120})
	fake.SetReservedConcurrency(fn, 20)
	fake.SetKinesisLimits(fakeaws.KinesisLimits{ShardLimit: 10, OpenShardCount: 10})
	fake.AddBus("team-bus", append(names("team-rule", 260), "orderly-prod-kinesis-IngressRule-ABC")...)

	r := runWith(t, fake, config.KindKinesis, dir, "bus.existing=team-bus")
	for _, c := range r.Checks {
		if c.Status != preflight.OK {
			t.Errorf("%s: %s %s", c.Name, c.Status, c.Detail)
		}
	}
	if got := statuses(r)[preflight.CheckRules].Detail; !strings.Contains(got, "260 + 1 = 261") {
		t.Errorf("rules: %s", got)
	}
}

func TestNoRegionStopsBeforeAnyCall(t *testing.T) {
	fake := healthy(t)
	aws := checktest.AWS(fake)
	aws.Region = ""
	r := preflight.Run(context.Background(), preflight.Options{Config: checktest.Config(t, "prod", realURL), Kind: config.KindKinesis, AWS: aws})
	if r.OK || len(r.Checks) != 1 || r.Checks[0].Name != preflight.CheckIdentity || !strings.Contains(r.Checks[0].Detail, "no AWS region") {
		t.Errorf("checks %+v: want one failed identity check naming the missing region", r.Checks)
	}
	if got := fake.Requests(); len(got) != 0 {
		t.Errorf("requests %v: want none", got)
	}
}

func TestJSONReport(t *testing.T) {
	r := run(t, healthy(t), config.KindKinesis, "function.apiBaseUrl=https://x.example.org")
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back preflight.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.OK || statuses(back)[preflight.CheckAPIURL].Status != preflight.Fail || back.Stack != "orderly-prod-kinesis" {
		t.Errorf("JSON report %s", buf.String())
	}
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

const (
	keyArn       = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	secretKeyArn = "arn:aws:kms:eu-west-1:111122223333:key/00000000-1111-2222-3333-444444444444"
)

// documentedPolicy is KMS's default key policy plus the statements
// docs/operations.md tells the owner of an imported key to add, filled in
// for bus, less the statements without names. It panics on a broken docs
// page: the test cases are built before any test runs.
func documentedPolicy(bus string, without ...string) string {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "operations.md"))
	if err != nil {
		panic(err)
	}
	doc := string(data)
	const start, end = "<!-- key-policy:start -->\n```json\n", "```\n<!-- key-policy:end -->"
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		panic("docs/operations.md prints no key policy statements")
	}
	filled := strings.NewReplacer("<region>", checktest.Region, "<account>", "111122223333", "<bus name>", bus).Replace(doc[i+len(start) : j])
	var added struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(filled), &added); err != nil {
		panic(err)
	}
	var policy struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(fakeaws.DefaultKeyPolicy("111122223333")), &policy); err != nil {
		panic(err)
	}
	for _, s := range added.Statement {
		if !slices.Contains(without, s["Sid"].(string)) {
			policy.Statement = append(policy.Statement, s)
		}
	}
	b, err := json.Marshal(policy)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// With a key: created, or imported with the documented statements (for
// the stack's own bus, or for an imported bus), and a secret on a key of
// its own, every check passes.
func TestCustomerManagedKeysPass(t *testing.T) {
	tests := []struct {
		name      string
		kind      string
		overrides []string
	}{
		{"created", config.KindKinesis, []string{"encryption.kmsKey=create"}},
		{"imported", config.KindKinesis, []string{"encryption.kmsKey=" + keyArn}},
		{"imported, per-key FIFO", config.KindFifo, []string{"encryption.kmsKey=" + keyArn, "fifo.messageGroups=per-key", "fifo.maxConcurrency=20"}},
		{"imported, with the secret on its own key", config.KindKinesis, []string{"encryption.kmsKey=" + keyArn, "function.apiKeySecretKmsKey=" + secretKeyArn}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := healthy(t)
			fake.PutKMSKey(fakeaws.KMSKey{ARN: keyArn, Policy: documentedPolicy("orderly-prod")})
			if slices.Contains(tc.overrides, "function.apiKeySecretKmsKey="+secretKeyArn) {
				fake.PutKMSKey(fakeaws.KMSKey{ARN: secretKeyArn})
				fake.PutSecret(fakeaws.Secret{Name: secretID, Value: `{"apiKey":"k-123"}`, KMSKeyID: secretKeyArn})
			}
			r := run(t, fake, tc.kind, tc.overrides...)
			for _, c := range r.Checks {
				if c.Status != preflight.OK {
					t.Errorf("%s: %s %s", c.Name, c.Status, c.Detail)
				}
			}
			if got := statuses(r)[preflight.CheckKMSKey]; !strings.Contains(got.Detail, "encryption.kmsKey") {
				t.Errorf("kms-key: %s", got.Detail)
			}
		})
	}
}
