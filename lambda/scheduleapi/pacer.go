package scheduleapi

import (
	"context"
	"errors"
	"time"
)

// errNoSlot: the rate cap has no request slot before the call's budget
// ends.
var errNoSlot = errors.New("no request slot within the budget")

// pacer spaces the requests of one execution environment at least
// interval apart, measured between the moments requests actually leave:
// waiters take turns, and each sets the next slot from when it woke, so a
// late wake-up only widens the gap (a slot computed ahead of time would let
// a late request and an on-time one bunch up). It is a token bucket of one
// token: a larger bucket would let a burst through on top of the rate.
// Every partition of the environment shares it.
type pacer struct {
	interval time.Duration
	turn     chan struct{} // holds one token: whose turn it is to wait
	next     time.Time     // guarded by turn
}

func newPacer(interval time.Duration) *pacer {
	p := &pacer{interval: interval, turn: make(chan struct{}, 1)}
	p.turn <- struct{}{}
	return p
}

// wait blocks until the next slot and takes it, or fails with errNoSlot
// when the slot (or the turn to wait for it) lies at or beyond deadline.
func (p *pacer) wait(ctx context.Context, deadline time.Time, now func() time.Time, sleep func(context.Context, time.Duration) error) error {
	if p == nil || p.interval <= 0 {
		return nil
	}
	if err := p.takeTurn(ctx, deadline.Sub(now())); err != nil {
		return err
	}
	defer func() { p.turn <- struct{}{} }()
	if d := p.next.Sub(now()); d > 0 {
		if !now().Add(d).Before(deadline) {
			return errNoSlot
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	p.next = now().Add(p.interval)
	return nil
}

// takeTurn waits at most budget for the turn to wait for a slot. The budget
// is measured on the caller's clock rather than as a wall-clock deadline,
// because the deadline comes from that clock: comparing it with the
// machine's time would let an injected clock that differs from it (every
// test clock) decide the outcome. A free turn is taken before any timer is
// consulted, so the outcome never rests on select's random choice between
// two ready cases.
func (p *pacer) takeTurn(ctx context.Context, budget time.Duration) error {
	if budget <= 0 {
		return errNoSlot
	}
	select {
	case <-p.turn:
		return nil
	default:
	}
	waitTurn, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	select {
	case <-p.turn:
		return nil
	case <-waitTurn.Done():
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errNoSlot
	}
}
