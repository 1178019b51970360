package test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestCdkNagHasNoUnsuppressedFindings runs the AwsSolutions and Serverless
// packs (attached in synth) over every environment and grouping mode. An
// unsuppressed error already fails the synth through the validation report;
// this also catches warnings and names each finding.
func TestCdkNagHasNoUnsuppressedFindings(t *testing.T) {
	for _, tc := range allSyntheses(t) {
		s := synth(t, tc.env, tc.overrides)
		for id, stack := range s.stacks {
			t.Run(tc.name+"/"+id, func(t *testing.T) { expectNoNagFindings(t, stack) })
		}
	}
}

// expectNoNagFindings fails for every AwsSolutions or Serverless error or
// warning cdk-nag recorded on stack.
func expectNoNagFindings(t *testing.T, stack awscdk.Stack) {
	t.Helper()
	rules := assertions.Match_StringLikeRegexp(jsii.String("(AwsSolutions|Serverless)-.*"))
	ann := assertions.Annotations_FromStack(stack)
	for _, e := range *ann.FindError(jsii.String("*"), rules) {
		t.Errorf("error at %s: %v", *e.Id, e.Entry.Data)
	}
	for _, w := range *ann.FindWarning(jsii.String("*"), rules) {
		t.Errorf("warning at %s: %v", *w.Id, w.Entry.Data)
	}
}

// TestEverySynthIsValidatedStrictly keeps the built-in CloudFormation
// validation (cfn-lint rules bundled in aws-cdk-lib) fatal for every synth,
// the CLI's and the tests'.
func TestEverySynthIsValidatedStrictly(t *testing.T) {
	if got := cdkContext(t)["@aws-cdk/core:validateAgainstDefaultRules"]; got != true {
		t.Fatalf("cdk.json context @aws-cdk/core:validateAgainstDefaultRules = %v, want true", got)
	}
}
