package relay

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskinesis"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"

	"github.com/orderly-dev/orderly/infra/relay/defaults"
)

// The settings that are a choice, by the names the config keys (and package
// defaults) give them, mapped to CDK's enums. A relay test pins these names
// to the config's allowed values.
var (
	removalPolicies = map[string]awscdk.RemovalPolicy{
		"retain": awscdk.RemovalPolicy_RETAIN, "destroy": awscdk.RemovalPolicy_DESTROY,
	}
	streamModes = map[string]awskinesis.StreamMode{
		"provisioned": awskinesis.StreamMode_PROVISIONED, "on-demand": awskinesis.StreamMode_ON_DEMAND,
	}
	startingPositions = map[string]awslambda.StartingPosition{
		"TRIM_HORIZON": awslambda.StartingPosition_TRIM_HORIZON, "LATEST": awslambda.StartingPosition_LATEST,
	}
)

// RemovalPolicyOf is CDK's removal policy named name ("retain",
// "destroy"); ok is false for any other name.
func RemovalPolicyOf(name string) (policy awscdk.RemovalPolicy, ok bool) {
	policy, ok = removalPolicies[name]
	return policy, ok
}

// StreamModeOf is CDK's stream mode named name ("provisioned",
// "on-demand"); ok is false for any other name.
func StreamModeOf(name string) (mode awskinesis.StreamMode, ok bool) {
	mode, ok = streamModes[name]
	return mode, ok
}

// StartingPositionOf is CDK's starting position named name
// ("TRIM_HORIZON", "LATEST"); ok is false for any other name.
func StartingPositionOf(name string) (position awslambda.StartingPosition, ok bool) {
	position, ok = startingPositions[name]
	return position, ok
}

// defaultRemovalPolicy is the removal policy of every resource a relay
// creates when its Props leave it unset.
func defaultRemovalPolicy() awscdk.RemovalPolicy { return removalPolicies[defaults.RemovalPolicy] }
