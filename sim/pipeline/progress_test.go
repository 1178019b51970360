package pipeline

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// lineWriter hands each written line to a channel.
type lineWriter struct {
	mu    sync.Mutex
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines <- strings.TrimSpace(string(p))
	return len(p), nil
}

func TestReportProgressWritesALineEveryInterval(t *testing.T) {
	tl := &tally{}
	tl.startPhase("replay", 1000, 1) // the poison queue held 1 message before
	tl.sent.Store(500)
	tl.discarded.Store(2)
	tl.track(func() int { return 1 }, func() int { return 94 })
	out := &lineWriter{lines: make(chan string, 10)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		reportProgress(ctx, 5*time.Millisecond, out, tl, func() int { return 400 }, func() int { return 4 })
		close(done)
	}()
	var got []string
	for len(got) < 2 {
		got = append(got, <-out.lines)
	}
	cancel()
	<-done
	for _, line := range got {
		for _, want := range []string{"replay: sent 500 of 1000", "applied 400", "dead-lettered 6", "in flight 94", "events/s applied"} {
			if !strings.Contains(line, want) {
				t.Errorf("progress line %q lacks %q", line, want)
			}
		}
	}
}
