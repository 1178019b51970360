package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"

	"github.com/orderly-dev/orderly/infra/config"
)

// Build adds both stacks to app. The CLI and the tests both call it, so the
// tests synthesize exactly what `cdk synth` does.
func Build(app awscdk.App, cfg config.Config, code func() awslambda.Code) (kinesis, fifo awscdk.Stack) {
	props := Props{Config: cfg, Code: code}
	return NewKinesisStack(app, props), NewFifoStack(app, props)
}
