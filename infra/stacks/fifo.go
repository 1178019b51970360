package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/relay"
)

// FifoStackID is the construct id, so `cdk deploy FifoStack` selects it.
const FifoStackID = config.FifoStackID

// NewFifoStack holds a relay.FifoRelay configured from props.Config.
func NewFifoStack(scope constructs.Construct, props Props) (awscdk.Stack, error) {
	c := props.Config
	f := c.Fifo
	stack := newStack(scope, FifoStackID, config.KindFifo,
		"orderly ("+c.Env+"): EventBridge -> SQS FIFO ("+f.Groups.String()+" groups) -> in-order Go consumer", props)
	rp := relay.FifoRelayProps{
		RelayProps:         relayProps(stack, config.KindFifo, props),
		PerKey:             f.Groups.PerKey,
		BatchSize:          f.BatchSize,
		MaxConcurrency:     f.MaxConcurrency,
		MaxReceiveCount:    f.MaxReceiveCount,
		Retention:          hours(f.RetentionHours),
		OldestMessageAlarm: seconds(c.Alarms.OldestMessageAgeSeconds),
		RetryBackoff:       new(f.RetryBackoff()),
		// The relay derives the hold from it and MaxReceiveCount as
		// f.OutageHold() does.
		OutageToleranceSeconds: new(f.OutageToleranceSeconds),
	}
	if !f.Groups.PerKey {
		rp.MessageGroups = f.Groups.Count
	}
	if _, err := relay.NewFifoRelay(stack, relayID, rp); err != nil {
		return nil, err
	}
	return stack, nil
}
