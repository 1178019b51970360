package pipeline

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// killer kills a consumer instance mid-batch `kills` times, spread evenly
// over the run's progress (measured in events applied).
//
// A kill is armed at each threshold; the next write the fake API accepts
// triggers it: the instance that sent the write is found by its TCP
// connection and killed (SIGKILL to the emulator and the function) before
// the write's answer leaves the server. So the kill always lands in the
// middle of a batch: that write took effect, the consumer never learns it,
// and the rest of its batch has not run. The event source sees a failed
// invocation and redelivers; the pool restarts the instance.
func killer(ctx context.Context, c *consumer, api *scheduleAPI, events []Event, kills int, progress io.Writer) {
	applicable := 0
	for _, e := range events {
		if !e.Poison {
			applicable++
		}
	}
	for k := 1; k <= kills; k++ {
		threshold := applicable * k / (kills + 1)
		for api.Applied() < threshold {
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
		killed := make(chan error, 1)
		var once sync.Once
		api.setOnWrite(func(remoteAddr string) {
			in := c.instanceOf(remoteAddr, api.Port())
			if in == nil {
				return
			}
			once.Do(func() {
				api.setOnWrite(nil)
				killed <- c.kill(in)
			})
		})
		select {
		case err := <-killed:
			if err != nil {
				fmt.Fprintf(progress, "kill %d of %d failed: %v\n", k, kills, err)
				continue
			}
			fmt.Fprintf(progress, "killed a consumer instance mid-batch, right after a write took effect (kill %d of %d, %d events applied)\n", k, kills, api.Applied())
		case <-time.After(30 * time.Second):
			api.setOnWrite(nil)
			fmt.Fprintf(progress, "kill %d of %d skipped: no write within 30s\n", k, kills)
		case <-ctx.Done():
			return
		}
	}
}
