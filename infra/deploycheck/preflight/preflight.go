package preflight

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/awsenv"
)

// Check names, as printed.
const (
	CheckIdentity    = "identity"
	CheckBootstrap   = "bootstrap"
	CheckStack       = "stack"
	CheckSecret      = "api-key-secret"
	CheckAPIURL      = "api-base-url"
	CheckConcurrency = "reserved-concurrency"
	CheckRules       = "event-bus-rules"
	CheckShards      = "kinesis-shards"
	CheckKMSKey      = "kms-key"
	CheckDrift       = "drift"
)

// Options select what to check.
type Options struct {
	// Config is the resolved environment. Required.
	Config config.Config
	// Kind is config.KindKinesis or config.KindFifo. Required.
	Kind string
	// AWS is the configuration with credentials already checked (see
	// awsenv.Load); its region is the one the stacks deploy to.
	AWS aws.Config
	// Assembly is the cloud assembly synthesized for this environment: on
	// an update, the drift check compares the deployed stack's ordering
	// settings with its template. Default deploycheck.DefaultAssembly.
	Assembly string
}

// Run performs every check and returns the report; it never writes to AWS.
func Run(ctx context.Context, o Options) Report {
	r := Report{Env: o.Config.Env, Stack: o.Config.StackName(o.Kind), Region: o.AWS.Region}
	run(ctx, &r, o)
	r.finish()
	return r
}

func run(ctx context.Context, r *Report, o Options) {
	c := o.Config

	if r.Region == "" {
		r.add(CheckIdentity, Fail, "no AWS region: set AWS_REGION (or the profile's region), or pin \"region\" in the environment's block")
		return
	}
	id, err := sts.NewFromConfig(o.AWS).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		// Every later call would fail the same way.
		r.add(CheckIdentity, Fail, "cannot resolve the account: %s", awsenv.Describe(err))
		return
	}
	r.Account = aws.ToString(id.Account)
	if !identityOK(r, c, aws.ToString(id.Arn)) {
		return
	}
	cfn := cloudformation.NewFromConfig(o.AWS)
	checkBootstrap(ctx, r, cfn)
	deployed := checkStack(ctx, r, cfn, c, o.Kind)
	stackOK := r.Checks[len(r.Checks)-1].Status == OK
	checkSecret(ctx, r, o.AWS, c)
	checkKMSKey(ctx, r, o.AWS, c, o.Kind)
	checkAPIURL(r, c.Function.APIBaseURL)
	checkConcurrency(ctx, r, o.AWS, c, deployed)
	checkRules(ctx, r, o.AWS, c, o.Kind, deployed)
	if o.Kind == config.KindKinesis {
		checkShards(ctx, r, o.AWS, c, deployed)
	}
	if stackOK {
		checkDrift(ctx, r, o, deployed != nil)
	}
}

func identityOK(r *Report, c config.Config, arn string) bool {
	switch {
	case c.Account != "" && c.Account != r.Account:
		r.add(CheckIdentity, Fail, "credentials are for account %s (%s), but environment %s pins account %s: use that account's credentials", r.Account, arn, c.Env, c.Account)
	default:
		r.add(CheckIdentity, OK, "account %s, region %s, as %s", r.Account, r.Region, arn)
		return true
	}
	return false
}

// ToolkitStackName is the bootstrap stack `cdk bootstrap` creates (default qualifier).
const ToolkitStackName = "CDKToolkit"

// MinBootstrapVersion is the bootstrap version the synthesized templates
// assert (their CheckBootstrapVersion rule); a test in package test reads
// it from the templates.
const MinBootstrapVersion = 6

func checkBootstrap(ctx context.Context, r *Report, cfn *cloudformation.Client) {
	bootstrap := fmt.Sprintf("npx cdk bootstrap aws://%s/%s", r.Account, r.Region)
	st, err := describeStack(ctx, cfn, ToolkitStackName)
	switch {
	case err != nil:
		r.add(CheckBootstrap, Fail, "cannot read stack %s: %s", ToolkitStackName, awsenv.Describe(err))
		return
	case st == nil:
		r.add(CheckBootstrap, Fail, "stack %s does not exist: the stacks publish a file asset, so run `%s` once per account and region", ToolkitStackName, bootstrap)
		return
	case !stable(st.StackStatus):
		r.add(CheckBootstrap, Fail, "stack %s is %s: fix or delete it, then run `%s`", ToolkitStackName, st.StackStatus, bootstrap)
		return
	}
	raw := outputsOf(st)["BootstrapVersion"]
	v, err := strconv.Atoi(raw)
	if err != nil || v < MinBootstrapVersion {
		r.add(CheckBootstrap, Fail, "stack %s has BootstrapVersion %q, the templates need %d or later: run `%s`", ToolkitStackName, raw, MinBootstrapVersion, bootstrap)
		return
	}
	r.add(CheckBootstrap, OK, "%s version %d (need %d or later)", ToolkitStackName, v, MinBootstrapVersion)
}

// checkStack reports whether the stack exists already (an update) and
// fails when CloudFormation would refuse to update it.
func checkStack(ctx context.Context, r *Report, cfn *cloudformation.Client, c config.Config, kind string) map[string]string {
	name := c.StackName(kind)
	st, err := describeStack(ctx, cfn, name)
	switch {
	case err != nil:
		r.add(CheckStack, Fail, "cannot read stack %s: %s", name, awsenv.Describe(err))
	case st == nil:
		r.add(CheckStack, OK, "%s is not deployed yet: first deploy", name)
	case st.StackStatus == cfntypes.StackStatusRollbackComplete:
		r.add(CheckStack, Fail, "%s is ROLLBACK_COMPLETE (a failed first deploy) and cannot be updated: delete it with `npx cdk destroy %s -c env=%s`", name, config.StackID(kind), c.Env)
	case !stable(st.StackStatus):
		r.add(CheckStack, Fail, "%s is %s: wait for it to settle or fix it before deploying", name, st.StackStatus)
	default:
		r.add(CheckStack, OK, "%s is %s: this deploy is an update", name, st.StackStatus)
		return outputsOf(st)
	}
	return nil
}

// describeStack returns nil, nil when the stack does not exist.
func describeStack(ctx context.Context, cfn *cloudformation.Client, name string) (*cfntypes.Stack, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if awsenv.ErrorCode(err) == "ValidationError" && strings.Contains(err.Error(), "does not exist") {
			return nil, nil
		}
		return nil, err
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	return &out.Stacks[0], nil
}

// stable is a status from which CloudFormation accepts an update.
func stable(s cfntypes.StackStatus) bool {
	switch s {
	case cfntypes.StackStatusCreateComplete, cfntypes.StackStatusUpdateComplete,
		cfntypes.StackStatusUpdateRollbackComplete, cfntypes.StackStatusImportComplete:
		return true
	}
	return false
}

func outputsOf(st *cfntypes.Stack) map[string]string {
	out := map[string]string{}
	for _, o := range st.Outputs {
		out[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return out
}

// exampleDomains are reserved for documentation (RFC 2606, RFC 6761): a
// URL on them is a placeholder left from cdk.json.
var exampleDomains = []string{"example.com", "example.net", "example.org", "example", "test", "invalid", "localhost"}

func checkAPIURL(r *Report, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		r.add(CheckAPIURL, Fail, "function.apiBaseUrl %q is not a URL", raw)
		return
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range exampleDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			r.add(CheckAPIURL, Fail, "function.apiBaseUrl %q is an example host (%s): set the real schedule API in the environment's block of cdk.json", raw, d)
			return
		}
	}
	r.add(CheckAPIURL, OK, "%s", raw)
}

// deployedOutput is a helper for the checks that add back what the
// deployed stack already holds.
func deployedOutput(deployed map[string]string, key string) string {
	if deployed == nil {
		return ""
	}
	return deployed[key]
}
