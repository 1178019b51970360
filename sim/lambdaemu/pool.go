package lambdaemu

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Pool is a fixed number of instances: the function's concurrency. An
// invocation takes an idle instance or waits for one, which is how reserved
// concurrency throttles in Lambda.
type Pool struct {
	cfg       Config
	instances []*Instance
	idle      chan *Instance

	mu         sync.Mutex
	restarts   int
	broken     error
	closed     bool
	restarting sync.WaitGroup
}

// NewPool starts size instances concurrently. On error every started
// instance is stopped again.
func NewPool(ctx context.Context, cfg Config, size int) (*Pool, error) {
	if size < 1 {
		return nil, fmt.Errorf("lambdaemu: pool size %d: want at least 1", size)
	}
	p := &Pool{cfg: cfg, instances: make([]*Instance, size), idle: make(chan *Instance, size)}
	errs := make([]error, size)
	var wg sync.WaitGroup
	for i := range size {
		wg.Go(func() {
			p.instances[i], errs[i] = Start(ctx, cfg, i)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		p.Close()
		return nil, err
	}
	for _, in := range p.instances {
		p.idle <- in
	}
	return p, nil
}

// Size is the number of instances.
func (p *Pool) Size() int { return len(p.instances) }

// Instances returns the pool's instances.
func (p *Pool) Instances() []*Instance { return p.instances }

// Acquire takes an idle instance, waiting for one if all are busy.
func (p *Pool) Acquire(ctx context.Context) (*Instance, error) {
	p.mu.Lock()
	broken := p.broken
	p.mu.Unlock()
	if broken != nil {
		return nil, broken
	}
	select {
	case in := <-p.idle:
		return in, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Release gives an instance back. One that died or was killed is restarted
// first, like Lambda replacing a failed execution environment; if that
// fails the pool is broken and every later Acquire fails.
func (p *Pool) Release(ctx context.Context, in *Instance) error {
	p.mu.Lock()
	if p.closed {
		// Close may already have stopped it; make sure, and never restart
		// processes after Close.
		p.mu.Unlock()
		return in.Stop()
	}
	healthy := in.Healthy()
	if !healthy {
		p.restarting.Add(1)
	}
	p.mu.Unlock()
	if !healthy {
		defer p.restarting.Done()
		if err := in.Restart(ctx); err != nil {
			err = fmt.Errorf("restart consumer instance %d: %w", in.ID(), err)
			p.mu.Lock()
			if p.broken == nil {
				p.broken = err
			}
			p.mu.Unlock()
			return err
		}
		p.mu.Lock()
		p.restarts++
		p.mu.Unlock()
	}
	p.idle <- in
	return nil
}

// Invoke runs one invocation on an idle instance.
func (p *Pool) Invoke(ctx context.Context, payload []byte) (Response, error) {
	in, err := p.Acquire(ctx)
	if err != nil {
		return Response{}, err
	}
	resp, invokeErr := in.Invoke(ctx, payload)
	if err := p.Release(context.WithoutCancel(ctx), in); err != nil && invokeErr == nil {
		invokeErr = err
	}
	return resp, invokeErr
}

// Restarts counts instances restarted after dying.
func (p *Pool) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// Close stops every instance.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	// A restart that began before Close finishes first, then is stopped.
	p.restarting.Wait()
	var errs []error
	for _, in := range p.instances {
		if in != nil {
			errs = append(errs, in.Stop())
		}
	}
	return errors.Join(errs...)
}

// Pids returns every process any instance ever ran.
func (p *Pool) Pids() []int {
	var out []int
	for _, in := range p.instances {
		if in != nil {
			out = append(out, in.Pids()...)
		}
	}
	sort.Ints(out)
	return out
}
