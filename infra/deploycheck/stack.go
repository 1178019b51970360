package deploycheck

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/deploycheck/awsenv"
	"github.com/orderly-dev/orderly/infra/outputs"
)

// StackError is a stack that is missing, unsettled or lacks an output: the
// tools stop before they touch anything. Its message says which deploy
// command fixes it.
type StackError struct{ Message string }

func (e *StackError) Error() string { return e.Message }

// FailureQueues are the outputs naming the queues where failed events end
// up: the poison queue, the isolated queue when isolation is on, and every
// dead-letter queue of the stack kind.
func FailureQueues(c config.Config, kind string) []string {
	qs := []string{outputs.PoisonQueueURL}
	if c.Isolation.AfterSeconds > 0 {
		qs = append(qs, outputs.IsolatedQueueURL)
	}
	qs = append(qs, outputs.TargetDeadLetterQueueURL)
	if kind == config.KindKinesis {
		return qs
	}
	qs = append(qs, outputs.DeadLetterQueueURL)
	if c.Fifo.Groups.PerKey {
		qs = append(qs, outputs.IngestDeadLetterQueueURL)
	}
	return qs
}

// FailureBucket is the output naming the bucket where failed events end up
// ("" for a stack kind without one): the Kinesis on-failure destination.
func FailureBucket(kind string) string {
	if kind == config.KindKinesis {
		return outputs.OnFailureBucketName
	}
	return ""
}

// StackOutputs reads the deployed stack of kind and returns its outputs by
// key, after checking that it settled and declares every required output.
// Its errors are *StackError, except a canceled context.
func StackOutputs(ctx context.Context, awsCfg aws.Config, c config.Config, kind string, required []string) (map[string]string, error) {
	name := c.StackName(kind)
	deploy := fmt.Sprintf("npx cdk deploy %s -c env=%s", config.StackID(kind), c.Env)
	fail := func(format string, args ...any) error {
		return &StackError{Message: fmt.Sprintf(format, args...)}
	}
	res, err := cloudformation.NewFromConfig(awsCfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if awsenv.ErrorCode(err) == "ValidationError" && strings.Contains(err.Error(), "does not exist") {
			return nil, fail("stack %s is not deployed in %s: run `%s` first", name, awsCfg.Region, deploy)
		}
		return nil, fail("cannot read stack %s: %s", name, awsenv.Describe(err))
	}
	if len(res.Stacks) == 0 {
		return nil, fail("stack %s is not deployed in %s: run `%s` first", name, awsCfg.Region, deploy)
	}
	st := res.Stacks[0]
	if status := string(st.StackStatus); !strings.HasSuffix(status, "_COMPLETE") || strings.Contains(status, "ROLLBACK") && status != "UPDATE_ROLLBACK_COMPLETE" || strings.HasPrefix(status, "DELETE") {
		return nil, fail("stack %s is %s, not a settled deployment: wait for it, or run `%s`", name, status, deploy)
	}
	out := map[string]string{}
	for _, op := range st.Outputs {
		out[aws.ToString(op.OutputKey)] = aws.ToString(op.OutputValue)
	}
	var missing []string
	for _, k := range required {
		if out[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fail("stack %s lacks output(s) %s: it was deployed from an older version or another environment; run `%s`", name, strings.Join(missing, ", "), deploy)
	}
	return out, nil
}
