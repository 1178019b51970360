package visibility

import (
	"strings"
	"testing"
	"time"
)

func TestDelayDoublesPerReceiveUpToTheCap(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 60 * time.Second}
	tests := []struct {
		receives int
		u        float64
		want     time.Duration
	}{
		{1, 0, time.Second},
		{2, 0, 2 * time.Second},
		{3, 0, 4 * time.Second},
		{5, 0, 16 * time.Second},
		{6, 0, 32 * time.Second},
		{7, 0, 60 * time.Second}, // 64 s capped
		{100, 0, 60 * time.Second},
		{1000, 0, 60 * time.Second},         // the shift overflows: still the cap
		{0, 0, time.Second},                 // below 1 counts as a first receive
		{5, 0.5, 16 * time.Second * 9 / 10}, // half the jitter: 10% shorter
		{7, 1, 48 * time.Second},            // full jitter: 20% off the cap
		{1, 2, 800 * time.Millisecond},      // u beyond 1 is clamped
		{1, -1, time.Second},                // u below 0 is clamped
	}
	for _, tc := range tests {
		if got := b.Delay(tc.receives, tc.u); got != tc.want {
			t.Errorf("Delay(%d, %v) = %s, want %s", tc.receives, tc.u, got, tc.want)
		}
	}
}

func TestDelayOfSpecialBackoffs(t *testing.T) {
	if got := (Backoff{Base: 0, Max: time.Minute}).Delay(5, 0); got != 0 {
		t.Errorf("base 0: Delay = %s, want 0 (retry at once)", got)
	}
	off := Backoff{Base: time.Second}
	if off.Enabled() || off.Delay(3, 0) != 0 {
		t.Errorf("max 0 must be off, got enabled=%v delay=%s", off.Enabled(), off.Delay(3, 0))
	}
}

func TestSecondsRoundsToTheNearestSecond(t *testing.T) {
	for d, want := range map[time.Duration]int32{0: 0, 400 * time.Millisecond: 0, 800 * time.Millisecond: 1, 1600 * time.Millisecond: 2, 12800 * time.Millisecond: 13, 60 * time.Second: 60} {
		if got := seconds(d); got != want {
			t.Errorf("seconds(%s) = %d, want %d", d, got, want)
		}
	}
}

func TestBackoffValidate(t *testing.T) {
	tests := []struct {
		b    Backoff
		want string // "" = valid
	}{
		{Backoff{}, ""},
		{Backoff{Base: time.Second, Max: time.Minute}, ""},
		{Backoff{Base: 0, Max: time.Minute}, ""},
		{Backoff{Base: 5 * time.Second}, ""}, // off: base unused
		{Backoff{Base: time.Minute, Max: time.Minute}, ""},
		{Backoff{Base: -time.Second, Max: time.Minute}, "base -1s: want 0 or more"},
		{Backoff{Base: time.Second, Max: -time.Second}, "max -1s: want 0 (off) to 12h0m0s"},
		{Backoff{Base: time.Second, Max: 13 * time.Hour}, "max 13h0m0s: want 0 (off) to 12h0m0s"},
		{Backoff{Base: 2 * time.Minute, Max: time.Minute}, "base 2m0s exceeds max 1m0s"},
	}
	for _, tc := range tests {
		err := tc.b.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tc.b, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want it to contain %q", tc.b, err, tc.want)
		}
	}
}

func TestCheckBelowTheVisibilityTimeout(t *testing.T) {
	vt := 60 * time.Second
	for _, tc := range []struct {
		max  time.Duration
		fits bool
	}{{0, true}, {59 * time.Second, true}, {60 * time.Second, false}, {61 * time.Second, false}} {
		err := Backoff{Base: 0, Max: tc.max}.CheckBelow(vt)
		if (err == nil) != tc.fits {
			t.Errorf("max %s under visibility timeout %s: error %v, want fits=%v", tc.max, vt, err, tc.fits)
		}
		if err != nil && !strings.Contains(err.Error(), "not below the queue's visibility timeout 1m0s") {
			t.Errorf("error %q does not name the visibility timeout", err)
		}
	}
}

func TestCappedBelowKeepsTheCapUnderTheVisibilityTimeout(t *testing.T) {
	b := Backoff{Base: time.Second, Max: time.Minute}
	if got := b.CappedBelow(60 * time.Second); got != (Backoff{Base: time.Second, Max: 59 * time.Second}) || got.CheckBelow(60*time.Second) != nil {
		t.Errorf("capped below 60 s: %+v, want max 59 s", got)
	}
	if got := b.CappedBelow(360 * time.Second); got != b {
		t.Errorf("capped below 360 s: %+v, want %+v unchanged", got, b)
	}
}
