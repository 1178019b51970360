package sqsfifo

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/orderly-dev/orderly/infra/delivery"
)

// PipeConfig configures the model of an EventBridge Pipe from one SQS FIFO
// queue to another, as FifoStack's per-key mode uses it.
type PipeConfig struct {
	// GroupIDPath and DeduplicationIDPath are the target's JSON paths into
	// the Pipe's source event (the SQS record, whose JSON body Pipes look
	// into).
	GroupIDPath         string
	DeduplicationIDPath string
	BatchSize           int
	SourceARN, Region   string
	// PollInterval is the wait after an empty receive. Default 20ms.
	PollInterval time.Duration
}

// Pipe forwards messages in order from source to target, one batch at a
// time. The Pipe itself never fails in this model: a message whose group
// id cannot be evaluated is left in the source, where redrive eventually
// dead-letters it, and counted.
type Pipe struct {
	cfg            PipeConfig
	source, target *Queue

	mu        sync.Mutex
	forwarded int
	failed    int
}

// NewPipe returns a Pipe from source to target.
func NewPipe(cfg PipeConfig, source, target *Queue) (*Pipe, error) {
	if cfg.BatchSize < 1 || cfg.BatchSize > MaxReceiveBatch {
		return nil, fmt.Errorf("pipe: batch size %d: want 1 to %d", cfg.BatchSize, MaxReceiveBatch)
	}
	if cfg.GroupIDPath == "" {
		return nil, fmt.Errorf("pipe: no MessageGroupId path")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	return &Pipe{cfg: cfg, source: source, target: target}, nil
}

// Counts returns how many messages were forwarded and how many could not be.
func (p *Pipe) Counts() (forwarded, failed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.forwarded, p.failed
}

// Run forwards until ctx ends.
func (p *Pipe) Run(ctx context.Context) error {
	for {
		msgs, err := p.source.Receive(p.cfg.BatchSize)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(p.cfg.PollInterval):
			}
			continue
		}
		for _, msg := range msgs {
			if err := p.forward(msg); err != nil {
				p.mu.Lock()
				p.failed++
				p.mu.Unlock()
				continue
			}
			if err := p.source.Delete(msg.ReceiptHandle); err != nil {
				return fmt.Errorf("pipe: %w", err)
			}
			p.mu.Lock()
			p.forwarded++
			p.mu.Unlock()
		}
	}
}

// forward sends one source message to the target the way the Pipe would.
func (p *Pipe) forward(msg Received) error {
	body, group, dedup, err := p.cfg.Target(msg)
	if err != nil {
		return err
	}
	_, err = p.target.Send(group, body, dedup)
	return err
}

// Target is what the Pipe sends on for a source message: the body is the
// Pipe's source event (the SQS record as JSON), and the group and
// deduplication ids come from the configured paths.
func (c PipeConfig) Target(msg Received) (body, group, dedup string, err error) {
	data, source, err := delivery.PipeSource(sqsRecord(msg, c.SourceARN, c.Region))
	if err != nil {
		return "", "", "", err
	}
	if group, err = delivery.PipeField(c.GroupIDPath, source); err != nil {
		return "", "", "", fmt.Errorf("pipe message group: %w", err)
	}
	if c.DeduplicationIDPath != "" {
		if dedup, err = delivery.PipeField(c.DeduplicationIDPath, source); err != nil {
			return "", "", "", fmt.Errorf("pipe deduplication id: %w", err)
		}
	}
	return string(data), group, dedup, nil
}
