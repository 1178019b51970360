package relay

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
)

// OnFailureMetricsID is the id of the bucket's S3 request-metrics
// configuration: the FilterId dimension of its PutRequests metric.
const OnFailureMetricsID = "OnFailureObjects"

// OnFailureBucketProps configures NewOnFailureBucket.
type OnFailureBucketProps struct {
	// ExpirationDays after which S3 deletes an object. Default
	// defaults.OnFailureExpirationDays (14).
	ExpirationDays int
	// RemovalPolicy. Default defaults.RemovalPolicy (RETAIN). A bucket that
	// still holds objects cannot be deleted by CloudFormation: empty it
	// (after a redrive) first.
	RemovalPolicy awscdk.RemovalPolicy
	// EncryptionKey encrypts the objects (SSE-KMS with an S3 Bucket Key,
	// which spares most KMS requests). Default nil: S3-managed keys. The
	// writer needs keyObjectWriter on it (KinesisRelay grants the consumer).
	EncryptionKey awskms.IKey
}

// NewOnFailureBucket creates the Kinesis on-failure destination: S3-managed
// encryption (or EncryptionKey), TLS-only, every public access blocked,
// objects expiring after ExpirationDays, and request metrics over the whole
// bucket so that an alarm can fire on the first object written.
func NewOnFailureBucket(scope constructs.Construct, id string, props OnFailureBucketProps) awss3.Bucket {
	if props.ExpirationDays == 0 {
		props.ExpirationDays = defaults.OnFailureExpirationDays
	}
	if props.RemovalPolicy == "" {
		props.RemovalPolicy = defaultRemovalPolicy()
	}
	bucket := awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("ExpireDiscardedBatches"),
			Expiration: awscdk.Duration_Days(jsii.Number(float64(props.ExpirationDays))),
		}},
		Metrics:       &[]*awss3.BucketMetrics{{Id: jsii.String(OnFailureMetricsID)}},
		RemovalPolicy: props.RemovalPolicy,
	})
	if props.EncryptionKey != nil {
		// On the resource, not the construct: see grantKey.
		bucket.Node().DefaultChild().(awss3.CfnBucket).SetBucketEncryption(&awss3.CfnBucket_BucketEncryptionProperty{
			ServerSideEncryptionConfiguration: &[]any{&awss3.CfnBucket_ServerSideEncryptionRuleProperty{
				ServerSideEncryptionByDefault: &awss3.CfnBucket_ServerSideEncryptionByDefaultProperty{
					SseAlgorithm:   jsii.String("aws:kms"),
					KmsMasterKeyId: props.EncryptionKey.KeyArn(),
				},
				BucketKeyEnabled: jsii.Bool(true),
			}},
		})
	}
	suppress(bucket, "AwsSolutions-S1",
		"The bucket holds only the invocation records Lambda writes for discarded Kinesis batches; its PutRequests metric is alarmed on any write, and the Lambda and CloudTrail records show who wrote. An access-log bucket would add a second bucket to secure for no further signal.")
	return bucket
}

// markOnFailureGrant suppresses exactly the wildcard findings of the grant
// that awslambdaeventsources.S3OnFailureDestination gives the consumer's
// role: read and write on this one bucket (its objects included), which
// Lambda uses to write the invocation records as the function's role.
func markOnFailureGrant(role awsiam.IRole, bucket awss3.Bucket) {
	stack := awscdk.Stack_Of(bucket)
	id := fmt.Sprint(stack.Resolve(stack.GetLogicalId(bucket.Node().DefaultChild().(awscdk.CfnElement))))
	findings := []string{"Resource::<" + id + ".Arn>/*"}
	for _, action := range []string{"Abort*", "DeleteObject*", "GetBucket*", "GetObject*", "List*"} {
		findings = append(findings, "Action::s3:"+action)
	}
	suppress(role.Node().FindChild(jsii.String("DefaultPolicy")), "AwsSolutions-IAM5",
		"The Kinesis S3 on-failure destination (CDK's S3OnFailureDestination) grants the consumer read and write on the on-failure bucket and its objects only; Lambda writes the discarded batches' invocation records with the function's role.",
		findings...)
}
