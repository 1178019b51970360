package scheduleapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orderly-dev/orderly/lambda/scheduleapi"
)

func TestCheckTimeoutNeedsRoomBeyondTheDeadlineMargin(t *testing.T) {
	l := scheduleapi.Limits{CallTimeout: 2 * time.Second, MaxAttempts: 3, RetryBudget: 4 * time.Second} // margin 9 s
	for _, tc := range []struct {
		timeout time.Duration
		fits    bool
	}{{8 * time.Second, false}, {9 * time.Second, false}, {10 * time.Second, true}} {
		err := l.CheckTimeout(tc.timeout)
		if (err == nil) != tc.fits {
			t.Errorf("timeout %s: error %v, want fits=%v", tc.timeout, err, tc.fits)
		}
		if err != nil && !strings.Contains(err.Error(), "a deadline margin of 9s (two retry budgets of 4s plus 1s to respond) does not fit the function timeout "+tc.timeout.String()) {
			t.Errorf("error %q does not explain the margin", err)
		}
	}
}
