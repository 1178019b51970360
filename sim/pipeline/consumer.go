package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/orderly-dev/orderly/sim/lambdaemu"
)

// consumer invokes the bundled function on the pool of emulators, counts
// invocations, and finds and kills the instance behind a request to the
// fake API.
type consumer struct {
	pool *lambdaemu.Pool
	// fatal reports a harness failure (a pool that cannot restart an
	// instance); the run stops.
	fatal func(error)

	mu          sync.Mutex
	inFlight    map[*lambdaemu.Instance]bool
	invocations int
	failed      int
	kills       int
	peak        int // most invocations in flight at once
}

func newConsumer(pool *lambdaemu.Pool, fatal func(error)) *consumer {
	return &consumer{pool: pool, fatal: fatal, inFlight: map[*lambdaemu.Instance]bool{}}
}

// Invoke runs one invocation. A crash (no answer) and a function error are
// both errors: the event source treats them alike.
func (c *consumer) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	in, err := c.pool.Acquire(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.fatal(err)
		}
		return nil, err
	}
	c.mu.Lock()
	c.inFlight[in] = true
	c.peak = max(c.peak, len(c.inFlight))
	c.invocations++
	c.mu.Unlock()

	resp, err := in.Invoke(ctx, payload)

	c.mu.Lock()
	delete(c.inFlight, in)
	if err != nil || resp.FunctionError != nil {
		c.failed++
	}
	c.mu.Unlock()
	if relErr := c.pool.Release(context.WithoutCancel(ctx), in); relErr != nil {
		c.fatal(relErr)
	}
	if err != nil {
		return nil, err
	}
	if resp.FunctionError != nil {
		return nil, resp.FunctionError
	}
	return resp.Body, nil
}

// counts returns invocations, failed invocations, kills and the peak
// number of concurrent invocations so far.
func (c *consumer) counts() (invocations, failed, kills, peak int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.invocations, c.failed, c.kills, c.peak
}

// instanceOf returns the in-flight instance whose function holds the
// client side of a connection to the fake API, or nil.
func (c *consumer) instanceOf(remoteAddr string, apiPort int) *lambdaemu.Instance {
	inode, err := socketInode(remoteAddr, apiPort)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	candidates := make([]*lambdaemu.Instance, 0, len(c.inFlight))
	for in := range c.inFlight {
		candidates = append(candidates, in)
	}
	c.mu.Unlock()
	for _, in := range candidates {
		for _, pid := range in.Pids() {
			if holdsSocket(pid, inode) {
				return in
			}
		}
	}
	return nil
}

// kill ends an instance abruptly and counts it.
func (c *consumer) kill(in *lambdaemu.Instance) error {
	if err := in.Kill(); err != nil {
		return fmt.Errorf("kill consumer instance %d: %w", in.ID(), err)
	}
	c.mu.Lock()
	c.kills++
	c.mu.Unlock()
	return nil
}
