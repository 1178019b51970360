package scheduleapi

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff returns the full-jitter delay before retry number retry (1 for
// the first retry): uniform in [0, min(max, base*2^(retry-1))). Full jitter
// spreads the retries of many concurrent partitions hitting the same
// struggling server instead of synchronizing them.
func backoff(retry int, base, max time.Duration, jitter func(time.Duration) time.Duration) time.Duration {
	ceiling := base
	for i := 1; i < retry && ceiling < max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, max)
	if ceiling <= 0 {
		return 0
	}
	return jitter(ceiling)
}

func randomJitter(limit time.Duration) time.Duration {
	return time.Duration(rand.Int64N(int64(limit)))
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// ok is false when the header is absent or unparseable, so the caller falls
// back to its own backoff.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Clamp before multiplying: a huge value would overflow Duration.
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
