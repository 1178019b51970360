package relay

import (
	"testing"

	"github.com/orderly-dev/orderly/infra/config"
	"github.com/orderly-dev/orderly/infra/relay/defaults"
)

// The config validates retention against config.LogRetentionDays and the
// relays map it to CDK's enum: the two lists must stay the same set.
func TestEveryAllowedLogRetentionHasACDKValue(t *testing.T) {
	for _, days := range config.LogRetentionDays {
		if _, ok := LogRetention(days); !ok {
			t.Errorf("function.logRetentionDays %d is allowed but has no awslogs.RetentionDays", days)
		}
	}
	if len(retentionByDays) != len(config.LogRetentionDays) {
		t.Errorf("retention maps %d values, config allows %d", len(retentionByDays), len(config.LogRetentionDays))
	}
	if _, ok := LogRetention(defaults.LogRetentionDays); !ok {
		t.Errorf("defaults.LogRetentionDays = %d has no awslogs.RetentionDays", defaults.LogRetentionDays)
	}
}
