// Package awsenv loads the AWS configuration the deploy tools share, and
// proves that credentials resolve before any service is called.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/orderly-dev/orderly/lambda/sdkhttp"
)

// ErrNoCredentials is returned when the default credential chain yields no
// credentials; nothing but the chain itself was consulted.
var ErrNoCredentials = errors.New("no AWS credentials found")

// Load reads the default configuration (environment, shared files, SSO,
// container and instance roles) and retrieves credentials once. region, when
// not empty, replaces the configured region: a stack pinned to a region
// deploys there whatever the profile says. Endpoint overrides come from
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, as the SDK reads them.
func Load(ctx context.Context, region string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	// After loading, so that the SDK still builds its own client (custom
	// CA bundles need that) and the guard wraps whatever it built.
	cfg.HTTPClient = sdkhttp.Guard(cfg.HTTPClient)
	if err := CheckCredentials(ctx, cfg); err != nil {
		return aws.Config{}, err
	}
	return cfg, nil
}

// CheckCredentials asks the configured provider for credentials, which
// calls nothing but the credential chain.
func CheckCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return fmt.Errorf("%w: configure a profile, environment variables or a role (see `aws configure`)", ErrNoCredentials)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("%w: configure a profile, environment variables or a role (see `aws configure`); the credential chain said: %s", ErrNoCredentials, firstLine(err.Error()))
	}
	return nil
}

// ErrorCode returns the AWS error code of err ("ResourceNotFoundException",
// "ValidationError", ...), or "" when err is not an AWS API error.
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// Describe shortens an SDK error to its code and message for a one-line
// report, and says what a KMS refusal needs.
func Describe(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		out := apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
		if KMSRefusal(err) {
			out += KMSHint
		}
		return out
	}
	return firstLine(err.Error())
}

// KMSHint is what Describe adds to a KMS refusal: with encryption.kmsKey
// the tools read queues and objects encrypted with the stack's key and put
// events on a bus encrypted with it.
const KMSHint = " (a KMS refusal: with encryption.kmsKey set, this identity needs kms:Decrypt (to read the queues and the on-failure bucket) and kms:GenerateDataKey (to put events) on the stack's key, its EncryptionKeyArn output; the key must also be enabled; see docs/operations.md)"

// KMSRefusal reports whether AWS refused a call for a reason of KMS: the
// caller may not use the key, or the key is disabled or gone. SQS answers
// KMS.AccessDeniedException and its kin, Kinesis KMSAccessDeniedException,
// and S3 AccessDenied naming the kms: action.
func KMSRefusal(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	code, msg := strings.ToLower(apiErr.ErrorCode()), apiErr.ErrorMessage()
	return strings.HasPrefix(code, "kms") || strings.Contains(msg, "kms:")
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

// S3 returns an S3 client for cfg: path-style addressing when an endpoint
// override is set (a loopback fake or a local S3 answers on one host), the
// SDK's virtual-hosted default against AWS.
func S3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = o.BaseEndpoint != nil
	})
}
