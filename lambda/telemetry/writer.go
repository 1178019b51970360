package telemetry

import (
	"io"
	"sync"
)

// SyncWriter serializes writes so that log lines and metric lines written
// by concurrent partitions never interleave, even when a line is longer
// than the pipe's atomic write size.
type SyncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewSyncWriter wraps w.
func NewSyncWriter(w io.Writer) *SyncWriter { return &SyncWriter{w: w} }

// Write writes p under the lock.
func (s *SyncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
