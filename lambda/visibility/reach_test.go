package visibility

import (
	"testing"
	"time"
)

func TestReachSumsTheShortestDelays(t *testing.T) {
	b := Backoff{Base: time.Second, Max: time.Minute}
	// Shortest delays (× 0.8, whole seconds): 1 2 3 6 13 26 48 48 48.
	for _, c := range []struct {
		receives int
		want     time.Duration
	}{{1, 0}, {2, time.Second}, {5, 12 * time.Second}, {10, 195 * time.Second}} {
		if got := b.Reach(c.receives, 6*time.Minute); got != c.want {
			t.Errorf("Reach(%d) = %s, want %s", c.receives, got, c.want)
		}
	}
	if got := (Backoff{}).Reach(4, 6*time.Minute); got != 18*time.Minute {
		t.Errorf("off: Reach(4) = %s, want 3 visibility timeouts", got)
	}
}

func TestHoldForCoversTheTolerance(t *testing.T) {
	for _, c := range []struct {
		tolerance time.Duration
		receives  int
		want      Hold
	}{{30 * time.Minute, 10, Hold(200 * time.Second)}, {1000 * time.Second, 3, Hold(500 * time.Second)}, {1000 * time.Second, 1, Hold(1000 * time.Second)}, {0, 5, 0}} {
		h := HoldFor(c.tolerance, c.receives)
		if h != c.want {
			t.Errorf("HoldFor(%s, %d) = %s, want %s", c.tolerance, c.receives, time.Duration(h), time.Duration(c.want))
		}
		if held := time.Duration(max(c.receives-1, 1)); time.Duration(h)*held < c.tolerance {
			t.Errorf("HoldFor(%s, %d): %d held receives last only %s", c.tolerance, c.receives, held, time.Duration(h)*held)
		}
	}
}

func TestHoldDelayNeverShortensTheHoldOrTheBackoff(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 10 * time.Minute}
	h := Hold(3 * time.Minute)
	for _, u := range []float64{0, 0.5, 0.999} {
		if d := h.Delay(b, 1, u); d < 3*time.Minute || d > 3*time.Minute+36*time.Second {
			t.Errorf("u=%v: %s, want 3 min to 3 min 36 s", u, d)
		}
	}
	if d := h.Delay(b, 12, 0); d != 10*time.Minute {
		t.Errorf("12th receive: %s, want the backoff's 10 min", d)
	}
	if d := Hold(0).Delay(b, 3, 0); d != 0 {
		t.Errorf("off: %s, want 0", d)
	}
}
