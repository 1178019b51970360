package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/awsenv"
	"github.com/orderly-dev/orderly/infra/keypolicy"
)

// keyPolicyDocs is where the required statements are printed.
const keyPolicyDocs = "docs/operations.md, Customer managed key"

// checkKMSKey checks the key encryption.kmsKey names: one the stack will
// create needs nothing of the account; an imported one must exist in the
// stack's account and region, be an enabled symmetric encryption key, and
// have a policy that holds keypolicy.Required.
func checkKMSKey(ctx context.Context, r *Report, cfg aws.Config, c config.Config, kind string) {
	e := c.Encryption
	switch {
	case !e.Enabled():
		r.add(CheckKMSKey, OK, "encryption.kmsKey is empty: AWS owned and managed keys, no key policy to check")
		return
	case e.CreatesKey():
		r.add(CheckKMSKey, OK, "encryption.kmsKey = create: the stack creates its key (rotated yearly, removal policy %s) with the statements its services need", c.RemovalPolicy)
		return
	}
	arn := e.ImportedKeyARN()
	client := kms.NewFromConfig(cfg)
	meta, problem := usableKey(ctx, client, r, "encryption.kmsKey", arn, true)
	if problem != "" {
		r.add(CheckKMSKey, Fail, "%s", problem)
		return
	}
	where := keypolicy.Where{
		Partition: strings.SplitN(aws.ToString(meta.Arn), ":", 3)[1],
		Region:    r.Region, Account: r.Account, StackName: c.StackName(kind),
	}
	if c.Bus.Existing == "" {
		where.BusName, where.Archive = c.Bus.Name, c.Bus.ArchiveRetentionDays > 0
	}
	status, detail := checkKeyPolicy(ctx, client, arn, keypolicy.Required(where, true))
	r.add(CheckKMSKey, status, "encryption.kmsKey = %s: %s", arn, detail)
}

// checkSecretKey checks the key that encrypts the API key secret (its
// DescribeSecret KmsKeyId, "" for aws/secretsmanager) against
// function.apiKeySecretKmsKey, and that the consumer's IAM grant on it can
// count. It returns "" when all is well, or a status and the detail.
func checkSecretKey(ctx context.Context, r *Report, cfg aws.Config, c config.Config, secretID, secretKey string) (Status, string) {
	configured := c.Function.APIKeySecretKMSKey
	if secretKey == "" || strings.HasSuffix(secretKey, "alias/aws/secretsmanager") {
		if configured != "" {
			return Warn, fmt.Sprintf("secret %s uses aws/secretsmanager, but function.apiKeySecretKmsKey = %s grants the consumer kms:Decrypt on a key it does not use: clear the key", secretID, configured)
		}
		return "", ""
	}
	client := kms.NewFromConfig(cfg)
	// The secret names its key as an ARN, an id or an alias: DescribeKey
	// gives the ARN the grant names.
	// A secret may be another account's; its key is in the secret's region.
	meta, problem := usableKey(ctx, client, r, "the secret's key", secretKey, false)
	if problem != "" {
		return Fail, fmt.Sprintf("secret %s is encrypted with %s: %s", secretID, secretKey, problem)
	}
	arn := aws.ToString(meta.Arn)
	switch {
	case configured == "":
		return Fail, fmt.Sprintf("secret %s is encrypted with customer managed key %s: set function.apiKeySecretKmsKey = %q so the consumer's role is granted kms:Decrypt on it, or the consumer cannot read its API key", secretID, arn, arn)
	case configured != arn:
		return Fail, fmt.Sprintf("secret %s is encrypted with %s, but function.apiKeySecretKmsKey = %s: set it to the secret's key", secretID, arn, configured)
	}
	// The consumer's grant is an IAM one, which counts only where the key
	// policy lets the account's IAM policies decide.
	where := keypolicy.Where{Partition: strings.SplitN(arn, ":", 3)[1], Account: r.Account}
	delegation := keypolicy.AccountIAM(where)
	delegation.Actions = []string{"kms:Decrypt"}
	delegation.Why = "the consumer's role reads the secret through its IAM policy"
	status, detail := checkKeyPolicy(ctx, client, arn, []keypolicy.Statement{delegation})
	if status == OK {
		return "", ""
	}
	return status, fmt.Sprintf("secret %s is encrypted with %s: %s", secretID, arn, detail)
}

// usableKey describes a key and says what makes it unusable: missing,
// unreadable, of another region (or, with sameAccount, account), not
// enabled, or not a symmetric encryption key.
func usableKey(ctx context.Context, client *kms.Client, r *Report, what, id string, sameAccount bool) (*kmstypes.KeyMetadata, string) {
	out, err := client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	switch {
	case awsenv.ErrorCode(err) == "NotFoundException":
		return nil, fmt.Sprintf("%s %s does not exist in %s/%s, or this identity may not see it: correct the ARN or create the key there", what, id, r.Account, r.Region)
	case err != nil:
		return nil, fmt.Sprintf("cannot describe %s %s (this identity needs kms:DescribeKey): %s", what, id, awsenv.Describe(err))
	}
	meta := out.KeyMetadata
	arn := aws.ToString(meta.Arn)
	parts := strings.SplitN(arn, ":", 6)
	switch {
	case len(parts) < 6:
		return nil, fmt.Sprintf("%s %s: KMS answered the ARN %q", what, id, arn)
	case parts[3] != r.Region:
		return nil, fmt.Sprintf("%s %s is in region %s, but the stack deploys to %s: use a key of %s", what, arn, parts[3], r.Region, r.Region)
	case parts[4] != r.Account && sameAccount:
		return nil, fmt.Sprintf("%s %s is in account %s, but the stack deploys to %s: the stacks derive no cross-account grants; use a key of %s, or create", what, arn, parts[4], r.Account, r.Account)
	case meta.KeyState != kmstypes.KeyStateEnabled:
		return nil, fmt.Sprintf("%s %s is %s: every write to the stores would fail; enable it (aws kms enable-key --key-id %s) or choose another key", what, arn, meta.KeyState, arn)
	case meta.KeySpec != kmstypes.KeySpecSymmetricDefault || meta.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt:
		return nil, fmt.Sprintf("%s %s is a %s key for %s: SQS, Kinesis, EventBridge, S3 and CloudWatch Logs encrypt only with a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)", what, arn, meta.KeySpec, meta.KeyUsage)
	}
	return meta, ""
}

// checkKeyPolicy reads the key's policy and checks it holds required.
func checkKeyPolicy(ctx context.Context, client *kms.Client, arn string, required []keypolicy.Statement) (Status, string) {
	out, err := client.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(arn), PolicyName: aws.String("default")})
	if err != nil {
		return Warn, fmt.Sprintf("enabled, but its policy cannot be read (%s; kms:GetKeyPolicy): check by hand that it holds the statements in %s", awsenv.ErrorCode(err), keyPolicyDocs)
	}
	results, err := keypolicy.Check(aws.ToString(out.Policy), arn, required)
	if err != nil {
		return Fail, fmt.Sprintf("its policy cannot be evaluated: %v", err)
	}
	var fails, warns []string
	for _, res := range results {
		st := res.Statement
		who := st.Principal.Service
		if who == "" {
			who = st.Principal.AWS
		}
		line := fmt.Sprintf("%s (%s: %s, for %s)", st.Sid, who, strings.Join(res.Actions, ", "), st.Why)
		switch res.Verdict {
		case keypolicy.Missing:
			fails = append(fails, "lacks "+line)
		case keypolicy.Denied:
			fails = append(fails, "denies "+line+": "+res.Detail)
		case keypolicy.Unverifiable:
			warns = append(warns, "may not allow "+line+": "+res.Detail)
		}
	}
	switch {
	case len(fails) > 0:
		return Fail, "the key policy " + strings.Join(append(fails, warns...), "; ") + "; add the statements in " + keyPolicyDocs
	case len(warns) > 0:
		return Warn, "the key policy " + strings.Join(warns, "; ") + "; compare it with " + keyPolicyDocs
	}
	return OK, fmt.Sprintf("enabled, symmetric, and its policy allows all %d required statements", len(required))
}
