package relay

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/keypolicy"
)

// What each use of the key needs, as AWS documents it. The constructs set
// the key on the CloudFormation resources rather than hand it to CDK's
// queue, stream and bucket constructs: their grants would give every sender
// kms:Encrypt, kms:ReEncrypt* and kms:GenerateDataKey* as well. Each
// construct grants instead exactly what the principals it wires use.
var (
	// A reader of an encrypted queue or stream (an event source mapping,
	// the pipe).
	keyReader = []string{"kms:Decrypt"}
	// A sender to an encrypted queue.
	keyQueueSender = []string{"kms:GenerateDataKey", "kms:Decrypt"}
	// A producer to an encrypted stream.
	keyStreamWriter = []string{"kms:GenerateDataKey"}
	// A writer of objects to a bucket encrypted with SSE-KMS (Lambda's
	// on-failure destination writes as the function's role).
	keyObjectWriter = []string{"kms:GenerateDataKey"}
)

// grantKey grants grantee actions on key, in its IAM policy: the key's
// policy (a created key's default one, or an imported key's statement
// keypolicy.AccountIAM) lets the account's IAM policies decide. Nothing
// happens without a key.
func grantKey(key awskms.IKey, grantee awsiam.IGrantable, actions []string) {
	if key == nil {
		return
	}
	key.Grant(grantee, *jsii.Strings(actions...)...)
}

// addKeyPolicy adds the statements for the services that use key as
// themselves. A created key takes them; an imported key's policy is its
// owner's, who adds them (docs/operations.md) and whom preflight checks.
func addKeyPolicy(key awskms.IKey, statements []keypolicy.Statement) {
	for _, s := range statements {
		var principal awsiam.IPrincipal
		if s.Principal.Service != "" {
			principal = awsiam.NewServicePrincipal(jsii.String(s.Principal.Service), nil)
		} else {
			principal = awsiam.NewArnPrincipal(jsii.String(s.Principal.AWS))
		}
		props := &awsiam.PolicyStatementProps{
			Sid:        jsii.String(s.Sid),
			Principals: &[]awsiam.IPrincipal{principal},
			Actions:    jsii.Strings(s.Actions...),
			Resources:  jsii.Strings("*"),
		}
		if len(s.Condition) > 0 {
			conditions := map[string]any{}
			for op, kv := range s.Condition {
				conditions[op] = kv
			}
			props.Conditions = &conditions
		}
		key.AddToResourcePolicy(awsiam.NewPolicyStatement(props), jsii.Bool(true))
	}
}

// keyWhere is keypolicy.Where for the stack of scope, in CloudFormation's
// pseudo parameters, so an environment-agnostic stack gets it right too.
func keyWhere(stack awscdk.Stack, busName string, archive bool) keypolicy.Where {
	return keypolicy.Where{
		Partition: *awscdk.Aws_PARTITION(),
		Region:    *awscdk.Aws_REGION(),
		Account:   *awscdk.Aws_ACCOUNT_ID(),
		StackName: *stack.StackName(),
		BusName:   busName,
		Archive:   archive,
	}
}
