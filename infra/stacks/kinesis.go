package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/relay"
)

// KinesisStackID is the construct id, so `cdk deploy KinesisStack` selects it.
const KinesisStackID = config.KinesisStackID

// NewKinesisStack holds a relay.KinesisRelay configured from props.Config.
func NewKinesisStack(scope constructs.Construct, props Props) (awscdk.Stack, error) {
	c := props.Config
	k := c.Kinesis
	stack := newStack(scope, KinesisStackID, config.KindKinesis,
		"orderly ("+c.Env+"): EventBridge -> Kinesis -> in-order Go consumer", props)
	// The config accepts only the modes and positions the relay maps (a
	// relay test pins them).
	mode, _ := relay.StreamModeOf(string(k.StreamMode))
	position, _ := relay.StartingPositionOf(string(k.StartingPosition))
	rp := relay.KinesisRelayProps{
		RelayProps:              relayProps(stack, config.KindKinesis, props),
		StreamMode:              mode,
		ShardCount:              k.ShardCount,
		StreamRetention:         hours(k.RetentionHours),
		BatchSize:               k.BatchSize,
		MaxBatchingWindow:       seconds(k.MaxBatchingWindowSecs),
		ParallelizationFactor:   k.ParallelizationFactor,
		StartingPosition:        position,
		RetryAttempts:           new(k.RetryAttempts),
		MaxRecordAge:            seconds(k.MaxRecordAgeSeconds),
		BisectBatchOnError:      new(k.BisectBatchOnError),
		IteratorAgeAlarm:        seconds(c.Alarms.IteratorAgeSeconds),
		OnFailureExpirationDays: k.OnFailureExpirationDays,
	}
	if _, err := relay.NewKinesisRelay(stack, relayID, rp); err != nil {
		return nil, err
	}
	return stack, nil
}
