package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"

	"github.com/orderly-dev/orderly/infra/config"
)

// Build adds both stacks to app. The CLI and the tests both call it, so the
// tests synthesize exactly what `cdk synth` does. An error means the config
// and a relay disagree on what is valid; app must then not be synthesized.
func Build(app awscdk.App, cfg config.Config, code func() awslambda.Code) (kinesis, fifo awscdk.Stack, err error) {
	props := Props{Config: cfg, Code: code}
	if kinesis, err = NewKinesisStack(app, props); err != nil {
		return nil, nil, err
	}
	if fifo, err = NewFifoStack(app, props); err != nil {
		return nil, nil, err
	}
	return kinesis, fifo, nil
}
