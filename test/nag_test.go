package test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestCdkNagHasNoUnsuppressedFindings runs the AwsSolutions and Serverless
// packs over every environment and every FIFO grouping mode.
func TestCdkNagHasNoUnsuppressedFindings(t *testing.T) {
	for _, tc := range allSyntheses(t) {
		s := synth(t, tc.env, tc.overrides)
		for id, stack := range s.stacks {
			ann := assertions.Annotations_FromStack(stack)
			errs := ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("(AwsSolutions|Serverless)-.*")))
			warns := ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("(AwsSolutions|Serverless)-.*")))
			for _, e := range *errs {
				t.Errorf("%s %s: error at %s: %v", tc.name, id, *e.Id, e.Entry.Data)
			}
			for _, w := range *warns {
				t.Errorf("%s %s: warning at %s: %v", tc.name, id, *w.Id, w.Entry.Data)
			}
		}
	}
}
